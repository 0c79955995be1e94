"""Shareable state: the page, the checkpoint and the latent point live in the URL."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import app, texts

TIMEOUT = 300


def decoder(query: dict[str, str], **state: object) -> AppTest:
    """The app opened at /decoder?<query>, as a pasted link opens it."""
    at = app(**state)
    at.default_timeout = TIMEOUT
    at.query_params.update(query)
    return at.switch_page("pages/decoder.py").run()


def picker(at: AppTest) -> str:
    (box,) = [s for s in at.sidebar.selectbox if s.label == "Checkpoint"]
    return str(box.value)


def live_z0(at: AppTest) -> list[float]:
    (element,) = at.get("bidi_component")
    return list(json.loads(element.proto.json)["z0"])


def test_a_link_opens_that_run_at_that_point(ckpt_dir):
    at = decoder({"run": "digits-3d", "z": "0.5,-1.25,2"}, decoder_server=True)
    assert not at.exception
    assert at.title[0].value.endswith("The decoder")
    assert picker(at) == "digits-3d"
    assert [s.value for s in at.slider] == pytest.approx([0.5, -1.25, 2.0])
    assert "Opened at the point in the link" in texts(at.info)
    assert at.query_params == {"run": "digits-3d", "z": "0.50,-1.25,2.00"}
    assert not at.warning


def test_a_link_opens_the_browser_view_at_that_point(ckpt_dir):
    at = decoder({"run": "digits-2d", "z": "-0.731,1.5"})
    assert not at.exception
    assert live_z0(at) == [-0.731, 1.5]  # the exact point, not rounded to a slider step
    assert at.query_params["z"] == "-0.73,1.50"


def test_the_link_is_shown_to_copy(ckpt_dir):
    at = app()
    at.default_timeout = TIMEOUT
    at.context["url"] = "https://vae.example.org/decoder"
    at.query_params.update({"run": "digits-2d", "z": "1,2"})
    at.switch_page("pages/decoder.py").run()
    assert not at.exception
    assert at.code[0].value == "https://vae.example.org/decoder?run=digits-2d&z=1.00,2.00"


def test_the_link_to_copy_keeps_the_language(ckpt_dir):
    at = app()
    at.default_timeout = TIMEOUT
    at.context["url"] = "https://vae.example.org/decoder"
    at.query_params.update({"run": "digits-2d", "z": "1,2", "lang": "ko"})
    at.switch_page("pages/decoder.py").run()
    assert not at.exception
    assert at.code[0].value == "https://vae.example.org/decoder?run=digits-2d&z=1.00,2.00&lang=ko"


def test_a_point_outside_the_range_is_clipped_and_said(ckpt_dir):
    at = decoder({"run": "digits-2d", "z": "9,-1e3"}, decoder_server=True)
    assert [s.value for s in at.slider] == [3.0, -3.0]
    assert "clipped" in texts(at.info)
    assert at.query_params["z"] == "3.00,-3.00"


@pytest.mark.parametrize(
    "name",
    ["..", "../digits-3d", "/etc/passwd", "digits-2d/../digits-3d", ".hidden", "nope", "x" * 5000],
)
def test_bad_run_names_are_refused_with_a_warning(ckpt_dir, name):
    at = decoder({"run": name, "z": "1,1"}, decoder_server=True)
    assert not at.exception
    warning = texts(at.warning)
    assert "The link's checkpoint was not opened" in warning and "digits-2d" in warning
    assert len(warning) < 400  # a long name is shortened, not echoed
    assert picker(at) == "digits-2d"  # the default
    assert at.query_params["run"] == "digits-2d"  # the address now names what is shown
    assert [s.value for s in at.slider] == [1.0, 1.0]  # the point still fits the default


def test_a_link_to_a_run_that_is_a_file_or_link_outside_is_refused(ckpt_dir, tmp_path):
    (ckpt_dir / "notes.txt").write_text("not a run")
    outside = tmp_path / "outside"
    outside.mkdir()
    (ckpt_dir / "escape").symlink_to(outside)
    for name in ("notes.txt", "escape"):
        at = decoder({"run": name})
        assert not at.exception
        assert "not opened" in texts(at.warning), name
        assert picker(at) == "digits-2d"


@pytest.mark.parametrize(
    ("z", "words"),
    [
        ("nan,0", "not a finite number"),
        ("0,inf", "not a finite number"),
        ("1,2,3", "3 values, this model has 2 dimensions"),
        ("1", "1 value"),
        ("abc,1", "not a decimal number"),
        ("0x1,1", "not a decimal number"),
        (",".join(["1"] * 5000), "too long"),
    ],
)
def test_bad_points_are_refused_with_a_warning(ckpt_dir, z, words):
    at = decoder({"run": "digits-2d", "z": z}, decoder_server=True)
    assert not at.exception
    warning = texts(at.warning)
    assert "The link's latent point was not used" in warning and words in warning
    assert len(warning) < 400
    assert [s.value for s in at.slider] == [0.0, 0.0]
    assert at.query_params["z"] == "0.00,0.00"


def test_the_link_is_read_once_then_follows_the_page(ckpt_dir):
    at = decoder({"run": "digits-2d", "z": "1,1"}, decoder_server=True)
    at.slider[0].set_value(-2.0).run()
    assert at.query_params["z"] == "-2.00,1.00"  # the point moved: so does the address
    at.run()
    assert [s.value for s in at.slider] == [-2.0, 1.0]  # not pulled back to the link's point
    (box,) = [s for s in at.sidebar.selectbox if s.label == "Checkpoint"]
    box.select("digits-3d").run()
    assert at.query_params == {"run": "digits-3d", "z": "0.00,0.00,0.00"}
    assert not at.warning  # the old z was ours, not a link's: nothing to refuse


def test_other_pages_keep_the_checkpoint_in_the_url(ckpt_dir):
    at = app()
    at.default_timeout = TIMEOUT
    at.query_params["run"] = "digits-3d"
    at.run()  # the default page, Overview
    assert not at.exception
    assert picker(at) == "digits-3d" and at.query_params["run"] == "digits-3d"
    at.switch_page("pages/latent.py").run()
    assert picker(at) == "digits-3d" and at.query_params["run"] == "digits-3d"


def test_an_address_from_before_the_last_choice_does_not_undo_it(ckpt_dir):
    at = app()
    at.default_timeout = TIMEOUT
    at.query_params["run"] = "digits-3d"
    at.run()
    assert picker(at) == "digits-3d"
    (box,) = [s for s in at.sidebar.selectbox if s.label == "Checkpoint"]
    box.select("digits-2d")
    for _ in range(2):  # two reruns before the browser shows the new address
        at.query_params["run"] = "digits-3d"
        at.run()
        assert picker(at) == "digits-2d" and at.query_params["run"] == "digits-2d"
    assert not at.warning
