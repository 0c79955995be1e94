"""OnnxVAE: an imported encoder and decoder run by onnxruntime behind the VAE interface."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import numpy_helper
from torch import nn

from vae.model.config import ConfigError, ModelConfig
from vae.model.networks import VAE
from vae.onnx.spec import OnnxFolderError, VaeJson

MEAN_EPS = 1e-7
"""A decoder that outputs the mean m is turned into logits log(m / (1 - m)) with m clamped to
[MEAN_EPS, 1 - MEAN_EPS] (in float64): the rest of the app applies a sigmoid to logits, and a
mean of exactly 0 or 1 would be an infinite logit. A pixel's -log p(x|z) then moves by at most
about 1e-7 nats where image and mean agree, and is at most -log(MEAN_EPS) = 16.1 nats where they
disagree completely (torch's binary_cross_entropy caps it at 100)."""


@dataclass(frozen=True)
class ImportedModelConfig(ModelConfig):
    """ModelConfig of an imported model: arch 'onnx', no hidden_dims, its real weight count."""

    arch: str = "onnx"
    hidden_dims: tuple[int, ...] = ()
    parameters: int = 0

    def __post_init__(self) -> None:
        shape = tuple(self.image_shape)
        if (
            self.arch != "onnx"
            or len(shape) != 3
            or self.likelihood not in ("bernoulli", "gaussian")
        ):
            raise ConfigError("not an imported model's configuration: {self!r}", self=self)
        object.__setattr__(self, "image_shape", shape)
        object.__setattr__(self, "hidden_dims", tuple(self.hidden_dims))

    def parameter_count(self) -> int:
        """Number of weights in the two graphs' initializers."""
        return self.parameters


def make_session(model: onnx.ModelProto) -> ort.InferenceSession:
    """A CPU onnxruntime session from a checked, fully loaded model (bytes: it opens no file)."""
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.intra_op_num_threads = max(1, torch.get_num_threads())
    opts.inter_op_num_threads = 1
    try:
        return ort.InferenceSession(
            model.SerializeToString(), sess_options=opts, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # onnxruntime raises its own untyped errors
        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise OnnxFolderError(
            "onnxruntime cannot run the graph {name!r} ({first}); export it again",
            name=model.graph.name,
            first=first,
        ) from exc


def fixed_batch(session: ort.InferenceSession) -> int | None:
    """The batch size the graph's first input is fixed to, or None when it is free."""
    dim = session.get_inputs()[0].shape[0]
    return dim if isinstance(dim, int) and dim > 0 else None


def run(session: ort.InferenceSession, x: np.ndarray, names: list[str]) -> list[np.ndarray]:
    """The named outputs for input batch x; in zero-padded chunks when the batch size is fixed."""
    feed = session.get_inputs()[0].name
    x = np.ascontiguousarray(x, dtype=np.float32)
    n = fixed_batch(session)
    if n is None or len(x) == n:
        return [np.asarray(o) for o in session.run(names, {feed: x})]
    parts: list[list[np.ndarray]] = []
    for s in range(0, max(1, len(x)), n):
        chunk = x[s : s + n]
        pad = np.zeros((n - len(chunk), *x.shape[1:]), np.float32)
        parts.append(
            [np.asarray(o) for o in session.run(names, {feed: np.concatenate([chunk, pad])})]
        )
    out = []
    for i, first in enumerate(parts[0]):
        if first.ndim and first.shape[0] == n:
            out.append(np.concatenate([p[i] for p in parts])[: len(x)])
        else:
            out.append(first)  # not batched (a constant such as log_scale)
    return out


def mean_to_logits(mean: np.ndarray) -> np.ndarray:
    """logit(clamp(mean, MEAN_EPS, 1 - MEAN_EPS)), computed in float64, as float32."""
    m = np.clip(mean.astype(np.float64), MEAN_EPS, 1.0 - MEAN_EPS)
    return (np.log(m) - np.log1p(-m)).astype(np.float32)


class OnnxVAE(VAE):
    """encode/decode/forward of VAE on onnxruntime sessions; decode returns logits.

    Holds no trainable weights: one empty parameter tells callers the device (CPU), and a
    Gaussian model's per-pixel log sigma is a fixed (C, H, W) parameter.
    """

    def __init__(
        self,
        config: ImportedModelConfig,
        spec: VaeJson,
        encoder: ort.InferenceSession,
        decoder: ort.InferenceSession,
        decoder_graph: onnx.ModelProto,
        log_scale: np.ndarray | None,
        path: Path,
    ) -> None:
        nn.Module.__init__(self)
        self.config = config
        self.spec = spec
        self.path = path
        self.encoder_session = encoder
        self.decoder_session = decoder
        self.decoder_graph = decoder_graph
        self.anchor = nn.Parameter(torch.zeros(0), requires_grad=False)
        if log_scale is not None:
            self.log_scale = nn.Parameter(torch.from_numpy(log_scale.copy()), requires_grad=False)
        self.eval()

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, C, H, W) in [0, 1] -> mu, logvar: (B, D), logvar clamped as VAE.encode does."""
        mu, logvar = run(self.encoder_session, x.detach().float().cpu().numpy(), ["mu", "logvar"])
        mu_t = torch.from_numpy(mu).to(x.device)
        return mu_t, torch.from_numpy(logvar).to(x.device).clamp(-30.0, 20.0)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z: (B, D) -> logits (B, C, H, W); a 'mean' output goes through mean_to_logits."""
        out = run(self.decoder_session, z.detach().float().cpu().numpy(), ["x"])[0]
        c, h, w = self.config.image_shape
        out = out.reshape(len(out), c, h, w)
        if self.spec.decoder_output == "mean":
            out = mean_to_logits(out)
        return torch.from_numpy(np.ascontiguousarray(out)).to(z.device)

    def decoder_rounded_to_float16(self) -> OnnxVAE:
        """A copy whose decoder weights are rounded to float16: what a float16 browser spec runs.

        The sessions cannot be deep-copied, so the decoder graph is rebuilt (float initializers
        and Constant tensors rounded) and the encoder session is shared.
        """
        graph = onnx.ModelProto()
        graph.CopyFrom(self.decoder_graph)
        tensors = list(graph.graph.initializer) + [
            a.t for n in graph.graph.node if n.op_type == "Constant" for a in n.attribute
            if a.type == onnx.AttributeProto.TENSOR
        ]  # fmt: skip
        for t in tensors:
            if t.data_type == onnx.TensorProto.FLOAT:
                a = numpy_helper.to_array(t).astype(np.float16).astype(np.float32)
                t.CopyFrom(numpy_helper.from_array(a, t.name))
        log_scale = self.log_scale.numpy() if hasattr(self, "log_scale") else None
        config = self.config
        assert isinstance(config, ImportedModelConfig)
        return OnnxVAE(
            config, self.spec, self.encoder_session, make_session(graph), graph,
            log_scale, self.path,
        )  # fmt: skip

    def pixel_log_scale(self) -> torch.Tensor:
        """Per-pixel log sigma of a Gaussian decoder (C, H, W); not floored."""
        if self.config.likelihood != "gaussian":
            raise AttributeError("a Bernoulli decoder has no pixel scale")
        return self.log_scale


def _shape_text(a: Any) -> str:
    return "(" + ", ".join(str(s) for s in np.shape(a)) + ")"


def constant_log_scale(
    outs: list[list[np.ndarray]], shape: tuple[int, int, int], path: Path
) -> np.ndarray:
    """The decoder's log_scale output as a (C, H, W) array; it must not depend on z."""
    first = outs[0][1]
    for o in outs:
        a = o[1]
        if a.ndim == 4:
            if not np.allclose(a, a[:1], atol=1e-6):
                raise OnnxFolderError(
                    "{path}: output log_scale changes with z; only a per-pixel sigma that is "
                    "the same for every z is supported. Give gaussian_sigma in vae.json instead",
                    path=path,
                )
            a = a[0]
        if not np.allclose(a, first[0] if first.ndim == 4 else first, atol=1e-6):
            raise OnnxFolderError(
                "{path}: output log_scale changes with z; see gaussian_sigma", path=path
            )
    a = first[0] if first.ndim == 4 else first
    try:
        scale = np.broadcast_to(a.astype(np.float32), shape).copy()
    except ValueError as exc:
        raise OnnxFolderError(
            "{path}: output log_scale has shape {shape_text}, which does not fit the "
            "image shape {shape}; give one value per pixel, a scalar, or gaussian_sigma",
            path=path,
            shape_text=_shape_text(a),
            shape=list(shape),
        ) from exc
    if not np.isfinite(scale).all():
        raise OnnxFolderError("{path}: output log_scale holds NaN or infinite values", path=path)
    return scale


def gaussian_log_scale(spec: VaeJson, has_output: bool) -> np.ndarray | None:
    """log sigma from vae.json's gaussian_sigma (None when the decoder gives it instead)."""
    if spec.likelihood != "gaussian" or has_output:
        return None
    if spec.gaussian_sigma is None:
        raise OnnxFolderError(
            "vae.json: field 'gaussian_sigma' is missing; a gaussian model needs it unless "
            "decoder.onnx has a second output named log_scale. Add it to vae.json"
        )
    return np.full(spec.image_shape, math.log(spec.gaussian_sigma), np.float32)
