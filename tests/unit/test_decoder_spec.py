"""decoder_spec: layer list, base64 float32 weights that round-trip, clear refusal of unknowns."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
import torch
from torch import nn

from vae.model.config import ModelConfig
from vae.model.networks import VAE
from vae.web.decoder_spec import (
    FLOAT16_ABOVE_BYTES,
    UnsupportedDecoder,
    decoder_spec,
    model_as_sent,
    spec_json_bytes,
)


def _floats(b64: str, dtype: str = "float32") -> np.ndarray:
    return np.frombuffer(base64.b64decode(b64), dtype="<f2" if dtype == "float16" else "<f4")


def _model(**kw: object) -> VAE:
    torch.manual_seed(0)
    return VAE(ModelConfig(**kw))  # type: ignore[arg-type]


def test_mlp_spec_lists_layers_and_round_trips_weights() -> None:
    model = _model(arch="mlp", image_shape=(1, 8, 8), latent_dim=3, hidden_dims=(16, 12))
    spec = decoder_spec(model)
    assert [layer["type"] for layer in spec["layers"]] == [
        "linear",
        "relu",
        "linear",
        "relu",
        "linear",
        "unflatten",
    ]
    assert spec["latent_dim"] == 3
    assert spec["image_shape"] == [1, 8, 8]
    assert spec["likelihood"] == "bernoulli"
    assert spec["layers"][-1]["shape"] == [1, 8, 8]
    linears = [m for m in model.decoder.modules() if isinstance(m, nn.Linear)]
    specs = [layer for layer in spec["layers"] if layer["type"] == "linear"]
    for module, layer in zip(linears, specs, strict=True):
        assert (layer["in"], layer["out"]) == (module.in_features, module.out_features)
        np.testing.assert_array_equal(
            _floats(layer["weight"]), module.weight.detach().numpy().ravel()
        )
        np.testing.assert_array_equal(_floats(layer["bias"]), module.bias.detach().numpy())
    total = sum(p.numel() for p in model.decoder.parameters())
    assert spec["weight_dtype"] == "float32"  # small: sent exactly
    assert spec["weight_bytes"] == 4 * total


def test_a_large_decoder_travels_as_float16_within_a_grey_level() -> None:
    model = _model(arch="mlp", image_shape=(1, 28, 28), latent_dim=2, hidden_dims=(1024, 512))
    total = sum(p.numel() for p in model.decoder.parameters())
    assert 4 * total > FLOAT16_ABOVE_BYTES
    spec = decoder_spec(model)
    assert spec["weight_dtype"] == "float16" and spec["weight_bytes"] == 2 * total
    exact = decoder_spec(model, "float32")
    assert spec_json_bytes(spec) < 0.51 * spec_json_bytes(exact)
    first = spec["layers"][0]
    weight = model.decoder[0][0].weight.detach().numpy()
    np.testing.assert_array_equal(_floats(first["weight"], "float16"), weight.astype("<f2").ravel())
    sent = model_as_sent(model, spec)
    assert sent is not model and model_as_sent(model, exact) is model
    z = torch.randn(500, 2) * 2
    with torch.no_grad():
        moved = (sent.decode_mean(z) - model.decode_mean(z)).abs().max().item()
    assert 0 < moved < 1 / 255


def test_float16_is_not_used_for_weights_beyond_its_range() -> None:
    model = _model(arch="mlp", image_shape=(1, 28, 28), latent_dim=2, hidden_dims=(1024, 512))
    with torch.no_grad():
        model.decoder[0][0].weight[0, 0] = 1e5
    assert decoder_spec(model)["weight_dtype"] == "float32"
    with pytest.raises(ValueError, match="beyond float16's range"):
        decoder_spec(model, "float16")
    with pytest.raises(ValueError, match="weight_dtype must be"):
        decoder_spec(model, "int8")  # type: ignore[arg-type]


def test_conv_spec_has_transposed_convolutions_with_geometry() -> None:
    model = _model(arch="conv", image_shape=(1, 28, 28), latent_dim=2, hidden_dims=(4, 8))
    spec = decoder_spec(model)
    types = [layer["type"] for layer in spec["layers"]]
    assert types == ["linear", "relu", "unflatten", "conv_transpose2d", "relu", "conv_transpose2d"]
    first, last = spec["layers"][3], spec["layers"][5]
    assert first["in_shape"] == [8, 7, 7] and first["out_shape"] == [4, 14, 14]
    assert last["out_shape"] == [1, 28, 28]
    assert (first["kernel"], first["stride"], first["padding"]) == ([4, 4], [2, 2], [1, 1])
    convs = [m for m in model.decoder if isinstance(m, nn.ConvTranspose2d)]
    np.testing.assert_array_equal(
        _floats(first["weight"]), convs[0].weight.detach().numpy().ravel()
    )
    np.testing.assert_array_equal(_floats(last["bias"]), convs[1].bias.detach().numpy())


def test_gaussian_spec_is_json_and_the_id_follows_the_weights() -> None:
    model = _model(arch="mlp", image_shape=(1, 28, 20), hidden_dims=(8,), likelihood="gaussian")
    spec = decoder_spec(model)
    assert spec["likelihood"] == "gaussian"
    assert json.loads(json.dumps(spec)) == spec
    assert spec_json_bytes(spec) > spec["weight_bytes"]  # base64 costs about 4/3
    assert decoder_spec(model)["id"] == spec["id"]
    with torch.no_grad():
        model.decoder[0][0].bias.add_(1.0)
    assert decoder_spec(model)["id"] != spec["id"]


def test_unknown_layer_raises_unsupported_decoder() -> None:
    model = _model(arch="mlp", image_shape=(1, 8, 8), hidden_dims=(16,))
    model.decoder.insert(1, nn.Tanh())
    with pytest.raises(UnsupportedDecoder, match="Tanh"):
        decoder_spec(model)


def test_overridden_decode_raises_unsupported_decoder() -> None:
    class Custom(VAE):
        def decode(self, z: torch.Tensor) -> torch.Tensor:
            return super().decode(z) * 2

    model = Custom(ModelConfig(image_shape=(1, 8, 8), hidden_dims=(16,)))
    with pytest.raises(UnsupportedDecoder, match="decode"):
        decoder_spec(model)
