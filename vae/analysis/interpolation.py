"""Interpolation between two latent codes: linear and spherical paths, a 2-D view, a GIF.

A path is a sequence of latent points from code a to code b, each decoded to an image.
The linear path (lerp) is the straight segment; the spherical one (slerp; Shoemake 1985,
White 2016 "Sampling Generative Networks") follows the great circle between the two
directions, so its norm stays near the endpoints' norms instead of dipping towards the
origin, where prior samples in high dimensions are rare.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from vae.analysis.explore import decode, lerp, slerp
from vae.analysis.pictures import to_uint8
from vae.model.networks import VAE

KINDS = ("linear", "spherical")
MIN_STEPS = 2
MAX_STEPS = 64
GIF_SIDE = 160  # each animated panel is upscaled to about this many pixels a side


@dataclass(frozen=True)
class LatentPath:
    """One interpolation path: its kind, the latent points and their decoded images."""

    kind: str
    z: np.ndarray  # (S, D) float32
    images: np.ndarray  # (S, C, H, W) float32 in [0, 1]

    @property
    def t(self) -> np.ndarray:
        """The interpolation parameter of each step, 0 to 1 inclusive. (S,)."""
        return np.linspace(0.0, 1.0, len(self.z))

    @property
    def norms(self) -> np.ndarray:
        """Euclidean norm ||z|| of each point. (S,)."""
        return np.linalg.norm(self.z.astype(np.float64), axis=1)


def path_points(kind: str, a: np.ndarray, b: np.ndarray, steps: int) -> np.ndarray:
    """`steps` latent points from a to b, endpoints included, along `kind`. (steps, D)."""
    if kind not in KINDS:
        raise ValueError(f"unknown path kind {kind!r}; choose one of {KINDS}")
    if not MIN_STEPS <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be between {MIN_STEPS} and {MAX_STEPS}, not {steps}")
    a, b = np.asarray(a, np.float32).ravel(), np.asarray(b, np.float32).ravel()
    if a.shape != b.shape:
        raise ValueError(f"the endpoints differ in size: {a.shape[0]} and {b.shape[0]}")
    z = lerp(a, b, steps) if kind == "linear" else slerp(a, b, steps)
    z = np.asarray(z, np.float32)
    z[0], z[-1] = a, b  # exact endpoints, whatever the rounding inside the formulas
    return z


def interpolate(model: VAE, a: np.ndarray, b: np.ndarray, steps: int) -> dict[str, LatentPath]:
    """Both paths from a to b (codes (D,)), decoded in one batch. -> {kind: LatentPath}."""
    zs = {kind: path_points(kind, a, b, steps) for kind in KINDS}
    images = decode(model, np.concatenate(list(zs.values())))
    return {
        kind: LatentPath(kind, z, images[i * steps : (i + 1) * steps])
        for i, (kind, z) in enumerate(zs.items())
    }


def prior_shell_radius(d: int) -> float:
    """sqrt(D): the norm near which most of N(0, I)'s mass lies in D dimensions."""
    return math.sqrt(d)


def prior_norm_range(d: int, mass: float = 0.9) -> tuple[float, float]:
    """The central interval of ||z|| holding `mass` of N(0, I) in D dimensions (chi law)."""
    from scipy.stats import chi

    lo, hi = chi.ppf([(1 - mass) / 2, (1 + mass) / 2], d)
    return float(lo), float(hi)


@dataclass(frozen=True)
class Projection:
    """A 2-D view of a latent space: the latent axes for D <= 2, else PCA of a set of codes."""

    mean: np.ndarray  # (D,)
    axes: np.ndarray  # (D, 2)
    titles: tuple[str, str]
    explained: float  # fraction of the codes' variance the view shows

    def __call__(self, z: np.ndarray) -> np.ndarray:
        """Project points (N, D) onto the view. (N, 2) float32."""
        z = np.asarray(z, np.float64).reshape(-1, len(self.mean))
        return ((z - self.mean) @ self.axes).astype(np.float32)


def fit_projection(codes: np.ndarray) -> Projection:
    """The view of codes (N, D): z1 (and 0) for D = 1, (z1, z2) for D = 2, else PCA.

    PCA is fitted on `codes` only, so other points (a path) are projected into the same
    view without moving it. Each axis's sign is fixed (largest loading positive).
    """
    codes = np.asarray(codes, np.float64)
    d = codes.shape[1]
    if d <= 2:
        axes = np.eye(d, 2)
        return Projection(np.zeros(d), axes, ("z1", "z2" if d == 2 else ""), 1.0)
    mean = codes.mean(0)
    centred = codes - mean
    # The principal axes are the eigenvectors of the (D, D) scatter matrix: the same as an SVD
    # of the (N, D) codes, a hundred times faster for 10,000 codes.
    var, vecs = np.linalg.eigh(centred.T @ centred)
    order = np.argsort(var)[::-1]
    var, axes = np.clip(var[order], 0.0, None), vecs[:, order[:2]].copy()  # axes (D, 2)
    for j in range(2):
        if axes[np.argmax(np.abs(axes[:, j])), j] < 0:
            axes[:, j] *= -1
    explained = float(var[:2].sum() / var.sum()) if var.sum() > 0 else 1.0
    return Projection(mean, axes, ("PC 1", "PC 2"), explained)


