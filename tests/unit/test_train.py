"""Training: resume equals an uninterrupted run, failures keep the last good checkpoint."""

from __future__ import annotations

import errno
import fcntl
import io
import json
import math
import signal
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

import vae.runfolder.files
import vae.training.cli
import vae.training.loop
from tests.conftest import tiny_configs
from vae import load_checkpoint
from vae.training.loop import TrainingError, train

LOSS_KEYS = ("epoch", "train_loss", "test_loss", "recon", "kl", "samples_seen", "beta")


def _tensors(path: Path) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in load_file(str(path)).items()}


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_interrupted_and_resumed_run_equals_an_uninterrupted_one(digits: Any, tmp_path: Path):
    model_cfg, cfg = tiny_configs(epochs=4, warmup_epochs=3, binarize=True)
    log = io.StringIO()
    train(digits, model_cfg, cfg, tmp_path / "whole", log=log)
    train(digits, model_cfg, replace(cfg, epochs=2), tmp_path / "split", log=log)
    assert load_checkpoint(tmp_path / "split").epoch == 2
    train(digits, model_cfg, cfg, tmp_path / "split", resume=True, log=log)

    for name in ("model.safetensors", "resume.safetensors"):
        whole = _tensors(tmp_path / "whole" / name)
        split = _tensors(tmp_path / "split" / name)
        assert whole.keys() == split.keys()
        for k in whole:
            assert torch.equal(whole[k], split[k]), f"{name}: {k} differs"

    a, b = load_checkpoint(tmp_path / "whole"), load_checkpoint(tmp_path / "split")
    assert a.epoch == b.epoch == 4
    assert [h["epoch"] for h in b.history] == [1, 2, 3, 4]
    assert [[h[k] for k in LOSS_KEYS] for h in a.history] == [
        [h[k] for k in LOSS_KEYS] for h in b.history
    ]
    assert a.metrics == b.metrics
    assert (a.snapshots["mu"] == b.snapshots["mu"]).all()


def test_same_seed_gives_the_same_run_and_another_seed_does_not(digits: Any, tmp_path: Path):
    model_cfg, cfg = tiny_configs(epochs=1)
    log = io.StringIO()
    for name, seed in (("a", 0), ("b", 0), ("c", 1)):
        train(digits, model_cfg, replace(cfg, seed=seed), tmp_path / name, log=log)
    a, b, c = (_tensors(tmp_path / n / "model.safetensors") for n in "abc")
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_existing_run_is_not_overwritten_without_resume(run_copy: Path, digits: Any):
    before = _files(run_copy)
    model_cfg, cfg = tiny_configs()
    with pytest.raises(TrainingError, match="already holds a run; pass --resume"):
        train(digits, model_cfg, cfg, run_copy, log=io.StringIO())
    after = _files(run_copy)
    assert {k: v for k, v in after.items() if k != ".lock"} == {
        k: v for k, v in before.items() if k != ".lock"
    }


