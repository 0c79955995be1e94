"""Print the README's table of shipped checkpoints, re-evaluating each one now.

    VAE_DATA_ROOT=/path/to/data python scripts/checkpoint_table.py

Runs `python -m vae.evaluate DIR --json` for every folder under checkpoints/ and adds the
IWAE figure stored in metrics.json (see scripts/train_checkpoints.sh).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    rows = [
        "| checkpoint | data | model | epochs | test -ELBO | reconstruction | KL | active units "
        "| IWAE -log p(x) |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for folder in sorted(p for p in (ROOT / "checkpoints").iterdir() if p.is_dir()):
        out = subprocess.run(
            [sys.executable, "-m", "vae.evaluate", str(folder), "--json"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        m = json.loads(out.stdout)
        config = json.loads((folder / "config.json").read_text())
        stored = json.loads((folder / "metrics.json").read_text())
        history = (folder / "history.jsonl").read_text().splitlines()
        model = config["model"]
        arch = (
            f"{model['arch']} {','.join(map(str, model['hidden_dims']))}, z={model['latent_dim']}"
        )
        likelihood = model["likelihood"]
        iwae = "—"
        if stored.get("iwae_nll") is not None:
            iwae = (
                f"{stored['iwae_nll']:.2f} (K={stored['iwae_samples']}, "
                f"first {stored.get('iwae_images', 'all')} test images)"
            )
        rows.append(
            f"| `{folder.name}` | {config['dataset']} | {arch}, {likelihood} | {len(history)} "
            f"| {m['test_elbo']:.2f} | {m['test_recon']:.2f} | {m['test_kl']:.2f} "
            f"| {m['active_units']} of {model['latent_dim']} | {iwae} |"
        )
    print("\n".join(rows))


if __name__ == "__main__":
    main()