# --- pictures -------------------------------------------------------------------------------


def scale_for(shape: tuple[int, int], side: int = GIF_SIDE) -> int:
    """Whole-pixel factor that brings an image of (H, W) to about `side` pixels."""
    return max(1, round(side / max(shape)))


def animation_frames(
    strips: Sequence[np.ndarray],
    names: Sequence[str] = (),
    side: int = GIF_SIDE,
    gap: int = 6,
    bar: int = 4,
    font_file: str | None = None,
) -> list[np.ndarray]:
    """Frame k shows image k of every strip (each (S, C, H, W) in [0, 1]) side by side.

    Pixels are repeated (nearest neighbour) so each panel is about `side` px. A bar along
    the bottom marks the position t along the path; `names` adds a title above each panel,
    drawn with the TrueType font `font_file` (PIL's default font when None: Latin only).
    -> S frames, uint8 (H', W', 3).
    """
    if not strips or any(len(s) != len(strips[0]) for s in strips):
        raise ValueError("the strips must be non-empty and of equal length")
    steps, _, h, w = strips[0].shape
    scale = scale_for((h, w), side)
    ph, pw = h * scale, w * scale
    font = ImageFont.truetype(font_file, 13) if font_file else ImageFont.load_default(size=13)
    head = 20 if names else 0
    width = len(strips) * pw + (len(strips) + 1) * gap
    height = head + ph + 2 * gap + bar
    frames = []
    for k in range(steps):
        canvas = Image.new("RGB", (width, height), "white")
        draw = ImageDraw.Draw(canvas)
        for i, strip in enumerate(strips):
            left = gap + i * (pw + gap)
            pic = to_uint8(strip[k], scale)
            canvas.paste(Image.fromarray(pic).convert("RGB"), (left, head + gap))
            if names:
                draw.text((left + pw / 2, head / 2 + 2), names[i], "#333333", font, anchor="mm")
        t = k / max(1, steps - 1)
        top = head + ph + 2 * gap
        draw.rectangle((0, top, width - 1, top + bar - 1), fill="#e0e0e0")
        draw.rectangle((0, top, round(t * (width - 1)), top + bar - 1), fill="#c2185b")
        frames.append(np.asarray(canvas))
    return frames


def gif_bytes(frames: Sequence[np.ndarray], duration_ms: int = 120, pingpong: bool = True) -> bytes:
    """An endlessly looping GIF of frames (uint8 (H, W) or (H, W, 3)).

    pingpong plays forwards then backwards without repeating the ends: S frames give
    2S - 2 (S >= 2). Consecutive frames should differ, as GIF writers merge equal ones.
    """
    if not frames:
        raise ValueError("a GIF needs at least one frame")
    seq = list(frames)
    if pingpong:
        seq += seq[-2:0:-1]
    pics = [Image.fromarray(np.ascontiguousarray(f)).convert("RGB") for f in seq]
    buf = io.BytesIO()
    pics[0].save(
        buf,
        format="GIF",
        save_all=True,
        append_images=pics[1:],
        duration=duration_ms,
        loop=0,
        disposal=1,
    )
    return buf.getvalue()


# --- choosing the endpoints -----------------------------------------------------------------


def nth_of_class(labels: np.ndarray, label: int, n: int) -> int:
    """The row of the n-th image (0-based) with `label`; IndexError if there is none."""
    rows = np.flatnonzero(np.asarray(labels) == label)
    if not 0 <= n < len(rows):
        raise IndexError(f"there are {len(rows)} images of class {label}, so no number {n}")
    return int(rows[n])


def random_pair(labels: np.ndarray, seed: int) -> tuple[int, int]:
    """Two different rows, of different classes when there are two classes or more."""
    labels = np.asarray(labels)
    if len(labels) < 2:
        raise ValueError("a pair needs at least two images")
    rng = np.random.default_rng(seed)
    first = int(rng.integers(len(labels)))
    others = np.flatnonzero(labels != labels[first])
    if len(others) == 0:
        others = np.delete(np.arange(len(labels)), first)
    return first, int(rng.choice(others))
