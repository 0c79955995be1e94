"""Read an ONNX graph from an imported folder without trusting it: parse, check, then load.

The graph is parsed with its external data left on disk; every external-data location is
checked (relative, inside the folder, no symlink out, within the size cap) before a byte of
it is read, by this module and not by onnx's loader. Operators must come from the standard
ONNX domain. onnxruntime then gets the checked model as bytes, so it opens no file itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath, PureWindowsPath

import onnx
from google.protobuf.message import DecodeError

from vae.errors import Message
from vae.onnx.spec import MAX_EXTERNAL_BYTES, MAX_GRAPH_BYTES, OnnxFolderError, folder_file

STANDARD_DOMAINS = ("", "ai.onnx")
"""The default ONNX operator set. `ai.onnx.ml` (trees, SVMs, label encoders) is standard too
and runs no code, but no VAE needs it, no torch exporter writes it and the in-browser decoder
could never run it, so it is refused with the rest (com.microsoft contrib ops, custom ops)."""


def _subgraphs(graph: onnx.GraphProto) -> Iterator[onnx.GraphProto]:
    """graph and every graph nested in its nodes' attributes (If, Loop, Scan bodies)."""
    yield graph
    for node in graph.node:
        for attr in node.attribute:
            if attr.HasField("g"):
                yield from _subgraphs(attr.g)
            for g in attr.graphs:
                yield from _subgraphs(g)


def _all_nodes(model: onnx.ModelProto) -> Iterator[tuple[str, onnx.NodeProto]]:
    """(where, node) for the main graph, nested graphs and model-local functions."""
    for graph in _subgraphs(model.graph):
        for node in graph.node:
            yield "graph", node
    for fn in model.functions:
        for node in fn.node:
            yield f"function {fn.domain}.{fn.name}", node


def _all_tensors(model: onnx.ModelProto) -> Iterator[onnx.TensorProto]:
    """Every tensor that may carry external data: initializers and constant attributes."""
    graphs = list(_subgraphs(model.graph))
    for graph in graphs:
        yield from graph.initializer
        for sparse in graph.sparse_initializer:
            yield sparse.values
            yield sparse.indices
    nodes = [n for g in graphs for n in g.node] + [n for f in model.functions for n in f.node]
    for node in nodes:
        for attr in node.attribute:
            if attr.HasField("t"):
                yield attr.t
            yield from attr.tensors
            if attr.HasField("sparse_tensor"):
                yield attr.sparse_tensor.values
            for s in attr.sparse_tensors:
                yield s.values


def _check_location(path: Path, tensor: str, location: str) -> None:
    """Refuse an external-data location that is absolute or climbs out of the folder."""
    posix, windows = PurePosixPath(location), PureWindowsPath(location)
    if not location or posix.is_absolute() or windows.is_absolute() or windows.drive:
        raise OnnxFolderError(
            "{path}: tensor {tensor!r} keeps its data at the absolute path {location!r}; "
            "external data must be a file beside the .onnx file. Export again with "
            "external_data=True (torch writes NAME.onnx.data beside NAME.onnx)",
            path=path,
            tensor=tensor,
            location=location,
        )
    if ".." in posix.parts or ".." in windows.parts:
        raise OnnxFolderError(
            "{path}: tensor {tensor!r} keeps its data at {location!r}, outside the folder; "
            "external data must be a file inside the folder. Export again",
            path=path,
            tensor=tensor,
            location=location,
        )


def _load_external(path: Path, folder: Path, model: onnx.ModelProto) -> None:
    """Check every external-data reference, then read the bytes into the tensors."""
    total = 0
    sizes: dict[str, int] = {}
    for tensor in _all_tensors(model):
        if tensor.data_location != onnx.TensorProto.EXTERNAL:
            continue
        info = {e.key: e.value for e in tensor.external_data}
        location = info.get("location", "")
        _check_location(path, tensor.name, location)
        real = folder_file(
            folder, location, MAX_EXTERNAL_BYTES, Message("the weights of {name}", name=path.name)
        )
        size = sizes.setdefault(str(real), real.stat().st_size)
        try:
            offset = int(info.get("offset", "0"))
            length = int(info["length"]) if "length" in info else size - offset
        except ValueError as exc:
            raise OnnxFolderError(
                "{path}: tensor {name!r} has a bad offset", path=path, name=tensor.name
            ) from exc
        if offset < 0 or length < 0 or offset + length > size:
            raise OnnxFolderError(
                "{path}: tensor {name!r} wants bytes {offset}..{end} of "
                "{location} ({size} bytes); the data file is truncated. Export again",
                path=path,
                name=tensor.name,
                offset=offset,
                end=offset + length,
                location=location,
                size=size,
            )
        total += length
        if total > MAX_EXTERNAL_BYTES:
            raise OnnxFolderError(
                "{path}: its external weights exceed the limit of {max_external_bytes:,} "
                "bytes; export a smaller model",
                path=path,
                max_external_bytes=MAX_EXTERNAL_BYTES,
            )
        with real.open("rb") as f:
            f.seek(offset)
            tensor.raw_data = f.read(length)
        del tensor.external_data[:]
        tensor.data_location = onnx.TensorProto.DEFAULT


def _check_operators(path: Path, model: onnx.ModelProto) -> None:
    """Only standard ONNX operators, or calls to model-local functions built from them."""
    local = {(f.domain, f.name) for f in model.functions}
    for where, node in _all_nodes(model):
        if node.domain in STANDARD_DOMAINS or (node.domain, node.op_type) in local:
            continue
        raise OnnxFolderError(
            "{path}: {where} uses operator {op_type!r} from domain {domain!r}, "
            "outside the standard ONNX operators; only those are loaded (custom operators "
            "would run code that is not part of ONNX). Export with standard operators only",
            path=path,
            where=where,
            op_type=node.op_type,
            domain=node.domain,
        )
    for opset in model.opset_import:
        if opset.domain not in STANDARD_DOMAINS and not any(d == opset.domain for d, _ in local):
            raise OnnxFolderError(
                "{path} imports the operator set {domain!r}, outside the standard ONNX "
                "operators; export with standard operators only",
                path=path,
                domain=opset.domain,
            )


def read_graph(folder: Path, name: str) -> onnx.ModelProto:
    """Parse, check and fully load folder/name; OnnxFolderError says what is wrong."""
    path = folder / name
    real = folder_file(folder, name, MAX_GRAPH_BYTES, Message("an ONNX graph"))
    data = real.read_bytes()
    try:
        model = onnx.ModelProto()
        model.ParseFromString(data)
    except (DecodeError, ValueError, RuntimeError) as exc:
        raise OnnxFolderError(
            "{path} is not an ONNX model (it could not be parsed: it may be truncated or "
            "another kind of file); export it again with torch.onnx.export",
            path=path,
        ) from exc
    if not model.HasField("graph") or len(model.graph.node) == 0 or model.ir_version < 3:
        raise OnnxFolderError(
            "{path} is not an ONNX model (it holds no graph); export it again with "
            "torch.onnx.export",
            path=path,
        )
    _check_operators(path, model)
    _load_external(path, folder, model)
    try:
        onnx.checker.check_model(model)
    except (onnx.checker.ValidationError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise OnnxFolderError(
            "{path} is not a valid ONNX model ({first}); export it again", path=path, first=first
        ) from exc
    return model
