"""An imported ONNX model (a network written here in the PyTorch example's style) on every page."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from streamlit.testing.v1 import AppTest

from testkit.onnx_nets import FcDecoder, FcEncoder, export_vae
from tests.app.conftest import APP, PAGES, app, image_bytes, png_size, texts
from ui import latent_aids as aids
from ui import state as keys
from ui.plots import CODES
from vae import load_checkpoint
from vae.analysis.explore import reconstruct
from vae.onnx.browser import browser_spec

TIMEOUT = 300  # the first run imports torch and onnxruntime on a busy machine
NAME = "my-vae"


class EluDecoder(FcDecoder):
    """The example's decoder with ELU units: a graph the in-browser decoder does not run."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.fc4(F.elu(self.fc3(z)))).view(-1, *self.shape)


@pytest.fixture(scope="session")
def imported(tmp_path_factory: pytest.TempPathFactory, digits: Any) -> Path:
    """Three folders: the example's VAE on the digits test images, an ELU one, a broken one."""
    root = tmp_path_factory.mktemp("imported")
    x, y = digits.test_x.numpy(), digits.test_y.numpy()
    fields = {"decoder_output": "mean", "classes": [str(i) for i in range(10)]}
    torch.manual_seed(0)
    enc, dec = FcEncoder(64, 32, 2).eval(), FcDecoder((1, 8, 8), 32, 2).eval()
    export_vae(root / NAME, enc, dec, (1, 8, 8), 2, x, y, dataset="digits", **fields)
    elu = EluDecoder((1, 8, 8), 32, 2).eval()
    export_vae(root / "elu-vae", enc, elu, (1, 8, 8), 2, x[:100], y[:100], **fields)
    shutil.copytree(root / NAME, root / "bad-json")
    (root / "bad-json" / "vae.json").write_text('{"format": "onnx-vae/1", "latent_dim": 2}')
    shutil.copytree(root / NAME, root / "truncated")
    data = (root / "truncated" / "decoder.onnx").read_bytes()
    (root / "truncated" / "decoder.onnx").write_bytes(data[: len(data) // 2])
    return root


@pytest.fixture
def runs(ckpt_dir: Path, imported: Path) -> Path:
    """The app's digits runs plus the imported folders, in the private checkpoint folder."""
    for folder in imported.iterdir():
        shutil.copytree(folder, ckpt_dir / folder.name)
    return ckpt_dir


def page(name: str, checkpoint: str = NAME, **state: Any) -> AppTest:
    at = app(PAGES / f"{name}.py", checkpoint=checkpoint, **state)
    at.default_timeout = TIMEOUT
    return at.run()


def figures(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def live(at: AppTest) -> list[dict[str, Any]]:
    found = [e for e in at.get("bidi_component") if e.proto.component_name == "vae_live_decoder"]
    return [json.loads(e.proto.json) for e in found]


def test_the_picker_marks_it_imported_and_lists_broken_folders(runs: Path) -> None:
    at = app(APP, checkpoint=NAME)
    at.default_timeout = TIMEOUT
    at.run()
    assert not at.exception
    (box,) = at.sidebar.selectbox
    assert box.value == NAME and at.session_state[keys.CHECKPOINT] == NAME
    assert f"{NAME} · digits · z=2 · imported" in box.options
    assert "elu-vae · z=2 · imported" in box.options  # its vae.json names no data set
    assert "truncated · digits · z=2 · imported" in box.options  # listed: it fails on loading
    assert not [o for o in box.options if o.startswith("bad-json")]
    errors = texts(at.sidebar.error)
    assert "**bad-json** cannot be used" in errors and "'image_shape' is missing" in errors
    assert "imported ONNX model" in texts(at.sidebar.caption)
    # the Overview: the architecture as it is, no training line
    body = texts(at.markdown)
    assert "an imported ONNX model" in body and "**Training:**" not in body
    params = sum(
        p.numel()
        for m in (FcEncoder(64, 32, 2), FcDecoder((1, 8, 8), 32, 2))
        for p in m.parameters()
    )
    assert f"**Parameters:** {params:,}" in body
    elbo = next(m for m in at.metric if m.label.startswith("Test −ELBO"))
    assert float(elbo.value) == pytest.approx(
        load_checkpoint(runs / NAME).metrics["test_elbo"], abs=0.01
    )


def test_latent_page_maps_the_folders_images_and_decodes_in_the_browser(runs: Path) -> None:
    at = page("latent")
    assert not at.exception, at.exception
    fig = figures(at)[0]
    traces = [t for t in fig["data"] if t.get("meta") == CODES]
    assert [t["name"] for t in traces] == [str(i) for i in range(10)]
    assert sum(len(t["x"]) if isinstance(t["x"], list) else 1 for t in traces) > 0
    caption = texts(at.caption)
    assert "preview" not in caption.lower()  # images.npz is what is explored, no fallback note
    at = page("latent", **{keys.VIEW_PARAM: aids.HOVER_TAB})
    (data,) = live(at)
    model = load_checkpoint(runs / NAME).model
    assert data["spec"]["id"] == browser_spec(model)["id"] and len(data["map"]["extent"]) == 4


def test_latent_over_training_says_an_imported_model_has_no_replay(runs: Path) -> None:
    at = page("latent", **{keys.VIEW_PARAM: aids.TRAINING_TAB})
    assert not at.exception
    info = texts(at.info)
    assert "No training replay" in info and "imported model" in info
    assert "--snapshot-points" not in info


def test_decoder_page_runs_the_graph_in_the_browser(runs: Path) -> None:
    at = page("decoder")
    assert not at.exception, at.exception
    (data,) = live(at)
    assert data["spec"]["format"] == "vae-decoder/2" and data["spec"]["latent_dim"] == 2
    assert [la["type"] for la in data["spec"]["layers"]] == [
        "linear",
        "relu",
        "linear",
        "unflatten",
    ]
    assert "cannot run in the browser" not in texts(at.info)


def test_decoder_page_says_why_a_graph_decodes_on_the_server(runs: Path) -> None:
    at = page("decoder", checkpoint="elu-vae")
    assert not at.exception, at.exception
    assert not live(at)
    info = texts(at.info)
    assert "cannot run in the browser" in info and "Elu" in info and "server" in info
    assert [s.label for s in at.slider] == ["z1", "z2"]


def test_reconstructions_page_shows_pairs_and_the_models_losses(
    runs: Path, media: dict[str, bytes]
) -> None:
    at = page("reconstructions")
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert len(table) == 16
    ckpt = load_checkpoint(runs / NAME)
    _, want = reconstruct(ckpt.model, ckpt.preview_x[list(table["index"])])
    shown = [float(v) for v in table["−ELBO (nats)"]]
    assert shown == pytest.approx(want.tolist(), rel=1e-4) and shown == sorted(shown, reverse=True)
    assert max(shown) == pytest.approx(reconstruct(ckpt.model, ckpt.preview_x)[1].max(), rel=1e-4)
    width, height = png_size(image_bytes(at, media)[0])
    assert width > 0 and height > 0


@pytest.mark.parametrize("name", ["interpolate", "compare", "overview"])
def test_the_other_pages_work_on_it(runs: Path, name: str) -> None:
    at = page(name)
    assert not at.exception, at.exception
    assert not at.error, texts(at.error)
    assert at.get("plotly_chart") or at.get("image")


def test_a_folder_that_fails_to_load_is_an_error_not_a_crash(runs: Path) -> None:
    at = page("latent", checkpoint="truncated")
    assert not at.exception
    error = texts(at.error)
    assert "truncated cannot be used" in error and "decoder.onnx" in error


def test_training_page_says_it_is_not_trained_here(runs: Path) -> None:
    at = page("training")
    assert not at.exception
    info = texts(at.info)
    assert f"**{NAME}** is an imported model" in info and "not trained here" in info
    assert not at.get("plotly_chart")  # no curves of its own
    assert at.button  # the form to train a new model is still there
