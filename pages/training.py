"""Training: the selected run's learning curves, and training a new model from the browser."""

from __future__ import annotations

import uuid

import numpy as np
import streamlit as st

from ui import state as keys
from ui.curves import history_figure
from ui.errors import show_error
from ui.images import upscale
from ui.selection import selected_run
from ui.training_form import training_form
from vae import CheckpointError, load_checkpoint
from vae.analysis.explore import decode, tile
from vae.onnx import FORMAT as ONNX_FORMAT
from vae.onnx import is_onnx_folder
from vae.runfolder.checkpoint import read_history
from vae.runfolder.runs import RunNameError, checkpoint_dir, resolve_run
from vae.training import jobs
from vae.training.server import READ_ONLY_ENV, read_only

SAMPLES = 36  # fixed prior draws decoded after each epoch of a live job
ROOT = checkpoint_dir()


def selected_history() -> None:
    """Section (a): how the run chosen in the sidebar learned."""
    name = selected_run()
    if name is None:
        st.info("No model is selected yet: train one below.", icon=":material/info:")
        return
    try:
        path = resolve_run(name)
        if is_onnx_folder(path):
            st.info(
                f"**{name}** is an imported model (an ONNX folder, format {ONNX_FORMAT}): it "
                "was trained elsewhere and is not trained here, so there are no learning "
                "curves to draw and it cannot be resumed. Every other page explores it; to "
                "train a model here, use the form below.",
                icon=":material/input:",
            )
            return
        rows = read_history(path)
    except (CheckpointError, RunNameError, OSError) as exc:
        show_error(exc, f"The history of {name} cannot be read")
        return
    st.subheader(f"How {name} learned")
    if not rows:
        st.info(f"{name} has no history.jsonl, so there are no curves to draw.")
        return
    st.plotly_chart(history_figure(rows), key="training_history")
    st.caption(
        f"{len(rows)} epochs. Train −ELBO is averaged over each epoch while the weights change "
        "(and weighted by β); the test figures are measured after the epoch. −ELBO = "
        "reconstruction + KL: the KL rises as the codes start carrying information."
    )


def owner() -> str:
    """This browser session's token, recorded with the jobs it starts."""
    token: str = st.session_state.setdefault(keys.TRAINING_OWNER, uuid.uuid4().hex)
    return token


def mine(name: str) -> bool:
    """True when this session started the job `name` (and so may cancel it)."""
    return not read_only() and jobs.job_owner(ROOT, name) == owner()


def select(name: str) -> None:
    st.session_state[keys.CHECKPOINT] = name
    st.session_state[keys.TRAINING_RERUN_APP] = True  # the sidebar picker must redraw


def samples(name: str, epoch: int) -> np.ndarray | None:
    """Fixed prior draws decoded by the run's latest weights; cached per run and epoch."""
    key = (name, epoch)
    cached = st.session_state.get(keys.TRAINING_SAMPLES)
    if cached and cached[0] == key:
        return cached[1]
    try:
        ckpt = load_checkpoint(ROOT / name)  # read afresh: the run is still being written
    except CheckpointError:
        return None
    z = np.random.default_rng(0).standard_normal((SAMPLES, ckpt.config.model.latent_dim))
    pic = upscale(tile(decode(ckpt.model, z), nrow=6, padding=1), target=240)
    st.session_state[keys.TRAINING_SAMPLES] = (key, pic)
    return pic


def resume(name: str) -> None:
    try:
        jobs.resume_job(ROOT, name, owner=owner())
        st.session_state[keys.TRAINING_RERUN_APP] = True  # poll every second from now on
    except (jobs.JobError, ValueError, OSError, CheckpointError) as exc:
        st.session_state[keys.TRAINING_NOTICE] = f"Could not resume {name}: {exc}"


