"""app.py: navigation, the sidebar checkpoint picker, broken and vanished runs, refused names."""

from __future__ import annotations

import os
import shutil

from tests.app.conftest import PAGES as PAGE_DIR
from tests.app.conftest import RUNS, app, texts

PAGES = {
    "pages/overview.py": "What a variational autoencoder is",
    "pages/latent.py": "The latent space",
    "pages/decoder.py": "The decoder",
}


def picker(at):
    (box,) = [s for s in at.sidebar.selectbox if s.label == "Checkpoint"]
    return box


def test_starts_on_overview_and_the_picker_lists_every_run(ckpt_dir):
    at = app().run()
    assert not at.exception
    assert "What a variational autoencoder is" in at.title[0].value
    box = picker(at)
    assert len(box.options) == len(RUNS)
    for option, (name, z) in zip(box.options, RUNS.items(), strict=True):
        assert option.startswith(f"{name} · digits · z={z} · −ELBO ")
        float(option.rsplit(" ", 1)[-1])  # the test -ELBO as a number
    assert box.value == "digits-2d"  # no mnist-2d here: the first usable run
    assert not at.sidebar.error


def test_default_is_mnist_2d_when_present(ckpt_dir):
    shutil.copytree(ckpt_dir / "digits-3d", ckpt_dir / "mnist-2d")
    at = app().run()
    assert picker(at).value == "mnist-2d"


def test_choice_holds_across_pages(ckpt_dir):
    at = app(decoder_server=True).run()
    picker(at).select("digits-3d").run()
    assert not at.exception
    for page, title in PAGES.items():
        at.switch_page(page).run()
        assert not at.exception, page
        assert title in at.title[0].value
        assert picker(at).value == "digits-3d"
    at.switch_page("pages/decoder.py").run()
    assert len(at.slider) == 3


def test_every_page_runs_without_an_exception(ckpt_dir):
    at = app().run()
    for page in ("training", "latent", "decoder", "reconstructions", "overview"):
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, page
        assert at.title, page


def test_broken_checkpoint_is_reported_and_the_others_stay_usable(ckpt_dir):
    (ckpt_dir / "half-copied").mkdir()
    (ckpt_dir / "half-copied" / "config.json").write_text("{ not json")
    damaged = ckpt_dir / "no-weights"
    shutil.copytree(ckpt_dir / "digits-2d", damaged)
    (damaged / "model.safetensors").unlink()
    at = app(decoder_server=True).run()
    assert not at.exception
    errors = texts(at.sidebar.error)
    assert "half-copied" in errors and "not valid JSON" in errors
    assert "no-weights" in errors and "model.safetensors is missing" in errors
    assert picker(at).options and all("half-copied" not in o for o in picker(at).options)
    assert at.metric[0].label.startswith("Test −ELBO")
    picker(at).select("digits-3d").run()
    at.switch_page("pages/decoder.py").run()
    assert not at.exception and len(at.slider) == 3


def test_weights_that_fail_to_load_show_an_error_on_the_page_not_a_trace(ckpt_dir):
    weights = ckpt_dir / "digits-3d" / "model.safetensors"
    shutil.copy(ckpt_dir / "digits-2d" / "model.safetensors", weights)  # wrong shapes
    at = app(checkpoint="digits-3d").run()
    at.switch_page("pages/decoder.py").run()
    assert not at.exception
    assert "cannot be used" in texts(at.error) and "config" in texts(at.error)
    assert not at.slider


def test_a_folder_deleted_while_selected_is_reported(ckpt_dir):
    at = app(decoder_server=True).run()
    picker(at).select("digits-3d").run()
    shutil.rmtree(ckpt_dir / "digits-3d")
    at.switch_page("pages/decoder.py").run()
    assert not at.exception
    message = texts(at.sidebar.error)
    assert "digits-3d" in message and "restore" in message
    assert picker(at).value == "digits-2d"
    assert len(at.slider) == 2  # the page goes on with the remaining run


def test_no_checkpoints_at_all(ckpt_dir):
    for child in ckpt_dir.iterdir():
        shutil.rmtree(child)
    at = app().run()
    assert not at.exception
    assert "No usable checkpoints" in texts(at.sidebar.info)
    assert "no usable checkpoints" in texts(at.info)
    at.switch_page("pages/decoder.py").run()
    assert not at.exception and not at.slider


def test_path_traversal_names_are_refused(ckpt_dir, tmp_path):
    outside = tmp_path / "outside"
    shutil.copytree(ckpt_dir / "digits-3d", outside)
    os.symlink(outside, ckpt_dir / "escape")
    for name in ("..", "../outside", str(outside), "digits-2d/../digits-3d", ".hidden", "escape"):
        at = app(checkpoint=name).run()
        assert not at.exception, name
        assert picker(at).value == "digits-2d", name
        assert name not in picker(at).options
    errors = texts(at.sidebar.error)
    assert "escape" in errors and "outside" in errors  # the link is listed as refused


def test_pages_refuse_a_bad_name_in_session_state(ckpt_dir):
    for name in ("../digits-2d", "/etc", ".."):
        at = app(PAGE_DIR / "decoder.py", checkpoint=name).run()
        assert not at.exception
        assert "not a checkpoint name" in texts(at.error)
        assert not at.slider


def test_a_page_run_alone_in_legacy_mode_is_rerun_through_app_py(ckpt_dir, navigation_mode):
    navigation_mode()  # as on a fresh server whose first request is a deep link
    at = app(decoder_server=True).run()
    at.switch_page("pages/decoder.py").run()
    at.run()
    assert not at.exception
    assert picker(at).value == "digits-2d"  # the sidebar from app.py is there
    assert [s.label for s in at.slider] == ["z1", "z2"]


def test_a_folder_replaced_on_disk_is_loaded_afresh(ckpt_dir):
    at = app(PAGE_DIR / "decoder.py", checkpoint="digits-2d", decoder_server=True).run()
    assert len(at.slider) == 2
    shutil.rmtree(ckpt_dir / "digits-2d")
    shutil.copytree(ckpt_dir / "digits-3d", ckpt_dir / "digits-2d")  # new files, new times
    at.run()
    assert not at.exception
    assert len(at.slider) == 3


def test_a_rewritten_metrics_file_is_read_afresh(ckpt_dir):
    """`python -m vae.evaluate` rewrites metrics.json beside unchanged weights: the pages
    that load the checkpoint show its new figures, as the Overview does."""
    import json

    from ui.selection import load_run

    path = ckpt_dir / "digits-2d"
    before = load_run(path)
    assert load_run(path) is before  # loaded once while nothing changes
    metrics = json.loads((path / "metrics.json").read_text())
    metrics["iwae_nll"] = 12.5
    (path / "metrics.json").write_text(json.dumps(metrics))
    after = load_run(path)
    assert after is not before and after.metrics["iwae_nll"] == 12.5
