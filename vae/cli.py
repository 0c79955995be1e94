"""Argument parsing for `python -m vae.train`: every value validated before any work."""

from __future__ import annotations

import argparse
import math

from vae.config import ARCHS, DEVICES, LIKELIHOODS, ConfigError, ModelConfig, TrainConfig
from vae.data import dataset_names, image_shape_of

DEFAULT_HIDDEN = {"mlp": "512,256", "conv": "32,64"}


def _dims(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(t) for t in text.split(",") if t.strip())
    except ValueError as exc:
        raise ConfigError(
            f"--hidden-dims must be whole numbers separated by commas, got {text!r}"
        ) from exc


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m vae.train", description="Train a VAE and write a checkpoint folder."
    )
    a = p.add_argument
    a("--dataset", default="mnist", help=f"one of {', '.join(dataset_names())}")
    a("--arch", default="mlp", help=f"{' or '.join(ARCHS)}")
    a("--hidden-dims", default=None, help="MLP widths or conv channels, e.g. 512,256 or 32,64")
    a("--latent-dim", type=int, default=2, help="size of z, 1 to 64")
    a("--likelihood", default=None, help=f"{' or '.join(LIKELIHOODS)} (default: gaussian for frey)")
    a("--binarize", action="store_true", help="dynamic binarisation of the inputs")
    a("--beta", type=float, default=1.0, help="weight of the KL term (beta-VAE)")
    a("--warmup-epochs", type=int, default=0, help="epochs of linear KL warm-up from 0 to beta")
    a("--epochs", type=int, default=None, help="epochs to train to (default 10)")
    a("--batch-size", type=int, default=128)
    a("--lr", type=float, default=None, help="Adam learning rate (default 0.001)")
    a(
        "--lr-anneal-epochs",
        type=int,
        default=None,
        help="lower the learning rate along a half cosine over the last N epochs (default 0)",
    )
    a("--seed", type=int, default=0)
    a("--device", default="auto", help=f"{', '.join(DEVICES)}")
    a("--image-size", type=int, default=28, help="side length for folder: datasets")
    a("--channels", type=int, default=1, help="1 (grey) or 3 (RGB) for folder: datasets")
    a(
        "--snapshot-points",
        type=int,
        default=1000,
        help="preview images encoded after every epoch for the epoch scrubber (0: off)",
    )
    a("--iwae-samples", type=int, default=0, help="K for an IWAE estimate at the end (0: none)")
    a("--out", required=True, help="checkpoint folder to write")
    a(
        "--resume",
        action="store_true",
        help="continue the run in --out from its last epoch; --epochs, --lr, --lr-anneal-epochs "
        "and --device may be changed, the rest comes from the run",
    )
    return p


def parse_train_args(
    argv: list[str] | None = None,
) -> tuple[ModelConfig, TrainConfig, argparse.Namespace]:
    """Parse and validate; raises ConfigError (a ValueError) naming the bad argument."""
    args = build_parser().parse_args(argv)
    args.epochs_given = args.epochs is not None
    epochs = args.epochs if args.epochs is not None else 10
    args.lr_given = args.lr is not None
    args.lr = args.lr if args.lr is not None else 1e-3
    if args.iwae_samples < 0:
        raise ConfigError(f"--iwae-samples must be 0 or more, got {args.iwae_samples}")
    if not math.isfinite(args.lr) or args.lr <= 0:
        raise ConfigError(f"--lr must be a finite number above 0, got {args.lr}")
    likelihood = args.likelihood or ("gaussian" if args.dataset == "frey" else "bernoulli")
    hidden = args.hidden_dims or DEFAULT_HIDDEN.get(args.arch, "512,256")
    try:
        train = TrainConfig(
            dataset=args.dataset,
            epochs=epochs,
            batch_size=args.batch_size,
            lr=args.lr,
            beta=args.beta,
            warmup_epochs=args.warmup_epochs,
            lr_anneal_epochs=args.lr_anneal_epochs or 0,
            binarize=args.binarize,
            seed=args.seed,
            device=args.device,
            image_size=args.image_size,
            channels=args.channels,
            snapshot_points=args.snapshot_points,
        )
        shape = image_shape_of(args.dataset, args.image_size, args.channels)
        model = ModelConfig(
            arch=args.arch,
            image_shape=shape,
            latent_dim=args.latent_dim,
            hidden_dims=_dims(hidden),
            likelihood=likelihood,
        )
    except ConfigError as exc:
        if str(exc).startswith("--"):  # already names its flag
            raise
        raise ConfigError(f"--{_flag(str(exc))}: {exc}") from exc
    return model, train, args


def _flag(message: str) -> str:
    """Map the config field a message starts with to its command-line flag."""
    field = message.split(" ", 1)[0]
    return {"lr": "lr", "image_shape": "image-size"}.get(field, field.replace("_", "-"))
