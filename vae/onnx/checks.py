"""Do the graphs' inputs and outputs agree with vae.json? Declared shapes, then a trial run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

from vae.errors import Message
from vae.onnx.adapter import run
from vae.onnx.spec import OnnxFolderError, VaeJson

TRIAL_BATCH = 3
"""Images (and latent points) in the trial run that every imported model must pass."""
MEAN_TOLERANCE = 1e-5
"""How far a Bernoulli 'mean' output may stray outside [0, 1] in the trial (rounding)."""


def _dims(value: onnx.ValueInfoProto) -> list[int | str]:
    """Declared dims of a tensor value: an int, or '?' for a named or unknown size."""
    shape = value.type.tensor_type.shape
    return [d.dim_value if d.HasField("dim_value") else "?" for d in shape.dim]


def _inputs(graph: onnx.GraphProto) -> list[onnx.ValueInfoProto]:
    """Graph inputs that are fed at run time (initializers listed as inputs are not)."""
    consts = {t.name for t in graph.initializer}
    return [i for i in graph.input if i.name not in consts]


def _names(values: list[onnx.ValueInfoProto]) -> list[str]:
    return [v.name for v in values]


def _expect(path: Path, what: Message, got: list[str], allowed: list[list[str]]) -> None:
    if got not in allowed:
        want = " or ".join(str(a) for a in allowed)
        raise OnnxFolderError(
            "{path}: {what} are named {got}, expected {want}; export with "
            "input_names=[...] and output_names=[...] set to those names",
            path=path,
            what=what,
            got=got,
            want=want,
        )


def _check_declared(path: Path, value: onnx.ValueInfoProto, want: list[list[int]]) -> None:
    """A declared (rank, sizes) that must match one of `want` (batch dim free)."""
    t = value.type.tensor_type
    if value.type.HasField("tensor_type") and t.elem_type != onnx.TensorProto.FLOAT:
        raise OnnxFolderError(
            "{path}: {name!r} is of type {type}, expected float32; export the model in float32",
            path=path,
            name=value.name,
            type=onnx.TensorProto.DataType.Name(t.elem_type),
        )
    if not t.HasField("shape"):
        return  # undeclared: the trial run checks it
    dims = _dims(value)
    for shape in want:
        if len(dims) == len(shape) and all(
            d in ("?", s) for d, s in zip(dims[1:], shape[1:], strict=True)
        ):
            return
    sizes = " or ".join("(B, " + ", ".join(map(str, s[1:])) + ")" for s in want)
    raise OnnxFolderError(
        "{path}: {name!r} is declared as {dims}, but vae.json implies {sizes}; "
        "fix image_shape / latent_dim in vae.json or export the model again",
        path=path,
        name=value.name,
        dims=tuple(dims),
        sizes=sizes,
    )


def check_io(folder: Path, spec: VaeJson, enc: onnx.ModelProto, dec: onnx.ModelProto) -> bool:
    """Names, types and declared shapes of both graphs; True when decoder gives log_scale."""
    c, h, w = spec.image_shape
    d = spec.latent_dim
    epath, dpath = folder / "encoder.onnx", folder / "decoder.onnx"
    _expect(epath, Message("its inputs"), _names(_inputs(enc.graph)), [["x"]])
    _expect(epath, Message("its outputs"), _names(list(enc.graph.output)), [["mu", "logvar"]])
    _expect(dpath, Message("its inputs"), _names(_inputs(dec.graph)), [["z"]])
    outs = [["x"], ["x", "log_scale"]] if spec.likelihood == "gaussian" else [["x"]]
    _expect(dpath, Message("its outputs"), _names(list(dec.graph.output)), outs)
    _check_declared(epath, _inputs(enc.graph)[0], [[0, c, h, w]])
    for value in enc.graph.output:
        _check_declared(epath, value, [[0, d]])
    _check_declared(dpath, _inputs(dec.graph)[0], [[0, d]])
    _check_declared(dpath, dec.graph.output[0], [[0, c, h, w], [0, c * h * w]])
    return len(dec.graph.output) == 2


def _finite(path: Path, name: str, a: np.ndarray) -> None:
    if not np.isfinite(a).all():
        raise OnnxFolderError(
            "{path}: output {name!r} holds NaN or infinite values on a trial batch of "
            "{trial_batch} inputs; the model is broken (diverged or badly exported)",
            path=path,
            name=name,
            trial_batch=TRIAL_BATCH,
        )


def _shape(path: Path, name: str, a: np.ndarray, want: list[tuple[int, ...]]) -> None:
    if tuple(a.shape) not in want:
        raise OnnxFolderError(
            "{path}: on a trial batch of {trial_batch}, output {name!r} has shape "
            "{shape}, but vae.json implies {expected}; fix "
            "image_shape / latent_dim in vae.json or export the model again",
            path=path,
            trial_batch=TRIAL_BATCH,
            name=name,
            shape=tuple(a.shape),
            expected=" or ".join(map(str, want)),
        )


def trial_run(
    folder: Path, spec: VaeJson, enc: ort.InferenceSession, dec: ort.InferenceSession
) -> list[list[np.ndarray]]:
    """Encode a seeded batch, decode its means and prior draws; returns the decoder outputs."""
    c, h, w = spec.image_shape
    b, d = TRIAL_BATCH, spec.latent_dim
    epath, dpath = folder / "encoder.onnx", folder / "decoder.onnx"
    rng = np.random.default_rng(0)
    x = rng.random((b, c, h, w), dtype=np.float32)
    try:
        mu, logvar = run(enc, x, ["mu", "logvar"])
        for name, a in (("mu", mu), ("logvar", logvar)):
            _shape(epath, name, a, [(b, d)])
            _finite(epath, name, a)
        names = [o.name for o in dec.get_outputs()]
        z2 = rng.standard_normal((b, d)).astype(np.float32)
        outs = [run(dec, z, names) for z in (mu, z2)]
    except OnnxFolderError:
        raise
    except Exception as exc:  # onnxruntime's errors have no common base class
        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise OnnxFolderError(
            "{folder}: the trial run on a batch of {b} failed ({first}); check that "
            "image_shape and latent_dim in vae.json match the model and that its batch "
            "size is free (dynamic_axes or dynamic_shapes in torch.onnx.export)",
            folder=folder,
            b=b,
            first=first,
        ) from exc
    for o in outs:
        _shape(dpath, "x", o[0], [(b, c, h, w), (b, c * h * w)])
        _finite(dpath, "x", o[0])
        if len(o) > 1:
            _finite(dpath, "log_scale", o[1])
        if spec.decoder_output == "mean" and spec.likelihood == "bernoulli":
            lo, hi = float(o[0].min()), float(o[0].max())
            if lo < -MEAN_TOLERANCE or hi > 1 + MEAN_TOLERANCE:
                raise OnnxFolderError(
                    "{dpath}: decoder_output is 'mean' but the trial output spans "
                    "[{lo:.3g}, {hi:.3g}], outside [0, 1]; if the decoder outputs logits "
                    "set decoder_output to 'logits' in vae.json",
                    dpath=dpath,
                    lo=lo,
                    hi=hi,
                )
    return outs
