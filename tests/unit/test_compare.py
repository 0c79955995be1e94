"""Comparing runs: rate-distortion points, the partner run, shared inputs, figures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from vae import ModelConfig, RunConfig, TrainConfig
from vae.analysis import compare as vc
from vae.runfolder.runs import RunSummary, list_runs


def summary(name: str, dataset: str = "mnist", **kw: object) -> RunSummary:
    fields: dict[str, object] = {"latent_dim": 2, "beta": 1.0, "test_recon": 100.0}
    fields.update({"test_kl": 5.0, **kw})
    return RunSummary(name, Path(name), dataset=dataset, **fields)  # type: ignore[arg-type]


def test_rate_distortion_points_from_run_folders(tiny_run: Path, tmp_path: Path) -> None:
    root = tmp_path / "runs"
    shutil.copytree(tiny_run, root / "b1")
    shutil.copytree(tiny_run, root / "b4")
    config = json.loads((root / "b4" / "config.json").read_text())
    config["train"]["beta"] = 4.0
    (root / "b4" / "config.json").write_text(json.dumps(config))
    (root / "b4" / "metrics.json").write_text(json.dumps({"test_recon": 30.5, "test_kl": 1.25}))
    shutil.copytree(tiny_run, root / "no-kl")
    (root / "no-kl" / "metrics.json").write_text(json.dumps({"test_recon": 30.0}))
    shutil.copytree(tiny_run, root / "broken")
    (root / "broken" / "model.safetensors").write_bytes(b"")
    points = vc.rate_distortion_points(list_runs(root))
    assert [p.name for p in points] == ["b1", "b4"]
    b1 = json.loads((root / "b1" / "metrics.json").read_text())
    assert (points[0].rate, points[0].distortion) == (b1["test_kl"], b1["test_recon"])
    b4 = points[1]
    assert (b4.rate, b4.distortion, b4.beta, b4.latent_dim) == (1.25, 30.5, 4.0, 2)
    assert b4.elbo == 31.75 and b4.label == "b4 (β=4, z=2)" and b4.dataset == "digits"


def test_points_group_by_dataset_with_chosen_ones_first() -> None:
    points = vc.rate_distortion_points(
        [summary("m2"), summary("d2", "digits"), summary("f2", "frey"), summary("m1")]
    )
    groups = vc.by_dataset(points, first=["frey", "frey", "missing"])
    assert list(groups) == ["frey", "digits", "mnist"]
    assert [p.name for p in groups["mnist"]] == ["m1", "m2"]


def test_default_partner_prefers_a_telling_run_on_the_same_data() -> None:
    runs = [
        summary("a-digits", "digits"),
        summary("b-same", "mnist"),
        summary("c-beta4", "mnist", beta=4.0),
        summary("left", "mnist"),
        RunSummary("z-broken", Path("z"), error="bad"),
    ]
    assert vc.default_partner(runs, "left") == "c-beta4"
    assert vc.default_partner(runs[:2] + runs[3:], "left") == "b-same"
    assert vc.default_partner([runs[0], runs[3]], "left") == "a-digits"
    assert vc.default_partner([runs[3], runs[4]], "left") is None
    assert vc.default_partner(runs, "gone") == "a-digits"


def test_input_mismatch_says_why() -> None:
    def cfg(dataset: str, shape: tuple[int, int, int]) -> RunConfig:
        model = ModelConfig(image_shape=shape, latent_dim=2, hidden_dims=(8,))
        return RunConfig(model, TrainConfig(dataset=dataset), dataset)

    assert vc.input_mismatch(cfg("mnist", (1, 28, 28)), cfg("mnist", (1, 28, 28))) is None
    message = vc.input_mismatch(cfg("mnist", (1, 28, 28)), cfg("frey", (1, 28, 20)))
    assert message is not None and "different data sets (mnist and frey)" in str(message)
    message = vc.input_mismatch(cfg("folder:x", (1, 28, 28)), cfg("folder:x", (3, 28, 28)))
    assert message is not None and "1×28×28 and 3×28×28" in str(message)


def test_shared_rows_are_reproducible_and_of_the_class() -> None:
    labels = np.repeat(np.arange(10), 30)
    rows = vc.shared_rows(labels, 4, 8, seed=1)
    assert len(rows) == 8 and np.all(labels[rows] == 4) and np.all(np.diff(rows) > 0)
    assert np.array_equal(rows, vc.shared_rows(labels, 4, 8, seed=1))
    assert not np.array_equal(rows, vc.shared_rows(labels, 4, 8, seed=2))
    assert len(set(labels[vc.shared_rows(labels, -1, 100, 0)])) == 10
    assert len(vc.shared_rows(labels, 4, 50, 0)) == 30  # the class has only 30
    assert len(vc.shared_rows(labels, 11, 5, 0)) == 0


def test_figure_reads_finite_numbers_only() -> None:
    metrics = {"a": 1, "b": 2.5, "c": None, "d": float("nan"), "e": True, "f": "3"}
    assert [vc.figure(metrics, k) for k in "abcdefg"] == [1.0, 2.5, None, None, None, None, None]
    assert [key for key, *_ in vc.FIGURES] == ["test_elbo", "test_recon", "test_kl", "active_units"]


def test_families_join_runs_that_differ_only_in_beta() -> None:
    fam = {"arch": "mlp", "hidden_dims": (500,), "likelihood": "bernoulli", "latent_dim": 16}
    runs = [
        summary("b4", beta=4.0, test_kl=9.0, test_recon=105.0, **fam),
        summary("b1", beta=1.0, test_kl=24.0, test_recon=77.0, **fam),
        summary("b05", beta=0.5, test_kl=31.0, test_recon=72.0, **fam),
        summary("wide", beta=2.0, **{**fam, "hidden_dims": (1000,)}),
        summary("lone-2d", beta=1.0, arch="mlp", hidden_dims=(500,), likelihood="bernoulli"),
    ]
    groups = vc.families(vc.rate_distortion_points(runs))
    assert list(groups) == ["mnist · mlp 500 · z=16 · bernoulli"]
    curve = groups["mnist · mlp 500 · z=16 · bernoulli"]
    assert [p.name for p in curve] == ["b05", "b1", "b4"]  # by beta
    assert [p.rate for p in curve] == [31.0, 24.0, 9.0]  # the rate falls as beta grows


def test_default_partner_is_the_farthest_beta_of_the_family() -> None:
    fam = {"arch": "mlp", "hidden_dims": (500,), "likelihood": "bernoulli", "latent_dim": 16}
    runs = [summary(f"b{b:g}", beta=b, **fam) for b in (0.5, 1.0, 2.0, 4.0, 8.0)]
    runs.append(summary("z20", beta=1.0, latent_dim=20, arch="conv"))
    assert vc.default_partner(runs, "b1") == "b8"  # |log 8| > |log 0.5|
    assert vc.default_partner(runs, "b8") == "b0.5"
    assert vc.default_partner(runs, "z20") == "b0.5"  # no sibling: a run that differs


def test_elbo_levels_are_round_and_cover_the_points() -> None:
    points = vc.rate_distortion_points(
        [summary("a", test_kl=5.0, test_recon=96.3), summary("b", test_kl=31.0, test_recon=106.4)]
    )
    levels = vc.elbo_levels(points, count=5)
    assert levels == [100.0, 110.0, 120.0, 130.0, 140.0]  # a step of 10 over 101.3-137.4
    assert levels[0] <= min(p.elbo for p in points) and levels[-1] >= max(p.elbo for p in points)
    assert vc.elbo_levels([]) == []
