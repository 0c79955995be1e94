"""The Inference page's computations, cached per checkpoint and image.

Every cache is keyed by the checkpoint's cache key (path and file times, ui.selection) and,
for one image, by the image's identity: its image set and index, or a hash of an upload's
pixels. The results are shared between sessions: never change them.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from ui.selection import cache_key
from vae import Checkpoint
from vae.analysis import inference as core
from vae.inference import ChainResult, ExactPosterior, Gaps, Ledger, PosteriorView, VAEModel

Key = tuple[str, tuple[int, ...]]


@st.cache_resource(show_spinner=False, max_entries=8)
def _model(key: Key, _ckpt: Checkpoint) -> VAEModel:
    return core.latent_model(_ckpt.model)  # decodes its coarse grid once, on first use


def latent_model(ckpt: Checkpoint) -> VAEModel:
    """One inference model per checkpoint (never shared across checkpoints). NotAutogradModel."""
    return _model(cache_key(ckpt), ckpt)


@st.cache_resource(show_spinner=False, max_entries=64)
def _ledger(key: Key, image: str, _model: VAEModel, _pixels: np.ndarray) -> Ledger:
    return core.image_ledger(_model, _pixels)


@st.cache_resource(show_spinner=False, max_entries=32)
def _view(
    key: Key, image: str, _model: VAEModel, _pixels: np.ndarray, _post: ExactPosterior
) -> PosteriorView:
    return core.image_view(_model, _pixels, _post)


@st.cache_resource(show_spinner=False, max_entries=64)
def _chain(key: Key, image: str, _model: VAEModel, _pixels: np.ndarray) -> ChainResult:
    return core.image_chain(_model, _pixels)


@st.cache_resource(show_spinner=False, max_entries=8)
def _gaps(key: Key, source: str, n: int, _model: VAEModel, _images: np.ndarray) -> Gaps:
    return core.many_gaps(_model, _images[:n])


def ledger(ckpt: Checkpoint, image: str, pixels: np.ndarray) -> Ledger:
    """The image's ledger (SVI's 300 steps, the IWAE curve and, in 2-D, the exact posterior)."""
    return _ledger(cache_key(ckpt), image, latent_model(ckpt), pixels)


def view(ckpt: Checkpoint, image: str, pixels: np.ndarray, post: ExactPosterior) -> PosteriorView:
    """The exact posterior's heat map of a 2-D model's image."""
    return _view(cache_key(ckpt), image, latent_model(ckpt), pixels, post)


def chain(ckpt: Checkpoint, image: str, pixels: np.ndarray) -> ChainResult:
    """2,000 MALA samples of the image's posterior."""
    return _chain(cache_key(ckpt), image, latent_model(ckpt), pixels)


def gaps(ckpt: Checkpoint, source: str, images: np.ndarray, n: int) -> Gaps:
    """Both gaps over the first n images of an image set (2-D models)."""
    return _gaps(cache_key(ckpt), source, n, latent_model(ckpt), images)
