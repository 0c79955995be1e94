"""Write a project run as an `onnx-vae/1` folder (the command `python -m vae.export RUN OUT`)."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from vae.model.networks import VAE
from vae.onnx.load import load_model
from vae.onnx.spec import DECODER_FILE, ENCODER_FILE, IMAGES_FILE, VAE_JSON, VaeJson, is_onnx_folder
from vae.runfolder.checkpoint import CheckpointError, load_checkpoint

OPSET = 18
"""ONNX operator-set version written: what torch's exporter supports and most runtimes read."""


class ExportError(CheckpointError):
    """A run cannot be exported to the given folder; the message says why and what to do."""


class _Encoder(nn.Module):
    """x -> (mu, logvar) of a project VAE, as its encode() gives them."""

    def __init__(self, model: VAE) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.model.encode(x)


class _Decoder(nn.Module):
    """z -> logits, plus the per-pixel log sigma for a Gaussian decoder."""

    def __init__(self, model: VAE) -> None:
        super().__init__()
        self.model = model

    def forward(self, z: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        logits = self.model.decode(z)
        if self.model.config.likelihood == "gaussian":
            return logits, self.model.pixel_log_scale()
        return logits


def export_graph(module: nn.Module, example: torch.Tensor, path: Path, names: list[str]) -> None:
    """torch.onnx.export with a free batch size and the weights as external data beside path."""
    batch = torch.export.Dim("batch")
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module.eval(),
            (example,),
            str(path),
            input_names=names[:1],
            output_names=names[1:],
            dynamic_shapes=({0: batch},),
            external_data=True,
            opset_version=OPSET,
            verbose=False,
        )


def write_folder(
    model: VAE, spec: VaeJson, images: np.ndarray, labels: np.ndarray, out: Path
) -> None:
    """The five files of an `onnx-vae/1` folder, written into an existing empty folder."""
    c, h, w = spec.image_shape
    gaussian = spec.likelihood == "gaussian"
    export_graph(_Encoder(model), torch.rand(2, c, h, w), out / ENCODER_FILE, ["x", "mu", "logvar"])
    dec_names = ["z", "x", "log_scale"] if gaussian else ["z", "x"]
    export_graph(_Decoder(model), torch.randn(2, spec.latent_dim), out / DECODER_FILE, dec_names)
    (out / VAE_JSON).write_text(json.dumps(spec.to_dict(), indent=2) + "\n", encoding="utf-8")
    np.savez_compressed(out / IMAGES_FILE, images=images, labels=labels.astype(np.int64))


def _replace(tmp: Path, out: Path) -> None:
    """Move the finished tmp folder to out; an existing out goes only once tmp is complete."""
    if out.exists():
        old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.old."))
        out.rename(old / out.name)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(out)


def export_run(run: str | Path, out: str | Path, force: bool = False) -> Path:
    """Write the run folder `run` as an `onnx-vae/1` folder `out`, checked by loading it back."""
    src, dst = Path(run), Path(out)
    if is_onnx_folder(src):
        raise ExportError(
            "{src} is already an imported {vae_json} folder; copy it instead",
            src=src,
            vae_json=VAE_JSON,
        )
    if dst.exists() and (not dst.is_dir() or any(dst.iterdir())) and not force:
        raise ExportError(
            "{dst} exists and is not empty; choose another folder or pass --force", dst=dst
        )
    if dst.is_symlink() or (dst.exists() and not dst.is_dir()):
        raise ExportError("{dst} is a file or a link, not a folder; choose another path", dst=dst)
    ckpt = load_checkpoint(src)
    cfg = ckpt.config
    model = ckpt.model
    spec = VaeJson(
        cfg.model.image_shape, cfg.model.latent_dim, cfg.model.likelihood, "logits",
        cfg.classes, cfg.dataset,
    )  # fmt: skip
    if len(ckpt.preview_x) == 0:
        raise ExportError(
            "{src} has no preview images to ship; it cannot be exported alone", src=src
        )
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=dst.parent, prefix=f".{dst.name}.tmp."))
    try:
        write_folder(model, spec, ckpt.preview_x, ckpt.preview_y, tmp)
        load_model(tmp)  # the folder must pass every check an importer makes
        tmp.chmod(0o755)
        _replace(tmp, dst)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dst


def main(argv: list[str] | None = None) -> int:
    """Command line: export RUN (a run folder) to OUT."""
    p = argparse.ArgumentParser(prog="python -m vae.export", description=__doc__)
    p.add_argument("run", help="run folder, e.g. checkpoints/mnist-2d")
    p.add_argument("out", help="folder to write (must not exist or be empty)")
    p.add_argument("--force", action="store_true", help="replace an existing folder")
    args = p.parse_args(argv)
    try:
        path = export_run(args.run, args.out, args.force)
    except CheckpointError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    files = sorted(f.name for f in path.iterdir())
    print(f"wrote {path}: {', '.join(files)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