def show_job(status: jobs.JobStatus) -> None:
    """Progress, growing curves, samples and the buttons for one job."""
    name, state = status.name, status.state
    icons = {"finished": ":material/check_circle:", "failed": ":material/error:"}
    st.markdown(f"#### {icons.get(state, ':material/model_training:')} {name}: {state}")
    if status.active:
        step = f" · step {status.step} of {status.steps}" if status.steps else ""
        text = f"Epoch {min(status.epoch + 1, status.epochs)} of {status.epochs}{step}"
        st.progress(
            status.fraction, text=text if state == "running" else "Starting the training process…"
        )
        if not mine(name):
            st.caption(
                f"Someone else's job: {name} was started from another browser session, and "
                "only that session can cancel it. It stops by itself at the end of its epochs "
                "or at the server's time limit; its run then appears in the picker."
            )
        elif st.button("Cancel training", icon=":material/stop_circle:", key="training_cancel"):
            try:
                jobs.cancel_job(ROOT, name, owner=owner())
                st.toast(f"Cancelling {name}; the last finished epoch is kept.")
            except jobs.JobError as exc:
                st.warning(str(exc))
        if mine(name):
            st.caption("Leaving this page does not stop the job; come back at any time.")
    elif state == "finished":
        st.success(
            f"{name} finished {status.epoch} epochs. It is now in the sidebar's model picker."
        )
        if st.session_state.get(keys.CHECKPOINT) != name:
            st.button(
                f"Select {name}", on_click=select, args=(name,), icon=":material/open_in_new:"
            )
    elif state == "failed":
        st.error(f"{name} failed: {status.message or jobs.log_tail(ROOT, name, 3)}")
    else:  # cancelled or interrupted
        st.warning(f"{name} was {state}: {status.message}.", icon=":material/pause_circle:")
        if status.resumable and not read_only():
            st.button("Resume", key=f"training_resume_{name}", on_click=resume, args=(name,))
    try:
        rows = read_history(ROOT / name)
    except CheckpointError:
        rows = []
    if rows:
        curves, grid = st.columns([3, 2])
        curves.plotly_chart(
            history_figure(rows, height=520, stacked=True), key="training_live_curves"
        )
        pic = samples(name, len(rows))
        if pic is not None:
            grid.image(
                pic,
                caption=f"Prior samples after epoch {len(rows)}",
                width=pic.shape[1],
                output_format="PNG",
            )
    elif status.active:
        st.caption("Curves and samples appear after the first epoch.")


def live_panel() -> None:
    """The job this server launched last, polled while it runs."""
    if st.session_state.pop(keys.TRAINING_RERUN_APP, False):
        st.rerun(scope="app")
    jobs.advance_queue(ROOT)  # a free slot goes to the first request waiting
    for place, waiting in enumerate(jobs.queued_jobs(ROOT), start=1):
        whose = "yours" if str(waiting.get("owner")) == owner() else "another session's"
        st.caption(f"Queued, number {place}: {waiting['name']} ({whose}); it starts by itself.")
    status = jobs.active_job(ROOT)
    if status is None:
        st.info("No job yet. Fill in the form and press **Start training**.")
        return
    seen = st.session_state.setdefault(keys.TRAINING_SEEN_ACTIVE, set())
    if status.active:
        seen.add(status.name)
    elif status.name in seen:  # it ended while this page watched: let the picker list it
        seen.discard(status.name)
        st.rerun(scope="app")
    show_job(status)
    for other in jobs.running_jobs(ROOT):
        if other.name != status.name:
            st.caption(
                f"Also running: {other.name}, epoch {min(other.epoch + 1, other.epochs)} of "
                f"{other.epochs}" + ("" if mine(other.name) else ", from another session") + "."
            )


st.title(":material/model_training: Training")
st.caption(
    "A VAE learns by maximising the ELBO: reconstructions get sharper while the KL term keeps "
    "the codes close to the prior N(0, I). Watch it happen, then train your own."
)
selected_history()
st.divider()
st.subheader("Train a new model")
form_col, live_col = st.columns([1, 2], gap="large")
with form_col:
    if read_only():
        st.info(
            f"This server is read-only ({READ_ONLY_ENV}=1): nothing is written here, so there "
            "is no training form. The curves above are the selected run's own; every other "
            "page works as usual.",
            icon=":material/lock:",
        )
    else:
        training_form(ROOT, owner())
with live_col:
    notice = st.session_state.pop(keys.TRAINING_NOTICE, None)
    if notice:
        st.error(notice)
    busy = (active := jobs.active_job(ROOT)) is not None and active.active
    busy = busy or bool(jobs.queued_jobs(ROOT))
    st.fragment(live_panel, run_every=1.0 if busy else 10.0)()
    others = [s for s in jobs.unfinished_runs(ROOT) if active is None or s.name != active.name]
    for run in others:
        st.warning(f"{run.name} was {run.state}: {run.message}.", icon=":material/pause_circle:")
        if not read_only():
            st.button(
                "Resume", key=f"training_resume_{run.name}", on_click=resume, args=(run.name,)
            )
