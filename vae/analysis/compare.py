"""Comparing runs: rate-distortion points, which run to compare with, shared test inputs.

The negative ELBO splits into a distortion and a rate (Alemi et al. 2018, "Fixing a
Broken ELBO"): D = -E_q[log p(x|z)], the reconstruction term, and R = KL(q(z|x) || p(z)),
the nats the code carries about x. -ELBO = D + R; a beta-VAE (Higgins et al. 2017)
minimises D + beta R, so beta > 1 buys a lower rate with a higher distortion.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from vae.errors import N_, Message
from vae.runfolder.config import RunConfig
from vae.runfolder.runs import RunSummary

# (metrics.json key, label, help) of the figures shown side by side
FIGURES = (
    ("test_elbo", "−ELBO", N_("Nats per test image: distortion + rate. Lower is better.")),
    (
        "test_recon",
        N_("Distortion"),
        N_("The reconstruction term −E_q[log p(x|z)], nats per test image."),
    ),
    (
        "test_kl",
        N_("Rate (KL)"),
        N_("KL(q(z|x) ‖ p(z)), the nats the code carries about x per image."),
    ),
    (
        "active_units",
        N_("Active units"),
        N_("Latent dimensions whose mean code varies across the data."),
    ),
)


@dataclass(frozen=True)
class RDPoint:
    """One run on the rate-distortion plane, in nats per test image."""

    name: str
    dataset: str
    beta: float
    latent_dim: int
    rate: float  # test KL
    distortion: float  # test reconstruction
    family: str = ""  # runs that differ only in beta share it (see family_key)

    @property
    def elbo(self) -> float:
        """-ELBO = distortion + rate."""
        return self.distortion + self.rate

    @property
    def label(self) -> str:
        """e.g. 'mnist-2d (β=1, z=2)'."""
        return f"{self.name} (β={self.beta:g}, z={self.latent_dim})"


def rate_distortion_points(runs: Sequence[RunSummary]) -> list[RDPoint]:
    """A point for every usable run whose metrics.json has test_kl and test_recon."""
    points = []
    for run in runs:
        if not run.ok or run.test_kl is None or run.test_recon is None:
            continue
        points.append(
            RDPoint(
                name=run.name,
                dataset=str(run.dataset),
                beta=1.0 if run.beta is None else float(run.beta),
                latent_dim=int(run.latent_dim or 0),
                rate=float(run.test_kl),
                distortion=float(run.test_recon),
                family=family_key(run),
            )
        )
    return points


def family_key(run: RunSummary) -> str:
    """What a beta family shares: data set, architecture, widths, latent size, likelihood.

    e.g. 'mnist · mlp 500 · z=16 · bernoulli'. Runs with the same key and different beta are
    one experiment (Higgins et al. 2017; Alemi et al. 2018): only the weight of the rate
    changed between them.
    """
    widths = ",".join(map(str, run.hidden_dims))
    return f"{run.dataset} · {run.arch} {widths} · z={run.latent_dim} · {run.likelihood}"


def families(points: Sequence[RDPoint]) -> dict[str, list[RDPoint]]:
    """Families of at least two different betas, each sorted by beta (the curve's order)."""
    groups: dict[str, list[RDPoint]] = {}
    for point in points:
        groups.setdefault(point.family, []).append(point)
    return {
        key: sorted(group, key=lambda p: (p.beta, p.name))
        for key, group in sorted(groups.items())
        if len({p.beta for p in group}) >= 2
    }


def elbo_levels(points: Sequence[RDPoint], count: int = 5) -> list[float]:
    """Round values of -ELBO (D + R) for lines of equal ELBO across the points' range.

    The step is 1, 2 or 5 times a power of ten, so the lines read as plain numbers; at
    least the points' lowest and highest -ELBO lie between the first and the last line.
    """
    if not points:
        return []
    low = min(p.elbo for p in points)
    high = max(p.elbo for p in points)
    span = max(high - low, 1e-9)
    raw = span / max(1, count - 1)
    base = 10.0 ** math.floor(math.log10(raw))
    step = next(m * base for m in (1.0, 2.0, 5.0, 10.0) if m * base >= raw)
    first = math.floor(low / step) * step
    last = math.ceil(high / step) * step
    n = round((last - first) / step)
    return [round(first + i * step, 10) for i in range(n + 1)]


def by_dataset(points: Sequence[RDPoint], first: Sequence[str] = ()) -> dict[str, list[RDPoint]]:
    """Points grouped by data set; the data sets in `first` lead, the rest follow by name."""
    groups: dict[str, list[RDPoint]] = {}
    for point in sorted(points, key=lambda p: p.name):
        groups.setdefault(point.dataset, []).append(point)
    lead = [d for d in dict.fromkeys(first) if d in groups]
    order = lead + sorted(d for d in groups if d not in lead)
    return {d: groups[d] for d in order}


def default_partner(runs: Sequence[RunSummary], left: str) -> str | None:
    """A run to compare `left` with: another usable run on the same data set if any.

    Among those, a run of the same beta family (it differs only in beta) comes first, the
    one whose beta is farthest from left's on a log scale; then one whose beta or latent
    size differs (a telling comparison); otherwise any other usable run; None when `left`
    is the only one.
    """
    usable = [r for r in runs if r.ok and r.name != left]
    me = next((r for r in runs if r.name == left), None)
    if not usable:
        return None
    if me is None:
        return usable[0].name

    mine = family_key(me)
    my_beta = 1.0 if me.beta is None else me.beta

    def rank(r: RunSummary) -> tuple[int, int, float, str]:
        same_data = r.dataset == me.dataset
        differs = r.beta != me.beta or r.latent_dim != me.latent_dim
        sibling = family_key(r) == mine and r.beta != me.beta  # differs only in beta
        beta = 1.0 if r.beta is None else r.beta
        positive = beta > 0 and my_beta > 0
        spread = -abs(math.log(beta / my_beta)) if sibling and positive else 0.0
        return (0 if same_data else 1, 0 if sibling else 1 if differs else 2, spread, r.name)

    return min(usable, key=rank).name


def input_mismatch(a: RunConfig, b: RunConfig) -> Message | None:
    """Why two runs cannot be shown the same input images (a Message: ui.errors.describe
    shows it in the reader's language), or None when they can."""
    if a.dataset != b.dataset:
        return Message(
            "they were trained on different data sets ({a} and {b})", a=a.dataset, b=b.dataset
        )
    if a.model.image_shape != b.model.image_shape:
        sa = "×".join(map(str, a.model.image_shape))
        sb = "×".join(map(str, b.model.image_shape))
        return Message("their inputs have different shapes ({a} and {b})", a=sa, b=sb)
    return None


def shared_rows(labels: np.ndarray, label: int, count: int, seed: int) -> np.ndarray:
    """Rows of `count` test images drawn at random (by seed), of class `label` (-1: any).

    The same arguments always give the same rows, in increasing order. Fewer rows come
    back when the class has fewer images.
    """
    labels = np.asarray(labels)
    pool = np.arange(len(labels)) if label < 0 else np.flatnonzero(labels == label)
    count = max(0, min(count, len(pool)))
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(pool, count, replace=False)).astype(np.int64)


def figure(metrics: dict[str, Any], key: str) -> float | None:
    """A finite number from metrics.json, or None."""
    value = metrics.get(key)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    return float(value) if math.isfinite(value) else None
