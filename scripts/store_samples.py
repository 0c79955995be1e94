"""Store the Overview's first prior samples in each run's folder, so it opens without torch.

    python scripts/store_samples.py checkpoints/NAME...

The 64 codes of the Overview's first draw are decoded by the run's model, loaded as the app
loads it, and written atomically to samples.npz with the SHA-256 of the weights file and of
config.json (vae.analysis.stored_samples). A run retrained or reconfigured later no longer
matches its file, which the page then ignores. Training writes the file itself when a run
finishes; this is for runs made before, or changed by hand (scripts/shrink_checkpoint.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vae.analysis.stored_samples import read_cover, store  # noqa: E402
from vae.runfolder.checkpoint import load_checkpoint  # noqa: E402
from vae.runfolder.files import SAMPLES_FILE  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", type=Path, nargs="+", metavar="RUN_DIR")
    args = p.parse_args(argv)
    for run in args.runs:
        ckpt = load_checkpoint(run)
        if ckpt.imported:
            print(f"{run}: an imported model; skipped (its Overview decodes with onnxruntime)")
            continue
        store(run, ckpt.model)
        if read_cover(run) is None:  # the file must be the one the Overview will use
            print(f"{run}: the stored samples do not match the run", file=sys.stderr)
            return 1
        print(f"{run}: {(run / SAMPLES_FILE).stat().st_size / 1024:.0f} KB, epoch {ckpt.epoch}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
