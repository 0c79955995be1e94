"""Hand-built ONNX graphs, a numpy reference of the browser spec; the VAEs from testkit."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from testkit.onnx_nets import (
    ConvDecoder,
    ConvEncoder,
    FcDecoder,
    FcEncoder,
    torch_export,
    write_images,
    write_vae_json,
)

__all__ = [
    "ConvDecoder",
    "ConvEncoder",
    "FcDecoder",
    "FcEncoder",
    "run_spec",
    "save",
    "tiny_decoder",
    "tiny_encoder",
    "tiny_folder",
    "torch_export",
    "write_images",
    "write_vae_json",
]


# --- hand-built graphs (onnx.helper) -------------------------------------------------------

SHAPE = (1, 4, 4)
LATENT = 2


def _model(
    nodes: list[onnx.NodeProto],
    inputs: list[Any],
    outputs: list[Any],
    inits: list[Any],
    domains: tuple[str, ...] = (),
) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "g", inputs, outputs, inits)
    opsets = [helper.make_opsetid("", 18)] + [helper.make_opsetid(d, 1) for d in domains]
    return helper.make_model(graph, opset_imports=opsets, ir_version=10)


def tiny_encoder(latent: int = LATENT, fill: float | None = None) -> onnx.ModelProto:
    """x (B, 1, 4, 4) -> Flatten -> MatMul -> mu, logvar; `fill` puts that value in the weights."""
    rng = np.random.default_rng(1)
    w1 = rng.normal(0, 0.3, (16, latent)).astype(np.float32)
    w2 = rng.normal(0, 0.1, (16, latent)).astype(np.float32)
    if fill is not None:
        w1[:] = fill
    return _model(
        [helper.make_node("Flatten", ["x"], ["h"], axis=1),
         helper.make_node("MatMul", ["h", "w1"], ["mu"]),
         helper.make_node("MatMul", ["h", "w2"], ["logvar"])],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["B", *SHAPE])],
        [helper.make_tensor_value_info("mu", TensorProto.FLOAT, ["B", latent]),
         helper.make_tensor_value_info("logvar", TensorProto.FLOAT, ["B", latent])],
        [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(w2, "w2")],
    )  # fmt: skip


def tiny_decoder(
    latent: int = LATENT, op: str = "Sigmoid", domain: str = "", declare: bool = True
) -> onnx.ModelProto:
    """z (B, D) -> MatMul -> Add -> op -> Reshape (B, 1, 4, 4): a mean decoder for op=Sigmoid."""
    rng = np.random.default_rng(2)
    w = rng.normal(0, 0.5, (latent, 16)).astype(np.float32)
    b = rng.normal(0, 0.1, (16,)).astype(np.float32)
    out_shape = ["B", *SHAPE] if declare else ["b", "n"]  # rank 2, sizes left to the trial
    return _model(
        [helper.make_node("MatMul", ["z", "w"], ["a"]),
         helper.make_node("Add", ["a", "b"], ["l"]),
         helper.make_node(op, ["l"], ["m"], domain=domain),
         helper.make_node("Reshape", ["m", "shape"], ["x"])],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["B", latent])],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, out_shape)],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b"),
         numpy_helper.from_array(np.array([-1, *SHAPE], np.int64), "shape")],
        (domain,) if domain else (),
    )  # fmt: skip


def save(model: onnx.ModelProto, path: Path, external: bool = True) -> None:
    """Save with every initializer in NAME.onnx.data beside it (as torch does), or inline."""
    if external:
        onnx.save_model(
            model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
            location=path.name + ".data", size_threshold=0,
        )  # fmt: skip
    else:
        onnx.save_model(model, str(path))


def tiny_folder(folder: Path, decoder: onnx.ModelProto | None = None, **fields: Any) -> Path:
    """A valid hand-built folder (mean decoder, images.npz); decoder and vae.json swappable."""
    folder.mkdir(parents=True, exist_ok=True)
    save(tiny_encoder(), folder / "encoder.onnx")
    save(decoder if decoder is not None else tiny_decoder(), folder / "decoder.onnx")
    write_vae_json(
        folder,
        **{"image_shape": list(SHAPE), "latent_dim": LATENT, "decoder_output": "mean", **fields},
    )
    write_images(folder, SHAPE)
    return folder


# --- a numpy reference of the browser decoder ----------------------------------------------


def _floats(b64: str, dtype: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(b64), "<f2" if dtype == "float16" else "<f4").astype(
        np.float64
    )


def run_spec(spec: dict[str, Any], z: np.ndarray) -> np.ndarray:
    """What decoder.js computes for a spec: its layers on one z (D,), then a sigmoid."""
    dt = spec["weight_dtype"]
    x = np.asarray(z, np.float64)
    for la in spec["layers"]:
        if la["type"] == "linear":
            w = _floats(la["weight"], dt).reshape(la["out"], la["in"])
            x = w @ x.reshape(-1) + (_floats(la["bias"], dt) if la["bias"] else 0.0)
        elif la["type"] == "relu":
            x = np.maximum(x, 0.0)
        elif la["type"] in ("flatten", "unflatten"):
            x = x.reshape(la.get("shape", [-1]))
        elif la["type"] == "conv_transpose2d":
            ci, co, (kh, kw) = la["in_channels"], la["out_channels"], la["kernel"]
            w = _floats(la["weight"], dt).reshape(ci, co, kh, kw)
            (sh, sw), (ph, pw), (dh, dw) = la["stride"], la["padding"], la["dilation"]
            _, ih, iw = la["in_shape"]
            _, oh, ow = la["out_shape"]
            full = np.zeros((co, oh + 2 * ph, ow + 2 * pw))
            x = x.reshape(ci, ih, iw)
            for ky in range(kh):
                for kx in range(kw):
                    part = np.einsum("ihw,io->ohw", x, w[:, :, ky, kx])
                    ys = slice(ky * dh, ky * dh + (ih - 1) * sh + 1, sh)
                    xs = slice(kx * dw, kx * dw + (iw - 1) * sw + 1, sw)
                    full[:, ys, xs] += part
            x = full[:, ph : ph + oh, pw : pw + ow]
            if la["bias"]:
                x = x + _floats(la["bias"], dt)[:, None, None]
        else:
            raise ValueError(la["type"])
    return 1.0 / (1.0 + np.exp(-x.reshape(spec["image_shape"])))
