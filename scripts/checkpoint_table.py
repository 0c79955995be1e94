"""Print the README's table of shipped checkpoints, re-evaluating each one now.

    VAE_DATA_ROOT=/path/to/data python scripts/checkpoint_table.py

Runs `python -m vae.evaluate DIR --json` for every folder under checkpoints/ and adds the
IWAE figure stored in metrics.json (see scripts/train_checkpoints.sh). For 2-D models it
also asks for `--exact --images 1000`: the exact -log p(x) by quadrature over the first
1,000 test images (the whole MNIST test set takes about 15 minutes on a busy 2-core CPU).
Nothing is written to the checkpoint folders.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXACT_IMAGES = 1000


def exact_cell(m: dict[str, object]) -> str:
    """The exact -log p(x) and how many test images it covers, or a dash."""
    nll, n = m.get("exact_nll"), m.get("exact_images")
    if not isinstance(nll, float) or not isinstance(n, int):
        return "—"
    return f"{nll:.2f} (first {n} test images)" if n >= EXACT_IMAGES else f"{nll:.2f} (all {n})"


def main() -> None:
    rows = [
        "| checkpoint | data | model | epochs | test -ELBO | reconstruction | KL | active units "
        "| IWAE bound on -log p(x) | exact -log p(x) |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for folder in sorted(p for p in (ROOT / "checkpoints").iterdir() if p.is_dir()):
        config = json.loads((folder / "config.json").read_text())
        exact = ["--exact", "--images", str(EXACT_IMAGES)]
        out = subprocess.run(
            [sys.executable, "-m", "vae.evaluate", str(folder), "--json"]
            + (exact if config["model"]["latent_dim"] == 2 else []),
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        m = json.loads(out.stdout)
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
            f"| {m['active_units']} of {model['latent_dim']} | {iwae} | {exact_cell(m)} |"
        )
    print("\n".join(rows))


if __name__ == "__main__":
    main()
