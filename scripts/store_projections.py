"""Store the t-SNE and UMAP projections of each run's test-set codes in its folder.

    VAE_DATA_ROOT=/path/to/data python scripts/store_projections.py checkpoints/NAME... [--float32]

The test split is encoded and projected with the same code the Latent page runs
(vae.analysis.explore.encode, vae.analysis.projection), and written atomically to
projections.npz with what it was computed from (vae.analysis.stored_projection): choosing
t-SNE or UMAP on that model is then instant. A run retrained later no longer matches its
file, which the page then ignores. Runs of 2 latent dimensions or fewer are skipped (the page
shows their axes as they are). The points are stored in float16 (half the bytes of
--float32); how far that moves them, as a share of the map's width, is printed: about 2e-4
to 4e-4 for the shipped models, a third of a pixel on a 700-pixel map.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vae.analysis.explore import encode  # noqa: E402
from vae.analysis.projection import Method  # noqa: E402
from vae.analysis.stored_projection import store  # noqa: E402
from vae.data import load_dataset  # noqa: E402
from vae.runfolder.checkpoint import load_checkpoint  # noqa: E402
from vae.runfolder.files import PROJECTIONS_FILE  # noqa: E402


def _shown(method: Method, fraction: float, what: str) -> None:
    print(f"\r  {fraction:4.0%} {what:<60}", end="", file=sys.stderr, flush=True)


def store_run(run: Path, float32: bool) -> None:
    ckpt = load_checkpoint(run)
    cfg = ckpt.config
    if cfg.model.latent_dim <= 2:
        print(f"{run}: {cfg.model.latent_dim}-D, nothing to project; skipped")
        return
    train = cfg.train
    data = load_dataset(cfg.dataset, image_size=train.image_size, channels=train.channels)
    x = data.test_x.numpy()
    mu, _ = encode(ckpt.model, x)
    t0 = time.perf_counter()
    dtype = np.float32 if float32 else np.float16
    got = store(run, cfg.model.to_dict(), x, mu, dtype=dtype, progress=_shown)
    print(file=sys.stderr)
    size = (run / PROJECTIONS_FILE).stat().st_size
    print(f"{run}: {len(mu):,} codes, {time.perf_counter() - t0:.1f} s, {size / 1024:.0f} KB")
    for method, xy in got.items():
        width = float(np.max(np.ptp(xy, axis=0)))
        moved = float(np.max(np.abs(xy.astype(np.float16).astype(np.float32) - xy)))
        print(f"  {method}: float16 would move a point by at most {moved / width:.2e} of the width")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", type=Path, nargs="+", metavar="RUN_DIR")
    p.add_argument("--float32", action="store_true", help="store the points in float32")
    args = p.parse_args(argv)
    for run in args.runs:
        store_run(run, args.float32)
    return 0


if __name__ == "__main__":
    sys.exit(main())
