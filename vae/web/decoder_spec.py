"""A compact, JSON-serialisable description of a VAE decoder, for decoding in a web browser.

The browser decoder (components/live_decoder/decoder.js) runs the same layers in plain
JavaScript and applies the sigmoid at the end, so it shows the same image mean as
`VAE.decode_mean`: the Bernoulli mean, or the Gaussian mean for real-valued data.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from typing import Any, Literal, TypedDict

import numpy as np
import torch
from torch import nn

from vae.errors import VAEError
from vae.model.networks import VAE

SPEC_FORMAT = "vae-decoder/2"  # 2: weights in the spec's weight_dtype (float32 or float16)
# Decoders whose float32 weights exceed this travel as float16: half the bytes, and the decoded
# image moves by well under one grey level (checked against PyTorch in the browser tests).
FLOAT16_ABOVE_BYTES = 1_000_000
FLOAT16_MAX = 65504.0
WeightDtype = Literal["auto", "float32", "float16"]
_WIRE: dict[str, np.dtype[Any]] = {"float32": np.dtype("<f4"), "float16": np.dtype("<f2")}


# The spec's shape, as decoder.js reads it. Weights are base64 strings of the spec's
# weight_dtype, little-endian, C order; a layer without bias has None.
LinearSpec = TypedDict(
    "LinearSpec",
    {"type": Literal["linear"], "in": int, "out": int, "weight": str, "bias": str | None},
)


class ReluSpec(TypedDict):
    type: Literal["relu"]


class UnflattenSpec(TypedDict):
    type: Literal["unflatten"]
    shape: list[int]


class FlattenSpec(TypedDict):
    type: Literal["flatten"]


class ConvTransposeSpec(TypedDict):
    type: Literal["conv_transpose2d"]
    in_channels: int
    out_channels: int
    kernel: list[int]
    stride: list[int]
    padding: list[int]
    output_padding: list[int]
    dilation: list[int]
    in_shape: list[int]
    out_shape: list[int]
    weight: str  # (in, out, kh, kw)
    bias: str | None


LayerSpec = LinearSpec | ReluSpec | UnflattenSpec | FlattenSpec | ConvTransposeSpec


class DecoderSpec(TypedDict):
    """What crosses into JavaScript: the decoder, layer by layer (see decoder.js)."""

    id: str  # a digest of the rest: the browser parses the weights once per id
    format: str  # SPEC_FORMAT
    latent_dim: int
    image_shape: list[int]  # (C, H, W)
    likelihood: str
    layers: list[LayerSpec]
    weight_dtype: str  # "float32" or "float16"
    weight_bytes: int


class UnsupportedDecoder(VAEError, ValueError):
    """The decoder holds a layer the browser decoder does not implement; decode on the server."""


def _b64(t: torch.Tensor, dtype: str) -> str:
    """float32 or float16, little-endian, C order, base64."""
    a = t.detach().cpu().to(torch.float32).contiguous().numpy().astype(_WIRE[dtype])
    return base64.b64encode(a.tobytes()).decode("ascii")


def _pick_dtype(model: VAE, asked: WeightDtype) -> str:
    params = list(model.decoder.parameters())
    if asked == "float32" or (
        asked == "auto" and sum(p.numel() for p in params) * 4 <= FLOAT16_ABOVE_BYTES
    ):
        return "float32"
    fits_half = all(float(p.detach().abs().max()) < FLOAT16_MAX for p in params if p.numel())
    if asked == "float16" and not fits_half:
        raise ValueError(f"a decoder weight is beyond float16's range (±{FLOAT16_MAX:g})")
    return "float16" if fits_half else "float32"


def _pair(v: int | tuple[int, ...]) -> list[int]:
    return [int(v), int(v)] if isinstance(v, int) else [int(x) for x in v]


def _flat_layers(module: nn.Module) -> list[nn.Module]:
    if isinstance(module, nn.Sequential):
        return [leaf for child in module for leaf in _flat_layers(child)]
    return [module]


def _numel(shape: list[int]) -> int:
    return int(np.prod(shape)) if shape else 1


def _linear(layer: nn.Linear, shape: list[int], dtype: str) -> tuple[LinearSpec, list[int]]:
    if len(shape) != 1 or shape[0] != layer.in_features:
        raise UnsupportedDecoder(
            "Linear({in_features}) receives an input of {shape}",
            in_features=layer.in_features,
            shape=shape,
        )
    spec: LinearSpec = {
        "type": "linear",
        "in": layer.in_features,
        "out": layer.out_features,
        "weight": _b64(layer.weight, dtype),  # (out, in)
        "bias": _b64(layer.bias, dtype) if layer.bias is not None else None,
    }
    return spec, [layer.out_features]


def _unflatten(layer: nn.Unflatten, shape: list[int]) -> tuple[UnflattenSpec, list[int]]:
    sizes = [int(s) for s in layer.unflattened_size]
    if layer.dim not in (1, -1) or len(shape) != 1:
        raise UnsupportedDecoder(
            "Unflatten(dim={dim}) on an input of {shape}", dim=layer.dim, shape=shape
        )
    if _numel(sizes) != shape[0] or any(s < 1 for s in sizes):
        raise UnsupportedDecoder(
            "Unflatten to {sizes} does not fit an input of {shape}", sizes=sizes, shape=shape
        )
    return {"type": "unflatten", "shape": sizes}, sizes


def _flatten(layer: nn.Flatten, shape: list[int]) -> tuple[FlattenSpec, list[int]]:
    if layer.start_dim != 1 or layer.end_dim != -1:
        raise UnsupportedDecoder(
            "Flatten({start_dim}, {end_dim}) is not supported",
            start_dim=layer.start_dim,
            end_dim=layer.end_dim,
        )
    return {"type": "flatten"}, [_numel(shape)]


def _conv_t(
    layer: nn.ConvTranspose2d, shape: list[int], dtype: str
) -> tuple[ConvTransposeSpec, list[int]]:
    if layer.groups != 1 or layer.padding_mode != "zeros":
        raise UnsupportedDecoder("ConvTranspose2d with groups or a non-zero padding mode")
    if len(shape) != 3 or shape[0] != layer.in_channels:
        raise UnsupportedDecoder(
            "ConvTranspose2d({in_channels}, ...) receives {shape}",
            in_channels=layer.in_channels,
            shape=shape,
        )
    if isinstance(layer.padding, str):
        raise UnsupportedDecoder("ConvTranspose2d with padding={padding!r}", padding=layer.padding)
    k, s, p = _pair(layer.kernel_size), _pair(layer.stride), _pair(layer.padding)
    op, d = _pair(layer.output_padding), _pair(layer.dilation)
    out_hw = [(shape[1 + i] - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + op[i] + 1 for i in (0, 1)]
    if min(out_hw) < 1:
        raise UnsupportedDecoder("ConvTranspose2d gives an empty output from {shape}", shape=shape)
    out = [layer.out_channels, *out_hw]
    spec: ConvTransposeSpec = {
        "type": "conv_transpose2d",
        "in_channels": layer.in_channels,
        "out_channels": layer.out_channels,
        "kernel": k,
        "stride": s,
        "padding": p,
        "output_padding": op,
        "dilation": d,
        "in_shape": list(shape),
        "out_shape": out,
        "weight": _b64(layer.weight, dtype),  # (in, out, kh, kw)
        "bias": _b64(layer.bias, dtype) if layer.bias is not None else None,
    }
    return spec, out


def decoder_spec(model: VAE, weight_dtype: WeightDtype = "auto") -> DecoderSpec:
    """Describe `model.decoder` layer by layer, weights in base64 (little-endian).

    weight_dtype "auto" sends float16 when the float32 weights exceed FLOAT16_ABOVE_BYTES
    and every weight fits float16's range, else float32; the spec records the choice.
    Raises UnsupportedDecoder for any layer or structure the browser decoder does not know.
    """
    if weight_dtype not in ("auto", "float32", "float16"):
        raise ValueError(f"weight_dtype must be auto, float32 or float16, got {weight_dtype!r}")
    if type(model).decode is not VAE.decode:
        raise UnsupportedDecoder("{kind} overrides decode()", kind=type(model).__name__)
    cfg = model.config
    dtype = _pick_dtype(model, weight_dtype)
    shape = [cfg.latent_dim]
    layers: list[LayerSpec] = []
    weight_bytes = 0
    itemsize = _WIRE[dtype].itemsize
    for layer in _flat_layers(model.decoder):
        spec: LayerSpec
        if isinstance(layer, nn.Linear):
            spec, shape = _linear(layer, shape, dtype)
        elif isinstance(layer, nn.ReLU):
            spec = {"type": "relu"}
        elif isinstance(layer, nn.Unflatten):
            spec, shape = _unflatten(layer, shape)
        elif isinstance(layer, nn.Flatten):
            spec, shape = _flatten(layer, shape)
        elif type(layer) is nn.ConvTranspose2d:
            spec, shape = _conv_t(layer, shape, dtype)
        else:
            raise UnsupportedDecoder(
                "the browser decoder does not implement {kind}", kind=type(layer).__name__
            )
        weight_bytes += sum(p.numel() * itemsize for p in layer.parameters(recurse=False))
        layers.append(spec)
    image_shape = list(cfg.image_shape)
    if _numel(shape) != _numel(image_shape) or (len(shape) == 3 and shape != image_shape):
        raise UnsupportedDecoder(
            "the decoder's output {shape} is not an image of {image_shape}",
            shape=shape,
            image_shape=image_shape,
        )
    body = {
        "format": SPEC_FORMAT,
        "latent_dim": cfg.latent_dim,
        "image_shape": image_shape,
        "likelihood": cfg.likelihood,
        "layers": layers,
        "weight_dtype": dtype,
        "weight_bytes": weight_bytes,
    }
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
    return DecoderSpec(
        id=digest,
        format=SPEC_FORMAT,
        latent_dim=cfg.latent_dim,
        image_shape=image_shape,
        likelihood=cfg.likelihood,
        layers=layers,
        weight_dtype=dtype,
        weight_bytes=weight_bytes,
    )


def spec_json_bytes(spec: DecoderSpec) -> int:
    """Size of the spec as compact JSON: what travels to the browser."""
    return len(json.dumps(spec, separators=(",", ":")).encode())


def model_as_sent(model: VAE, spec: DecoderSpec) -> VAE:
    """The model the browser runs for `spec`: decoder weights rounded to its weight_dtype."""
    if spec.get("weight_dtype", "float32") == "float32":
        return model
    rounded = getattr(model, "decoder_rounded_to_float16", None)
    if callable(rounded):  # an imported model (vae.onnx): its sessions cannot be deep-copied
        sent_model: VAE = rounded()
        return sent_model
    sent = copy.deepcopy(model)
    with torch.no_grad():
        for p in sent.decoder.parameters():
            p.copy_(p.half().float())
    return sent
