"""The Training page's form for a new run, validated by vae.training.jobs before it starts.

- `training_form(root, owner)`: the form; on submit the job starts (or is queued) in the
  checkpoint folder `root` on behalf of the browser session `owner`.
- `not_writable(root)`: why nothing can be trained into `root`, or None when it can.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from ui import state as keys
from ui.errors import show_error
from vae.data import LOADERS
from vae.model.config import ARCHS
from vae.training import jobs

L = jobs.FIELD_LABELS
FORM = jobs.JobRequest()  # the form's defaults: TrainConfig's, as on the command line


def not_writable(root: Path) -> str | None:
    """Why nothing can be trained into the checkpoint folder, or None when it can."""
    folder = root if root.exists() else root.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        return (
            f"The checkpoint folder `{root}` is not writable by the server, so a new run "
            "could not be saved. Make it writable, or set VAE_CHECKPOINT_DIR to a folder "
            "that is, and reload."
        )
    return None


def training_form(root: Path, owner: str) -> None:
    """Section (b): a new run, validated by vae.training.jobs before anything starts."""
    problem = not_writable(root)
    if problem:
        st.error(problem, icon=":material/folder_off:")
        return
    with st.form("training_form", border=True):
        a, b = st.columns(2)
        dataset = a.selectbox(
            L["dataset"],
            list(LOADERS),
            index=list(LOADERS).index(FORM.dataset),
            key="training_dataset",
            help="digits (8x8) trains in seconds; MNIST-like sets take minutes per epoch.",
        )
        arch = b.selectbox(
            L["arch"], ARCHS, key="training_arch", help="mlp: fully connected; conv: convolutional."
        )
        hidden = a.text_input(
            L["hidden_dims"],
            "",
            placeholder="default (512,256 for mlp, 32,64 for conv)",
            key="training_hidden",
            help="Widths of the encoder's layers (the decoder mirrors them), e.g. 256,128.",
        )
        latent = b.number_input(
            L["latent_dim"],
            value=FORM.latent_dim,
            step=1,
            key="training_latent",
            help="Size of z, 1 to 64. 2 can be drawn as a map.",
        )
        beta = a.number_input(
            L["beta"],
            value=FORM.beta,
            step=0.5,
            key="training_beta",
            help="Weight of the KL term: 1 is the plain VAE.",
        )
        epochs = b.number_input(
            L["epochs"],
            value=FORM.epochs,
            step=1,
            key="training_epochs",
            help="Passes over the data.",
        )
        batch = a.number_input(
            L["batch_size"],
            value=FORM.batch_size,
            step=16,
            key="training_batch",
            help="Images per step.",
        )
        lr = b.number_input(
            L["lr"],
            value=FORM.lr,
            step=1e-4,
            format="%.4f",
            key="training_lr",
            help="Adam's step size.",
        )
        warmup = a.number_input(
            L["warmup_epochs"],
            value=FORM.warmup_epochs,
            step=1,
            key="training_warmup",
            help="Raise β linearly from 0 over the first epochs, so the codes carry "
            "information before the KL pulls them to the prior. 0: off.",
        )
        anneal = b.number_input(
            L["lr_anneal_epochs"],
            value=FORM.lr_anneal_epochs,
            step=1,
            key="training_anneal",
            help="Lower the learning rate along a half cosine over the last epochs; "
            "usually a few nats better at the end. 0: off.",
        )
        name = st.text_input(
            L["name"],
            "",
            max_chars=64,
            placeholder="leave empty for a generated name",
            key="training_name",
            help="Letters, digits, - and _ only; the run's folder under the checkpoints.",
        )
        submitted = st.form_submit_button(
            "Start training", type="primary", icon=":material/play_arrow:"
        )
    if not submitted:
        return
    req = jobs.JobRequest(
        dataset=dataset,
        arch=str(arch),
        hidden_dims=hidden.strip(),
        latent_dim=latent,
        beta=beta,
        epochs=epochs,
        batch_size=batch,
        lr=lr,
        warmup_epochs=warmup,
        lr_anneal_epochs=anneal,
        name=name.strip(),
    )
    try:
        with st.spinner("Checking the settings and starting…"):
            status = jobs.start_job(req, root, owner=owner)
    except jobs.JobRequestError as exc:
        st.error(str(exc), icon=":material/edit_off:")
    except jobs.JobError as exc:
        st.error(f"Not started: {exc}", icon=":material/hourglass_top:")
    except Exception as exc:
        show_error(exc, "Training could not start")
    else:
        st.session_state.setdefault(keys.TRAINING_SEEN_ACTIVE, set()).add(status.name)
        if status.state == "queued":
            st.toast(f"{status.name} is {status.message}.", icon=":material/hourglass_top:")
        else:
            st.toast(f"Started {status.name}.", icon=":material/play_arrow:")
        st.rerun()
