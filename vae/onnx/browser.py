"""An imported decoder.onnx as the in-browser decoder's spec, when it is a plain chain of layers.

The browser decoder (components/live_decoder/decoder.js) runs linear, relu, reshape and
conv_transpose2d layers and applies a sigmoid at the end. A graph from z to x made of
MatMul/Gemm (+ Add of a bias), Relu, Reshape/Flatten, ConvTranspose and no-ops (Identity,
Dropout) maps onto it; a 'mean' decoder must end in Sigmoid (then only reshapes), which
becomes the browser's final sigmoid. Anything else raises UnsupportedDecoder with the reason.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import numpy as np
import onnx
from onnx import numpy_helper

from vae.onnx.adapter import OnnxVAE
from vae.onnx.spec import VaeJson
from vae.web.decoder_spec import (
    FLOAT16_ABOVE_BYTES,
    FLOAT16_MAX,
    SPEC_FORMAT,
    UnsupportedDecoder,
    WeightDtype,
)

NO_OPS = ("Identity", "Dropout")
RESHAPES = ("Reshape", "Flatten")
Layer = dict[str, Any]


def _attrs(node: onnx.NodeProto) -> dict[str, Any]:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _constants(graph: onnx.GraphProto) -> dict[str, np.ndarray]:
    """Initializers and Constant-node outputs by name."""
    out = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant" and node.domain in ("", "ai.onnx"):
            value = _attrs(node).get("value")
            if isinstance(value, onnx.TensorProto):
                out[node.output[0]] = numpy_helper.to_array(value)
    return out


def _chain(graph: onnx.GraphProto, consts: dict[str, np.ndarray]) -> list[onnx.NodeProto]:
    """The nodes from input z to output x, in order; each has one non-constant input."""
    producer = {o: n for n in graph.node for o in n.output}
    name, chain = "x", []
    while name != "z":
        node = producer.get(name)
        if node is None:
            raise UnsupportedDecoder(
                "the decoder output x does not come from z through {name!r}", name=name
            )
        data = [i for i in node.input if i and i not in consts]
        if len(data) != 1 or (node.input[0] != data[0] and node.op_type != "Add"):
            raise UnsupportedDecoder(
                "{op_type} node {name!r} is not a step of a chain",
                op_type=node.op_type,
                name=node.name,
            )
        chain.append(node)
        name = data[0]
    return chain[::-1]


def _linear(w: np.ndarray, b: np.ndarray | None, shape: list[int]) -> tuple[Layer, list[int]]:
    """w: (out, in), b: (out,) or None."""
    if len(shape) != 1 or w.ndim != 2 or w.shape[1] != shape[0]:
        raise UnsupportedDecoder(
            "a matrix product of {weights} receives an input of {shape}",
            weights=list(w.shape),
            shape=shape,
        )
    layer = {"type": "linear", "in": int(w.shape[1]), "out": int(w.shape[0]), "w": w, "b": b}
    return layer, [int(w.shape[0])]


def _gemm(
    node: onnx.NodeProto, consts: dict[str, np.ndarray], shape: list[int]
) -> tuple[Layer, list[int]]:
    a = _attrs(node)
    if a.get("transA", 0):
        raise UnsupportedDecoder("Gemm with transA")
    w = consts[node.input[1]].astype(np.float64) * float(a.get("alpha", 1.0))
    w = w if a.get("transB", 0) else w.T
    b = None
    if len(node.input) > 2 and node.input[2]:
        c = consts[node.input[2]].astype(np.float64) * float(a.get("beta", 1.0))
        b = np.broadcast_to(c.reshape(-1) if c.size == w.shape[0] else c, (w.shape[0],)).copy()
    return _linear(w, b, shape)


def _add_bias(layer: Layer, bias: np.ndarray) -> None:
    """Fold Add of a constant into the linear layer before it."""
    out = layer["out"]
    if layer["type"] != "linear" or bias.size not in (1, out) or bias.ndim > 2:
        raise UnsupportedDecoder("an Add that is not the bias of the layer before it")
    b = np.broadcast_to(bias.reshape(-1), (out,)).astype(np.float64)
    layer["b"] = b if layer["b"] is None else layer["b"] + b


def _reshape(
    node: onnx.NodeProto, consts: dict[str, np.ndarray], shape: list[int]
) -> tuple[Layer, list[int]]:
    n = int(np.prod(shape))
    if node.op_type == "Flatten":
        if _attrs(node).get("axis", 1) != 1:
            raise UnsupportedDecoder("Flatten with an axis other than 1")
        return {"type": "flatten"}, [n]
    if len(node.input) < 2 or node.input[1] not in consts:
        raise UnsupportedDecoder("a Reshape whose target shape is computed at run time")
    target = [int(s) for s in consts[node.input[1]].reshape(-1)]
    if not target or (target[0] not in (-1, 0) and target[0] < 1):
        raise UnsupportedDecoder("a Reshape to {target}", target=target)
    rest = [shape[i] if s == 0 and i < len(shape) else s for i, s in enumerate(target[1:])]
    if rest.count(-1) == 1 and target[0] != -1:
        known = int(np.prod([s for s in rest if s != -1]))
        rest = [n // known if s == -1 else s for s in rest]
    if any(s < 1 for s in rest) or int(np.prod(rest)) != n:
        raise UnsupportedDecoder(
            "a Reshape to {target} of an input of {shape} (per item)", target=target, shape=shape
        )
    return ({"type": "flatten"} if len(rest) == 1 else {"type": "unflatten", "shape": rest}), rest


def _conv_t(
    node: onnx.NodeProto, consts: dict[str, np.ndarray], shape: list[int]
) -> tuple[Layer, list[int]]:
    a = _attrs(node)
    w = consts[node.input[1]]
    if a.get("group", 1) != 1 or a.get("output_shape") or w.ndim != 4:
        raise UnsupportedDecoder("ConvTranspose with groups, output_shape or a non-2-D kernel")
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise UnsupportedDecoder("ConvTranspose with auto_pad={auto_pad!r}", auto_pad=a["auto_pad"])
    if len(shape) != 3 or shape[0] != w.shape[0]:
        raise UnsupportedDecoder(
            "ConvTranspose of {channels} channels receives {shape}",
            channels=w.shape[0],
            shape=shape,
        )
    k = [int(v) for v in a.get("kernel_shape", w.shape[2:])]
    s = [int(v) for v in a.get("strides", [1, 1])]
    pads = [int(v) for v in a.get("pads", [0, 0, 0, 0])]
    op = [int(v) for v in a.get("output_padding", [0, 0])]
    d = [int(v) for v in a.get("dilations", [1, 1])]
    if pads[:2] != pads[2:] or k != list(w.shape[2:]):
        raise UnsupportedDecoder("ConvTranspose with uneven pads {pads}", pads=pads)
    p = pads[:2]
    out_hw = [(shape[1 + i] - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + op[i] + 1 for i in (0, 1)]
    if min(out_hw) < 1:
        raise UnsupportedDecoder("ConvTranspose gives an empty output from {shape}", shape=shape)
    out = [int(w.shape[1]), *out_hw]
    bias = consts[node.input[2]] if len(node.input) > 2 and node.input[2] else None
    layer = {
        "type": "conv_transpose2d", "in_channels": shape[0], "out_channels": out[0],
        "kernel": k, "stride": s, "padding": p, "output_padding": op, "dilation": d,
        "in_shape": list(shape), "out_shape": out, "w": w, "b": bias,
    }  # fmt: skip
    return layer, out


def _layers(graph: onnx.GraphProto, spec: VaeJson) -> list[Layer]:
    consts = _constants(graph)
    shape, layers, sigmoid = [spec.latent_dim], [], False
    for node in _chain(graph, consts):
        op = node.op_type
        if sigmoid and op not in RESHAPES + NO_OPS:
            raise UnsupportedDecoder(
                "{op} after the Sigmoid (the browser ends with the sigmoid)", op=op
            )
        if node.domain not in ("", "ai.onnx"):
            raise UnsupportedDecoder(
                "operator {op} of domain {domain!r}", op=op, domain=node.domain
            )
        if op in ("Gemm", "MatMul"):
            if op == "Gemm":
                layer, shape = _gemm(node, consts, shape)
            else:
                layer, shape = _linear(consts[node.input[1]].astype(np.float64).T, None, shape)
            layers.append(layer)
        elif op == "Add":
            if not layers:
                raise UnsupportedDecoder("an Add before any layer")
            _add_bias(layers[-1], consts[next(i for i in node.input if i in consts)])
        elif op == "Relu":
            layers.append({"type": "relu"})
        elif op in RESHAPES:
            layer, shape = _reshape(node, consts, shape)
            layers.append(layer)
        elif op == "ConvTranspose":
            layer, shape = _conv_t(node, consts, shape)
            layers.append(layer)
        elif op == "Sigmoid" and spec.decoder_output == "mean":
            sigmoid = True
        elif op not in NO_OPS:
            raise UnsupportedDecoder("the browser decoder does not implement {op}", op=op)
    if spec.decoder_output == "mean" and not sigmoid:
        raise UnsupportedDecoder("a 'mean' decoder that does not end in Sigmoid")
    c, h, w = spec.image_shape
    if int(np.prod(shape)) != c * h * w or (len(shape) == 3 and shape != [c, h, w]):
        raise UnsupportedDecoder(
            "the decoder's output {shape} is not an image of {expected}",
            shape=shape,
            expected=[c, h, w],
        )
    return layers


def _b64(a: np.ndarray, dtype: str) -> str:
    wire = np.dtype("<f2") if dtype == "float16" else np.dtype("<f4")
    return base64.b64encode(np.ascontiguousarray(a, np.float32).astype(wire).tobytes()).decode()


def graph_spec(
    graph: onnx.ModelProto, spec: VaeJson, weight_dtype: WeightDtype = "auto"
) -> dict[str, Any]:
    """decoder.onnx as a `vae-decoder/2` spec, the same dict vae.export.decoder_spec gives."""
    if weight_dtype not in ("auto", "float32", "float16"):
        raise ValueError(f"weight_dtype must be auto, float32 or float16, got {weight_dtype!r}")
    layers = _layers(graph.graph, spec)
    arrays = [a for la in layers for a in (la.get("w"), la.get("b")) if a is not None]
    numel = sum(a.size for a in arrays)
    fits_half = all(float(np.abs(a).max(initial=0.0)) < FLOAT16_MAX for a in arrays)
    if weight_dtype == "float16" and not fits_half:
        raise ValueError(f"a decoder weight is beyond float16's range (±{FLOAT16_MAX:g})")
    big = numel * 4 > FLOAT16_ABOVE_BYTES
    dtype = (
        "float16"
        if weight_dtype == "float16" or (weight_dtype == "auto" and big and fits_half)
        else "float32"
    )
    for la in layers:
        if "w" in la:
            w, b = la.pop("w"), la.pop("b")
            la["weight"] = _b64(w, dtype)
            la["bias"] = None if b is None else _b64(b, dtype)
    body = {
        "format": SPEC_FORMAT,
        "latent_dim": spec.latent_dim,
        "image_shape": list(spec.image_shape),
        "likelihood": spec.likelihood,
        "layers": layers,
        "weight_dtype": dtype,
        "weight_bytes": numel * (2 if dtype == "float16" else 4),
    }
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
    return {"id": digest, **body}


def browser_spec(model: OnnxVAE, weight_dtype: WeightDtype = "auto") -> dict[str, Any]:
    """The in-browser decoder spec of an imported model; UnsupportedDecoder says why not."""
    return graph_spec(model.decoder_graph, model.spec, weight_dtype)
