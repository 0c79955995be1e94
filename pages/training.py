"""Training: the selected run's learning curves, and training a new model from the browser."""

from __future__ import annotations

import uuid

import numpy as np
import streamlit as st

from ui import state as keys
from ui.curves import history_figure
from ui.errors import describe, show_error
from ui.i18n import N_, _
from ui.images import upscale
from ui.lessons import fit_figure
from ui.selection import selected_run
from ui.training_form import training_form
from vae.analysis.pictures import tile
from vae.errors import Message
from vae.onnx import FORMAT as ONNX_FORMAT
from vae.onnx import is_onnx_folder
from vae.runfolder.config import read_history
from vae.runfolder.files import CheckpointError
from vae.runfolder.runs import RunNameError, checkpoint_dir, resolve_run
from vae.training import jobs
from vae.training.server import READ_ONLY_ENV, read_only

SAMPLES = 36  # fixed prior draws decoded after each epoch of a live job
ROOT = checkpoint_dir()
STATES = {  # a job's state (a value of vae.training) as the page shows it
    "queued": N_("queued"),
    "starting": N_("starting"),
    "running": N_("running"),
    "finished": N_("finished"),
    "failed": N_("failed"),
    "cancelled": N_("cancelled"),
    "interrupted": N_("interrupted"),
    "timed out": N_("timed out"),
}


def shown_state(state: str) -> str:
    return _(STATES[state]) if state in STATES else state


