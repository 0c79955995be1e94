"""An imported model's cost: encode and decode in onnxruntime against the same network in torch."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bench.report import Section, cell, ratios, stat
from bench.server_costs import timed
from vae.analysis.explore import decode, encode
from vae.onnx.export import export_run
from vae.onnx.load import load_onnx_folder
from vae.runfolder.checkpoint import load_checkpoint
from vae.runfolder.runs import checkpoint_dir, list_runs


def onnx_import(sec: Section, p: dict[str, Any]) -> None:
    """Each shipped run exported to onnx-vae/1, imported, timed beside its torch original.

    p: "onnx_repeats" (calls per figure, after one warm-up) and "onnx_images" (batch size).
    """
    runs = [r for r in list_runs() if r.ok]
    if not runs:
        raise RuntimeError(f"no usable checkpoint in {checkpoint_dir()}")
    n, repeats = int(p["onnx_images"]), int(p["onnx_repeats"])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for run in runs:
            torch_model = load_checkpoint(checkpoint_dir() / run.name).model
            folder = export_run(checkpoint_dir() / run.name, Path(tmp) / run.name)
            onnx_model = load_onnx_folder(folder, metrics=False).model
            images = np.resize(
                load_checkpoint(checkpoint_dir() / run.name).preview_x,
                (n, *torch_model.config.image_shape),
            )
            z = (
                np.random.default_rng(0)
                .standard_normal((n, run.latent_dim or 1))
                .astype(np.float32)
            )
            one = z[:1]
            figures = []
            calls = (
                lambda m: encode(m, images),  # noqa: B023
                lambda m: decode(m, z),  # noqa: B023
                lambda m: decode(m, one),  # noqa: B023
            )
            for fn in calls:
                t_torch = timed(lambda: fn(torch_model), repeats)  # noqa: B023
                t_onnx = timed(lambda: fn(onnx_model), repeats)  # noqa: B023
                figures += [
                    cell(stat(t_torch), "ms"),
                    cell(stat(t_onnx), "ms"),
                    cell(ratios(t_onnx, t_torch), "×"),
                ]
            rows.append([f"{run.name} ({run.arch}, z = {run.latent_dim})", *figures])
    sec.add(
        f"vae.explore.encode / decode as the pages call them, on {n:,} images (or latent points) "
        f"and on one point, torch with {torch.get_num_threads()} thread(s) against onnxruntime "
        f"(CPU, as many intra-op threads); n = {repeats} calls after one warm-up. The imported "
        "model is the run itself, exported with `python -m vae.export`."
    )
    header = ["checkpoint"]
    for what in (f"encode {n:,}", f"decode {n:,}", "decode 1"):
        header += [f"{what} torch", f"{what} onnx", "onnx / torch"]
    sec.table(header, rows)
