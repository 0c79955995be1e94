"""`python -m vae.evaluate RUN --exact [--images N]`: the exact -log p(x), 2-D models only."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import pytest

from tests.conftest import tiny_configs
from vae.inference import exact_nll
from vae.model.inputs import to_input
from vae.runfolder.checkpoint import load_checkpoint
from vae.training.evaluate import main


def test_exact_adds_the_mean_exact_nll_of_the_first_images(
    tiny_run: Path, digits, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(tiny_run), "--exact", "--images", "6", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    model = load_checkpoint(tiny_run).model
    want = exact_nll(model, to_input(digits.test_x[:6], False))
    assert out["exact_nll"] == pytest.approx(want, abs=1e-9)
    assert out["exact_images"] == 6
    assert main([str(tiny_run), "--exact", "--images", "6"]) == 0
    assert "exact -log p(x)" in capsys.readouterr().out


def test_exact_over_all_images_is_below_the_elbo(
    tiny_run: Path, digits, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(tiny_run), "--exact", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["exact_images"] == len(digits.test_x)
    assert out["exact_nll"] < out["test_elbo"]  # -log p(x) <= -ELBO, averaged


def test_exact_refuses_a_model_that_is_not_2d(
    tmp_path: Path, digits, capsys: pytest.CaptureFixture[str]
) -> None:
    from vae.training.loop import train

    model_cfg, train_cfg = tiny_configs(epochs=1)
    train(digits, dataclasses.replace(model_cfg, latent_dim=3), train_cfg, tmp_path / "r3",
          log=io.StringIO())  # fmt: skip
    assert main([str(tmp_path / "r3"), "--exact", "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "--exact cannot be used" in captured.err and "2-D latent space" in captured.err
    assert "3 dimensions" in captured.err


def test_images_without_exact_is_an_error(tiny_run: Path) -> None:
    with pytest.raises(SystemExit) as err:
        main([str(tiny_run), "--images", "5"])
    assert err.value.code == 2


def test_workers_share_the_images_and_give_the_same_figure(
    tiny_run: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import vae.inference.evidence as evidence

    asked: list[int] = []
    real = evidence.exact_log_px

    def small_batches(model, xs, batch_size=256, tol=0.05, workers=1):  # type: ignore[no-untyped-def]
        asked.append(workers)
        return real(model, xs, 64, tol, workers)  # 200 images: 4 batches to share

    monkeypatch.setattr(evidence, "exact_log_px", small_batches)
    assert main([str(tiny_run), "--exact", "--images", "200", "--workers", "1", "--json"]) == 0
    one = json.loads(capsys.readouterr().out)
    assert main([str(tiny_run), "--exact", "--images", "200", "--workers", "2", "--json"]) == 0
    two = json.loads(capsys.readouterr().out)
    assert asked == [1, 2]
    assert two["exact_nll"] == pytest.approx(one["exact_nll"], abs=1e-6)
    assert two["exact_images"] == 200


@pytest.mark.parametrize("argv", [["--workers", "2"], ["--exact", "--workers", "0"]])
def test_workers_needs_exact_and_a_positive_count(
    tiny_run: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as err:
        main([str(tiny_run), *argv])
    assert err.value.code == 2
    assert "--workers N needs --exact and N >= 1" in capsys.readouterr().err
