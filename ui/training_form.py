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
from ui.errors import describe, show_error
from ui.i18n import _
from vae.data import LOADERS
from vae.model.config import ARCHS
from vae.training import jobs

L = jobs.FIELD_LABELS  # English (marked for the catalog in the core); shown with _(L[field])
FORM = jobs.JobRequest()  # the form's defaults: TrainConfig's, as on the command line


def not_writable(root: Path) -> str | None:
    """Why nothing can be trained into the checkpoint folder, or None when it can."""
    folder = root if root.exists() else root.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        return _(
            "The checkpoint folder `{root}` is not writable by the server, so a new run "
            "could not be saved. Make it writable, or set VAE_CHECKPOINT_DIR to a folder "
            "that is, and reload."
        ).format(root=root)
    return None


def refusal(exc: jobs.JobRequestError) -> str:
    """The refusal as the form shows it: its field's label and its reason in the page's language."""
    return describe(exc)


def training_form(root: Path, owner: str) -> None:
    """Section (b): a new run, validated by vae.training.jobs before anything starts."""
    problem = not_writable(root)
    if problem:
        st.error(problem, icon=":material/folder_off:")
        return
    with st.form("training_form", border=True):
        a, b = st.columns(2)
        dataset = a.selectbox(
            _(L["dataset"]),
            list(LOADERS),
            index=list(LOADERS).index(FORM.dataset),
            key="training_dataset",
            help=_("digits (8x8) trains in seconds; MNIST-like sets take minutes per epoch."),
        )
        arch = b.selectbox(
            _(L["arch"]),
            ARCHS,
            key="training_arch",
            help=_("mlp: fully connected; conv: convolutional."),
        )
        hidden = a.text_input(
            _(L["hidden_dims"]),
            "",
            placeholder=_("default (512,256 for mlp, 32,64 for conv)"),
            key="training_hidden",
            help=_("Widths of the encoder's layers (the decoder mirrors them), e.g. 256,128."),
        )
        latent = b.number_input(
            _(L["latent_dim"]),
            value=FORM.latent_dim,
            step=1,
            key="training_latent",
            help=_("Size of z, 1 to 64. 2 can be drawn as a map."),
        )
        beta = a.number_input(
            _(L["beta"]),
            value=FORM.beta,
            step=0.5,
            key="training_beta",
            help=_("Weight of the KL term: 1 is the plain VAE."),
        )
        epochs = b.number_input(
            _(L["epochs"]),
            value=FORM.epochs,
            step=1,
            key="training_epochs",
            help=_("Passes over the data."),
        )
        batch = a.number_input(
            _(L["batch_size"]),
            value=FORM.batch_size,
            step=16,
            key="training_batch",
            help=_("Images per step."),
        )
        lr = b.number_input(
            _(L["lr"]),
            value=FORM.lr,
            step=1e-4,
            format="%.4f",
            key="training_lr",
            help=_("Adam's step size."),
        )
        warmup = a.number_input(
            _(L["warmup_epochs"]),
            value=FORM.warmup_epochs,
            step=1,
            key="training_warmup",
            help=_(
                "Raise β linearly from 0 over the first epochs, so the codes carry "
                "information before the KL pulls them to the prior. 0: off."
            ),
        )
        anneal = b.number_input(
            _(L["lr_anneal_epochs"]),
            value=FORM.lr_anneal_epochs,
            step=1,
            key="training_anneal",
            help=_(
                "Lower the learning rate along a half cosine over the last epochs; "
                "usually a few nats better at the end. 0: off."
            ),
        )
        name = st.text_input(
            _(L["name"]),
            "",
            max_chars=64,
            placeholder=_("leave empty for a generated name"),
            key="training_name",
            help=_("Letters, digits, - and _ only; the run's folder under the checkpoints."),
        )
        submitted = st.form_submit_button(
            _("Start training"), type="primary", icon=":material/play_arrow:"
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
        with st.spinner(_("Checking the settings and starting…")):
            status = jobs.start_job(req, root, owner=owner)
    except jobs.JobRequestError as exc:
        st.error(refusal(exc), icon=":material/edit_off:")
    except jobs.JobError as exc:
        st.error(
            _("Not started: {reason}").format(reason=describe(exc)), icon=":material/hourglass_top:"
        )
    except Exception as exc:
        show_error(exc, _("Training could not start"))
    else:
        st.session_state.setdefault(keys.TRAINING_SEEN_ACTIVE, set()).add(status.name)
        if status.state == "queued":
            st.toast(
                _("{name} is {message}.").format(
                    name=status.name, message=describe(status.message)
                ),
                icon=":material/hourglass_top:",
            )
        else:
            st.toast(_("Started {name}.").format(name=status.name), icon=":material/play_arrow:")
        st.rerun()
