"""Which checkpoint the pages show: the sidebar picker, the selected run, the cached loader.

The sidebar picker (`checkpoint_picker`, drawn by app.py) keeps the choice in
st.session_state (ui.state.CHECKPOINT, plain state, not the widget's key), so it holds on
every page, and in the URL (?run=), so a copied address reopens it. `current_checkpoint()`
is what a page calls first: the selected run, loaded once per path and file times
(st.cache_resource), or an st.error and st.stop() on any problem. `load_run(path)` is the
cached loader, for a second checkpoint.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from ui import state
from ui.errors import describe, show_error
from ui.i18n import _
from ui.streamlit_compat import ensure_app_run
from vae.runfolder.files import METRICS_FILE, SAMPLES_FILE
from vae.runfolder.runs import (
    RunNameError,
    RunSummary,
    check_name,
    checkpoint_dir,
    default_run,
    list_runs,
    resolve_run,
    run_stamp,
)
from vae.web.share import ShareError, parse_run

if TYPE_CHECKING:
    from vae import Checkpoint
    from vae.analysis.stored_samples import Cover


@st.cache_resource(show_spinner=False, max_entries=16)
def _load_cached(path: str, stamp: tuple[int, ...]) -> Checkpoint:
    from vae.runfolder.checkpoint import load_checkpoint  # torch: the Overview can go without

    ckpt = load_checkpoint(path)
    ckpt._cache_stamp = stamp  # type: ignore[attr-defined]  # set once, before it is shared
    return ckpt


def cache_key(ckpt: Checkpoint) -> tuple[str, tuple[int, ...]]:
    """(path, file times at load): a key for caches of things computed from this checkpoint."""
    stamp = getattr(ckpt, "_cache_stamp", None) or run_stamp(ckpt.path)
    return str(ckpt.path), stamp


def load_run(path: Path) -> Checkpoint:
    """Load a checkpoint folder once per server, keyed by path and modification times.

    A folder replaced on disk has new times and is loaded afresh, and so is one whose
    metrics.json was rewritten (`python -m vae.evaluate` adds its bounds to it), so every
    page shows the figures the Overview shows. Raises CheckpointError.
    The returned object is shared between sessions: never change it.
    """
    return _load_cached(str(path), run_stamp(path, also=(METRICS_FILE,)))


def selected_run() -> str | None:
    """The run chosen in the sidebar, else the default one (mnist-2d when present), else None."""
    ensure_app_run()
    name = st.session_state.get(state.CHECKPOINT)
    if isinstance(name, str) and name:
        return name
    return default_run(list_runs())


def take_link_run(usable: list[str], fallback: str | None) -> None:
    """Select the checkpoint named by the URL's ?run=, once per new value.

    A value this session has seen before (read, or written by write_link_run) is not a new
    link: a rerun can carry the address from before the last choice reached the browser,
    and taking that would undo the choice. Only a name among `usable` is accepted (a plain
    folder name, see vae.web.share.parse_run); anything else gets an st.warning and the current
    or `fallback` checkpoint stays.
    """
    value = st.query_params.get(state.RUN_PARAM)
    seen: set[str] = st.session_state.setdefault(state.LINK_RUNS_SEEN, set())
    if value is None or value in seen:
        return
    seen.add(value)
    try:
        st.session_state[state.CHECKPOINT] = parse_run(value, usable)
    except ShareError as exc:
        current = st.session_state.get(state.CHECKPOINT)
        shown = current if current in usable else fallback
        st.warning(
            _(
                "The link's checkpoint was not opened: {reason}. Showing **{shown}** instead; "
                "the sidebar lists the checkpoints there are."
            ).format(reason=describe(exc), shown=shown),
            icon=":material/link_off:",
        )


def write_link_run(name: str) -> None:
    """Put the selected checkpoint in the URL (?run=NAME) so a copied address reopens it."""
    if st.query_params.get(state.RUN_PARAM) != name:
        st.query_params[state.RUN_PARAM] = name
    st.session_state.setdefault(state.LINK_RUNS_SEEN, set()).add(name)


def _selected_path() -> tuple[str, Path]:
    """The selected run's name and folder; shows an st.error and stops the page when unusable."""
    name = selected_run()
    if name is None:
        st.info(
            _(
                "There are no usable checkpoints in `{folder}`. Train one on the "
                "Training page, or set VAE_CHECKPOINT_DIR to a folder of run folders."
            ).format(folder=checkpoint_dir()),
            icon=":material/info:",
        )
        st.stop()
    try:
        check_name(name)
    except RunNameError as exc:
        show_error(exc, _("This checkpoint cannot be opened"))
        st.stop()
    try:
        path = resolve_run(name)
    except RunNameError:
        st.error(
            _(
                "The checkpoint **{name}** is no longer in `{folder}`: it was deleted "
                "or moved while selected. Choose another checkpoint in the sidebar, or restore "
                "the folder and reload the page."
            ).format(name=name, folder=checkpoint_dir()),
            icon=":material/folder_off:",
        )
        st.stop()
    return name, path