def test_a_second_job_on_the_same_folder_is_refused(run_copy: Path, digits: Any):
    model_cfg, cfg = tiny_configs(epochs=3)
    with (run_copy / ".lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(TrainingError, match="another training job"):
            train(digits, model_cfg, cfg, run_copy, resume=True, log=io.StringIO())
    assert load_checkpoint(run_copy).epoch == 2


def test_batch_larger_than_the_data_is_refused_before_writing(digits: Any, tmp_path: Path):
    model_cfg, cfg = tiny_configs(batch_size=5000)
    with pytest.raises(TrainingError, match="batch_size 5000 is larger than the 1500"):
        train(digits, model_cfg, cfg, tmp_path / "run", log=io.StringIO())
    assert not (tmp_path / "run" / "model.safetensors").exists()
    assert not (tmp_path / "run" / "config.json").exists()


def test_nan_loss_stops_training_and_keeps_the_last_good_epoch(
    run_copy: Path, digits: Any, monkeypatch: pytest.MonkeyPatch
):
    good = _files(run_copy)["model.safetensors"]
    real = vae.training.loop.elbo_terms
    calls = {"n": 0}

    def poisoned(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        loss, recon, kl = real(*args, **kwargs)
        return (loss * float("nan") if calls["n"] > 3 else loss), recon, kl

    monkeypatch.setattr(vae.training.loop, "elbo_terms", poisoned)
    model_cfg, cfg = tiny_configs(epochs=4)
    with pytest.raises(TrainingError, match=r"loss became nan at epoch 3, step 4.*Lower --lr"):
        train(digits, model_cfg, cfg, run_copy, resume=True, log=io.StringIO())
    assert (run_copy / "model.safetensors").read_bytes() == good
    ckpt = load_checkpoint(run_copy)
    assert ckpt.epoch == 2 and len(ckpt.history) == 2


def test_a_run_stopped_in_its_first_epoch_resumes_to_the_same_result(
    tiny_run: Path, digits: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    class Stop(Exception):
        pass

    real = vae.training.loop.elbo_terms
    calls = {"n": 0}

    def stop_at_third_step(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise Stop
        return real(*args, **kwargs)

    model_cfg, cfg = tiny_configs()  # the same settings as tiny_run
    out = tmp_path / "run"
    monkeypatch.setattr(vae.training.loop, "elbo_terms", stop_at_third_step)
    with pytest.raises(Stop):
        train(digits, model_cfg, cfg, out, log=io.StringIO())
    monkeypatch.undo()
    assert load_checkpoint(out).epoch == 0
    train(digits, model_cfg, cfg, out, resume=True, log=io.StringIO())
    assert (out / "model.safetensors").read_bytes() == (tiny_run / "model.safetensors").read_bytes()


# --- a write that fails (a full disk) ----------------------------------------------------


@pytest.fixture
def keep_sigterm() -> Iterator[None]:
    """vae.training.cli.main installs a SIGTERM handler; put the previous one back afterwards."""
    previous = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, previous)


def _disk_full() -> OSError:
    return OSError(errno.ENOSPC, "No space left on device")


def _fail_replace(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every os.replace in vae.runfolder.files fails: nothing new reaches its final name."""

    real_os = vae.runfolder.files.os

    class FailingOs:
        def __getattr__(self, name: str) -> Any:
            return getattr(real_os, name)

        def replace(self, src: Any, dst: Any) -> None:
            raise _disk_full()

    monkeypatch.setattr(vae.runfolder.files, "os", FailingOs())


def _fail_weights_midway(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first weights file of the epoch stops half-way through, as on a full disk."""
    real = vae.runfolder.files.atomic_write

    def atomic_write(path: Path, write: Callable[[Any], None], mode: str = "wb") -> None:
        if Path(path).suffix != ".safetensors":
            return real(path, write, mode)

        def half(f: Any) -> None:
            buf = io.BytesIO()
            write(buf)
            f.write(buf.getvalue()[: len(buf.getvalue()) // 2])
            raise _disk_full()

        return real(path, half, mode)

    monkeypatch.setattr(vae.runfolder.files, "atomic_write", atomic_write)


@pytest.mark.parametrize("fault", [_fail_replace, _fail_weights_midway])
def test_a_failed_write_keeps_the_previous_checkpoint_and_is_reported(
    fault: Callable[[pytest.MonkeyPatch], None],
    tiny_run: Path,
    run_copy: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    keep_sigterm: None,
):
    before = _files(run_copy)
    fault(monkeypatch)
    code = vae.training.cli.main(
        ["--out", str(run_copy), "--resume", "--epochs", "4", "--device", "cpu"]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "No space left on device" in err and "previous checkpoint is intact" in err
    monkeypatch.undo()

    after = _files(run_copy)
    for name in ("model.safetensors", "resume.safetensors", "preview.npz", "snapshots.npz"):
        assert after[name] == before[name], f"{name} changed"
    assert not [p for p in run_copy.iterdir() if p.name.endswith(".tmp")], "temp files left"
    for line in (run_copy / "history.jsonl").read_text().splitlines():
        json.loads(line)
    ckpt = load_checkpoint(run_copy)
    assert ckpt.epoch == 2
    assert ckpt.config.model == load_checkpoint(tiny_run).config.model
    # The run can still be continued once there is space again.
    assert (
        vae.training.cli.main(
            ["--out", str(run_copy), "--resume", "--epochs", "3", "--device", "cpu"]
        )
        == 0
    )
    assert load_checkpoint(run_copy).epoch == 3


# --- learning-rate annealing ----------------------------------------------------------------


def test_lr_anneal_keeps_lr_then_falls_along_a_half_cosine():
    _, cfg = tiny_configs(epochs=6, lr=1e-2, lr_anneal_epochs=3)
    rates = [cfg.lr_at(e) for e in range(6)]
    assert rates[:3] == [1e-2, 1e-2, 1e-2]
    expected = [1e-2 * 0.5 * (1 + math.cos(math.pi * i / 4)) for i in (1, 2, 3)]
    assert rates[3:] == pytest.approx(expected)
    assert rates[3] > rates[4] > rates[5] > 0
    assert [tiny_configs(epochs=3)[1].lr_at(e) for e in range(3)] == [1e-3] * 3


def test_lr_anneal_longer_than_the_run_is_refused():
    with pytest.raises(
        ValueError, match="lr_anneal_epochs must be a whole number from 0 to epochs"
    ):
        tiny_configs(epochs=2, lr_anneal_epochs=3)


def test_an_annealed_run_stopped_mid_way_resumes_to_the_same_weights(
    digits: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    model_cfg, cfg = tiny_configs(epochs=4, lr=5e-3, lr_anneal_epochs=2)
    train(digits, model_cfg, cfg, tmp_path / "whole", log=io.StringIO())
    whole = load_checkpoint(tmp_path / "whole")
    assert [h["lr"] for h in whole.history] == pytest.approx([cfg.lr_at(e) for e in range(4)])

    class Stop(Exception):
        pass

    real = vae.training.loop.elbo_terms
    calls = {"n": 0}
    steps = -(-len(digits.train_x) // cfg.batch_size)

    def stop_in_the_first_annealed_epoch(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2 * steps + 2:
            raise Stop
        return real(*args, **kwargs)

    monkeypatch.setattr(vae.training.loop, "elbo_terms", stop_in_the_first_annealed_epoch)
    with pytest.raises(Stop):
        train(digits, model_cfg, cfg, tmp_path / "split", log=io.StringIO())
    monkeypatch.undo()
    assert load_checkpoint(tmp_path / "split").epoch == 2
    train(digits, model_cfg, cfg, tmp_path / "split", resume=True, log=io.StringIO())
    a, b = (
        _tensors(tmp_path / "whole" / "model.safetensors"),
        _tensors(tmp_path / "split" / "model.safetensors"),
    )
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_a_kill_between_the_resume_state_and_the_weights_is_repaired_on_resume(
    digits: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    class Stop(Exception):
        pass

    model_cfg, cfg = tiny_configs(epochs=2)
    out = tmp_path / "run"
    real = vae.training.loop.save_model

    def stop_before_the_second_epochs_weights(folder: Path, model: Any, epoch: int) -> None:
        if epoch == 2:
            raise Stop
        real(folder, model, epoch)

    monkeypatch.setattr(vae.training.loop, "save_model", stop_before_the_second_epochs_weights)
    with pytest.raises(Stop):
        train(digits, model_cfg, cfg, out, log=io.StringIO())
    monkeypatch.undo()
    assert load_checkpoint(out).epoch == 1  # the resume state already holds epoch 2
    train(digits, model_cfg, cfg, out, resume=True, log=io.StringIO())  # nothing left to run
    ckpt = load_checkpoint(out)
    assert ckpt.epoch == 2
    assert [h["epoch"] for h in ckpt.history] == [1, 2]
    resume = _tensors(out / "resume.safetensors")
    weights = _tensors(out / "model.safetensors")
    assert all(torch.equal(weights[k], resume[f"model.{k}"]) for k in weights)
    with np.load(out / "snapshots.npz") as snaps:  # the scrubber has that epoch's frame too
        assert snaps["epochs"].tolist() == [0, 1, 2] and snaps["mu"].shape[0] == 3


def test_resume_can_restart_the_schedule_with_a_new_lr_and_later_resumes_keep_it(
    run_copy: Path, keep_sigterm: None
):
    """A warm restart: --lr and --lr-anneal-epochs on --resume apply to the epochs still to
    run; the epochs already trained keep the rate they had, and a plain --resume later keeps
    the new settings instead of falling back to the defaults."""
    start = ["--out", str(run_copy), "--resume", "--device", "cpu"]
    assert vae.training.cli.main([*start, "--epochs", "3", "--lr", "0.002"]) == 0
    assert vae.training.cli.main([*start, "--epochs", "5", "--lr-anneal-epochs", "1"]) == 0
    ckpt = load_checkpoint(run_copy)
    assert ckpt.config.train.lr == 0.002 and ckpt.config.train.lr_anneal_epochs == 1
    assert [h["lr"] for h in ckpt.history] == pytest.approx([1e-3, 1e-3, 2e-3, 2e-3, 1e-3])