def selected_history() -> None:
    """Section (a): how the run chosen in the sidebar learned."""
    name = selected_run()
    if name is None:
        st.info(_("No model is selected yet: train one below."), icon=":material/info:")
        return
    try:
        path = resolve_run(name)
        if is_onnx_folder(path):
            st.info(
                _(
                    "**{name}** is an imported model (an ONNX folder, format {format}): it "
                    "was trained elsewhere and is not trained here, so there are no learning "
                    "curves to draw and it cannot be resumed. Every other page explores it; to "
                    "train a model here, use the form below."
                ).format(name=name, format=ONNX_FORMAT),
                icon=":material/input:",
            )
            return
        rows = read_history(path)
    except (CheckpointError, RunNameError, OSError) as exc:
        show_error(exc, _("The history of {name} cannot be read").format(name=name))
        return
    st.subheader(_("How {name} learned").format(name=name))
    if not rows:
        st.info(_("{name} has no history.jsonl, so there are no curves to draw.").format(name=name))
        return
    st.plotly_chart(fit_figure(history_figure(rows)), key="training_history")
    st.caption(
        _(
            "{n} epochs. Train −ELBO is averaged over each epoch while the weights change "
            "(and weighted by β); the test figures are measured after the epoch. −ELBO = "
            "reconstruction + KL: the KL rises as the codes start carrying information."
        ).format(n=len(rows))
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
    from vae.analysis.explore import decode  # torch: only where a job's samples are drawn
    from vae.runfolder.checkpoint import load_checkpoint

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
        st.session_state[keys.TRAINING_NOTICE] = _("Could not resume {name}: {reason}").format(
            name=name, reason=describe(exc)
        )


def stopped(name: str, state: str, message: Message) -> str:
    """A stopped run's notice, in the session's language."""
    return _("{name} was {state}: {reason}.").format(
        name=name, state=shown_state(state), reason=describe(message)
    )


def show_job(status: jobs.JobStatus) -> None:
    """Progress, growing curves, samples and the buttons for one job."""
    name, state = status.name, status.state
    icons = {"finished": ":material/check_circle:", "failed": ":material/error:"}
    icon = icons.get(state, ":material/model_training:")
    st.markdown(f"#### {icon} {name}: {shown_state(state)}")
    if status.active:
        text = _("Epoch {epoch} of {epochs}").format(
            epoch=min(status.epoch + 1, status.epochs), epochs=status.epochs
        )
        if status.steps:
            text += " · " + _("step {step} of {steps}").format(step=status.step, steps=status.steps)
        starting = _("Starting the training process…")
        st.progress(status.fraction, text=text if state == "running" else starting)
        if not mine(name):
            st.caption(
                _(
                    "Someone else's job: {name} was started from another browser session, and "
                    "only that session can cancel it. It stops by itself at the end of its "
                    "epochs or at the server's time limit; its run then appears in the picker."
                ).format(name=name)
            )
        elif st.button(_("Cancel training"), icon=":material/stop_circle:", key="training_cancel"):
            try:
                jobs.cancel_job(ROOT, name, owner=owner())
                st.toast(_("Cancelling {name}; the last finished epoch is kept.").format(name=name))
            except jobs.JobError as exc:
                st.warning(describe(exc))
        if mine(name):
            st.caption(_("Leaving this page does not stop the job; come back at any time."))
    elif state == "finished":
        st.success(
            _("{name} finished {epochs} epochs. It is now in the sidebar's model picker.").format(
                name=name, epochs=status.epoch
            )
        )
        if st.session_state.get(keys.CHECKPOINT) != name:
            st.button(
                _("Select {name}").format(name=name),
                on_click=select,
                args=(name,),
                icon=":material/open_in_new:",
            )
    elif state == "failed":
        reason = describe(status.message) if str(status.message) else jobs.log_tail(ROOT, name, 3)
        st.error(_("{name} failed: {reason}").format(name=name, reason=reason))
    else:  # cancelled or interrupted
        st.warning(stopped(name, state, status.message), icon=":material/pause_circle:")
        if status.resumable and not read_only():
            st.button(_("Resume"), key=f"training_resume_{name}", on_click=resume, args=(name,))
    try:
        rows = read_history(ROOT / name)
    except CheckpointError:
        rows = []
    if rows:
        curves, grid = st.columns([3, 2])
        curves.plotly_chart(
            fit_figure(history_figure(rows, height=520, stacked=True)), key="training_live_curves"
        )
        pic = samples(name, len(rows))
        if pic is not None:
            grid.image(
                pic,
                caption=_("Prior samples after epoch {epoch}").format(epoch=len(rows)),
                width=pic.shape[1],
                output_format="PNG",
            )
    elif status.active:
        st.caption(_("Curves and samples appear after the first epoch."))


def live_panel() -> None:
    """The job this server launched last, polled while it runs."""
    if st.session_state.pop(keys.TRAINING_RERUN_APP, False):
        st.rerun(scope="app")
    jobs.advance_queue(ROOT)  # a free slot goes to the first request (app.py's thread: no page)
    for place, waiting in enumerate(jobs.queued_jobs(ROOT), start=1):
        whose = _("yours") if str(waiting.get("owner")) == owner() else _("another session's")
        st.caption(
            _("Queued, number {place}: {name} ({whose}); it starts by itself.").format(
                place=place, name=waiting["name"], whose=whose
            )
        )
    status = jobs.active_job(ROOT)
    if status is None:
        st.info(_("No job yet. Fill in the form and press **Start training**."))
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
            also = (
                _("Also running: {name}, epoch {epoch} of {epochs}.")
                if mine(other.name)
                else _("Also running: {name}, epoch {epoch} of {epochs}, from another session.")
            )
            epoch = min(other.epoch + 1, other.epochs)
            st.caption(also.format(name=other.name, epoch=epoch, epochs=other.epochs))


st.title(_(":material/model_training: Training"))
st.caption(
    _(
        "A VAE learns by maximising the ELBO: reconstructions get sharper while the KL term "
        "keeps the codes close to the prior N(0, I). Watch it happen, then train your own."
    )
)
selected_history()
st.divider()
st.subheader(_("Train a new model"))
form_col, live_col = st.columns([1, 2], gap="large")
with form_col:
    if read_only():
        st.info(
            _(
                "This server is read-only ({env}=1): nothing is written here, so there is no "
                "training form. The curves above are the selected run's own; every other page "
                "works as usual."
            ).format(env=READ_ONLY_ENV),
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
        st.warning(stopped(run.name, run.state, run.message), icon=":material/pause_circle:")
        if not read_only():
            st.button(
                _("Resume"), key=f"training_resume_{run.name}", on_click=resume, args=(run.name,)
            )