def current_checkpoint() -> Checkpoint:
    """The selected checkpoint, loaded; shows an st.error and stops the page when unusable."""
    name, path = _selected_path()
    try:
        with st.spinner(_("Loading {name}…").format(name=name)):
            return load_run(path)
    except Exception as exc:
        show_error(exc, _("The checkpoint {name} cannot be used").format(name=name))
        st.stop()


@st.cache_resource(show_spinner=False, max_entries=16)
def _cover_cached(path: str, stamp: tuple[int, ...]) -> Cover | None:
    from vae.analysis.stored_samples import read_cover

    return read_cover(Path(path))


def current_cover() -> Cover | None:
    """The selected run as the Overview first shows it, from its files and stored samples.

    Read without loading the weights (no torch); None when the run has no stored samples
    that match its weights, or anything about them is wrong: the page then loads the run
    with current_checkpoint(), which says what is wrong.
    """
    path = _selected_path()[1]
    try:
        return _cover_cached(str(path), run_stamp(path, also=(SAMPLES_FILE, METRICS_FILE)))
    except Exception:
        return None


def _picked(names: list[str]) -> None:
    """The picker's on_change: a pick among the runs listed becomes the choice."""
    value = st.session_state.get(state.CHECKPOINT_PICKER)
    if isinstance(value, str) and value in names:
        st.session_state[state.CHECKPOINT] = value


def checkpoint_picker() -> None:
    """The sidebar select box over every usable run; broken runs are listed as errors."""
    runs = list_runs()
    usable: dict[str, RunSummary] = {r.name: r for r in runs if r.ok}
    st.sidebar.subheader(":material/deployed_code: " + _("Model"))
    if not usable:
        st.sidebar.info(
            _("No usable checkpoints in `{folder}`. Train one on the Training page.").format(
                folder=checkpoint_dir()
            ),
            icon=":material/info:",
        )
        st.session_state.pop(state.CHECKPOINT, None)
    else:
        take_link_run(list(usable), default_run(runs))
        chosen = st.session_state.get(state.CHECKPOINT)
        if chosen is not None and chosen not in usable:
            fallback = default_run(runs)
            st.sidebar.error(
                _(
                    "The checkpoint **{chosen}** you had selected is gone or no longer loads "
                    "(deleted, moved or broken on disk). Showing **{fallback}** instead; restore "
                    "the folder and reload to use it again."
                ).format(chosen=chosen, fallback=fallback),
                icon=":material/folder_off:",
            )
            chosen = None
        if chosen is None:
            chosen = st.session_state[state.CHECKPOINT] = default_run(runs)
        names = list(usable)
        # The widget's value crosses to the browser as its label, and a run's label changes
        # when its metrics are rewritten (every epoch of a job). The widget has its own key,
        # so its identity never depends on the labels; st.session_state[CHECKPOINT] is the
        # choice, changed only by a pick (on_change) or the code, and pushed into the widget
        # whenever the two differ; the default is the selected run, never the first option.
        index = names.index(str(chosen))
        label = usable[str(chosen)].label
        if (
            st.session_state.get(state.CHECKPOINT_PICKER) != chosen
            or st.session_state.get(state.CHECKPOINT_LABEL) != label  # the browser's is stale
        ):
            st.session_state[state.CHECKPOINT_PICKER] = chosen
            index = 0  # the value set just now decides; a default as well would warn
        st.session_state[state.CHECKPOINT_LABEL] = label
        st.sidebar.selectbox(
            _("Checkpoint"),
            options=names,
            index=index,
            format_func=lambda name: usable[name].label,
            key=state.CHECKPOINT_PICKER,
            on_change=_picked,
            args=(names,),
            help=_(
                "A trained run folder: its data set, latent size z and test −ELBO "
                "in nats per image (lower is better)."
            ),
        )
        run = usable[st.session_state[state.CHECKPOINT]]
        write_link_run(run.name)
        elbo = _("n/a") if run.test_elbo is None else f"{run.test_elbo:.2f} nats"
        if run.imported:
            st.sidebar.caption(
                _(
                    "**{name}**: an imported ONNX model with latent size {z}, "
                    "on {dataset} images; trained elsewhere, it is explored here but not "
                    "trained. The choice holds across pages."
                ).format(name=run.name, z=run.latent_dim, dataset=run.dataset)
            )
        else:
            st.sidebar.caption(
                _(
                    "**{name}**: {dataset}, {arch} with latent size {z}, test −ELBO {elbo}. "
                    "Every page uses this model; the choice holds across pages."
                ).format(
                    name=run.name, dataset=run.dataset, arch=run.arch, z=run.latent_dim, elbo=elbo
                )
            )
    for run in runs:
        if not run.ok:
            st.sidebar.error(
                _("**{name}** cannot be used: {reason}").format(
                    name=run.name, reason=describe(run.problem) if run.problem else run.error
                ),
                icon=":material/broken_image:",
            )
