"""The command `python -m vae.train`: arguments validated before any work, then the run.

Every default comes from TrainConfig (vae.training.config), the one place that holds them.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
from dataclasses import replace
from pathlib import Path
from types import FrameType

from vae.data import DatasetError, dataset_names, image_shape_of, load_dataset
from vae.errors import Message
from vae.model.config import ARCHS, LIKELIHOODS, ConfigError, ModelConfig
from vae.runfolder.config import read_config
from vae.training.config import DEVICES, TrainConfig, default
from vae.training.errors import Cancelled, TimeLimit, TrainingError

DEFAULT_HIDDEN = {"mlp": "512,256", "conv": "32,64"}


def _dims(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(t) for t in text.split(",") if t.strip())
    except ValueError as exc:
        raise ConfigError(
            "--hidden-dims must be whole numbers separated by commas, got {text!r}", text=text
        ) from exc


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m vae.train", description="Train a VAE and write a checkpoint folder."
    )
    a = p.add_argument
    a("--dataset", default=default("dataset"), help=f"one of {', '.join(dataset_names())}")
    a("--arch", default="mlp", help=f"{' or '.join(ARCHS)}")
    a("--hidden-dims", default=None, help="MLP widths or conv channels, e.g. 512,256 or 32,64")
    a("--latent-dim", type=int, default=2, help="size of z, 1 to 64")
    a("--likelihood", default=None, help=f"{' or '.join(LIKELIHOODS)} (default: gaussian for frey)")
    a("--binarize", action="store_true", help="dynamic binarisation of the inputs")
    a("--beta", type=float, default=default("beta"), help="weight of the KL term (beta-VAE)")
    a(
        "--warmup-epochs",
        type=int,
        default=default("warmup_epochs"),
        help="epochs of linear KL warm-up from 0 to beta",
    )
    a("--epochs", type=int, default=None, help=f"epochs to train to (default {default('epochs')})")
    a("--batch-size", type=int, default=default("batch_size"))
    a("--lr", type=float, default=None, help=f"Adam learning rate (default {default('lr')})")
    a(
        "--lr-anneal-epochs",
        type=int,
        default=None,
        help="lower the learning rate along a half cosine over the last N epochs "
        f"(default {default('lr_anneal_epochs')})",
    )
    a("--seed", type=int, default=default("seed"))
    a("--device", default=default("device"), help=f"{', '.join(DEVICES)}")
    a(
        "--image-size",
        type=int,
        default=default("image_size"),
        help="side length for folder: datasets",
    )
    a(
        "--channels",
        type=int,
        default=default("channels"),
        help="1 (grey) or 3 (RGB) for folder: datasets",
    )
    a(
        "--snapshot-points",
        type=int,
        default=default("snapshot_points"),
        help="preview images encoded after every epoch for the epoch scrubber (0: off)",
    )
    a("--iwae-samples", type=int, default=0, help="K for an IWAE estimate at the end (0: none)")
    a("--out", required=True, help="checkpoint folder to write")
    a(
        "--time-limit",
        type=float,
        default=0.0,
        help="stop after this many seconds of wall-clock time, keeping the last complete "
        "epoch (0: no limit)",
    )
    a(
        "--nice",
        type=int,
        default=0,
        help="lower this process's CPU priority by N, 0 to 19, as the nice command does "
        "(a server's jobs use it to leave its pages responsive)",
    )
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
    epochs = args.epochs if args.epochs is not None else default("epochs")
    args.lr_given = args.lr is not None
    args.lr = args.lr if args.lr is not None else default("lr")
    if args.iwae_samples < 0:
        raise ConfigError(
            "--iwae-samples must be 0 or more, got {iwae_samples}", iwae_samples=args.iwae_samples
        )
    if not math.isfinite(args.time_limit) or args.time_limit < 0:
        raise ConfigError(
            "--time-limit must be 0 or more seconds, got {time_limit}", time_limit=args.time_limit
        )
    if not 0 <= args.nice <= 19:
        raise ConfigError("--nice must be from 0 to 19, got {nice}", nice=args.nice)
    if not math.isfinite(args.lr) or args.lr <= 0:
        raise ConfigError("--lr must be a finite number above 0, got {lr}", lr=args.lr)
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
            lr_anneal_epochs=args.lr_anneal_epochs or default("lr_anneal_epochs"),
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
        raise ConfigError("--{flag}: {reason}", flag=_flag(str(exc)), reason=exc) from exc
    return model, train, args


def _flag(message: str) -> str:
    """Map the config field a message starts with to its command-line flag."""
    field = message.split(" ", 1)[0]
    return {"lr": "lr", "image_shape": "image-size"}.get(field, field.replace("_", "-"))


def _on_signal(signum: int, frame: FrameType | None) -> None:
    raise Cancelled(signal.Signals(signum).name)


def _on_time_limit(signum: int, frame: FrameType | None) -> None:
    raise TimeLimit("time limit")


def main(argv: list[str] | None = None) -> int:
    """`python -m vae.train ...`; -> exit status (0 saved, 1 failed, 2 refused, 130 cancelled)."""
    try:
        model_cfg, cfg, args = parse_train_args(argv)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from vae.training.loop import train, write_status  # torch: the checks above need none

    out = Path(args.out)
    if args.nice:
        os.nice(args.nice)
    signal.signal(signal.SIGTERM, _on_signal)
    if args.time_limit > 0:  # wall-clock time from here; the epoch being trained is dropped
        signal.signal(signal.SIGALRM, _on_time_limit)
        signal.setitimer(signal.ITIMER_REAL, args.time_limit)
    try:
        if args.resume:
            stored = read_config(out)
            model_cfg = stored.model
            cfg = replace(
                stored.train,
                epochs=args.epochs if args.epochs_given else stored.train.epochs,
                lr=args.lr if args.lr_given else stored.train.lr,
                lr_anneal_epochs=(
                    stored.train.lr_anneal_epochs
                    if args.lr_anneal_epochs is None
                    else args.lr_anneal_epochs
                ),
                device=cfg.device,
            )
        data = load_dataset(cfg.dataset, image_size=cfg.image_size, channels=cfg.channels)
        if data.image_shape != model_cfg.image_shape:
            model_cfg = replace(model_cfg, image_shape=data.image_shape)
        bar = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            bar = tqdm(total=0, unit="batch", leave=False)

        def progress(step: int, steps: int) -> None:
            if bar is not None:
                if bar.total != steps:
                    bar.reset(total=steps)
                bar.n = step
                bar.refresh() if step == steps or step % 20 == 0 else None

        train(data, model_cfg, cfg, out, args.resume, args.iwae_samples, progress)
        if bar is not None:
            bar.close()
    except (DatasetError, TrainingError, ValueError) as exc:
        if out.is_dir():
            write_status(out, state="failed", message=str(exc), note=Message.of(exc).record())
        print(f"error: {exc}", file=sys.stderr)
        return 1 if isinstance(exc, TrainingError) else 2
    except TimeLimit:
        if out.is_dir():
            limit = Message("stopped at the time limit of {limit:g} s", limit=args.time_limit)
            write_status(out, state="timed-out", message=str(limit), note=limit.record())
        print(f"stopped at the time limit of {args.time_limit:g} s", file=sys.stderr)
        return 124
    except (Cancelled, KeyboardInterrupt):
        done = Message("cancelled; --resume continues from the last epoch")
        write_status(out, state="cancelled", message=str(done), note=done.record())
        print("cancelled; the last complete epoch is kept (--resume continues)", file=sys.stderr)
        return 130
    except OSError as exc:
        print(
            f"error: could not write {out}: {exc}; the previous checkpoint is intact",
            file=sys.stderr,
        )
        return 1
    print(f"saved {out}", file=sys.stderr)
    return 0
