"""Store a run's weights as float16 when that moves its test -ELBO by less than a tolerance.

    VAE_DATA_ROOT=/path/to/data python scripts/shrink_checkpoint.py checkpoints/NAME [--tol 0.05]

The full test split is evaluated with the float32 weights and again with the weights
rounded to float16 (same seed, same binarisation); only when |difference| < tol nats per
image is model.safetensors rewritten (atomically) in float16, halving its size. The loader
casts the weights back to the model's float32 parameters, so every page reads them as
before; metrics.json is left as measured with float32 and the measured difference is
printed, so it can be recorded beside the checkpoint table.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vae.data import load_dataset  # noqa: E402
from vae.runfolder.checkpoint import load_checkpoint  # noqa: E402
from vae.runfolder.files import MODEL_FILE, write_tensors  # noqa: E402
from vae.training.evaluate import evaluate_model  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run", type=Path)
    p.add_argument("--tol", type=float, default=0.05, help="largest -ELBO change, nats")
    args = p.parse_args(argv)
    ckpt = load_checkpoint(args.run)
    train = ckpt.config.train
    data = load_dataset(ckpt.config.dataset, image_size=train.image_size, channels=train.channels)
    before = evaluate_model(ckpt.model, data.test_x, binarize=train.binarize)["test_elbo"]
    half = {k: v.detach().to(torch.float16) for k, v in ckpt.model.state_dict().items()}
    ckpt.model.load_state_dict({k: v.float() for k, v in half.items()})
    after = evaluate_model(ckpt.model, data.test_x, binarize=train.binarize)["test_elbo"]
    diff = after - before
    print(f"{args.run.name}: -ELBO {before:.4f} (float32) -> {after:.4f} (float16), {diff:+.4f}")
    if abs(diff) >= args.tol:
        print(f"kept float32: the change is not below {args.tol} nats", file=sys.stderr)
        return 1
    write_tensors(args.run / MODEL_FILE, dict(half), {"epoch": str(ckpt.epoch)})
    print(f"wrote {args.run / MODEL_FILE} in float16")
    return 0


if __name__ == "__main__":
    sys.exit(main())
