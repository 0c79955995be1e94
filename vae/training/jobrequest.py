"""The training form's request: typed values, run names, and validation before any work.

Its defaults are TrainConfig's (vae.training.config), as are the command line's.

Validation reuses vae.training.cli's parser (and through it the configs), so the form and
the command line refuse the same values; each refusal names the form field it is about.
"""

from __future__ import annotations

import functools
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vae.data import LOADERS, DatasetError, data_root, load_dataset
from vae.errors import N_, Message, VAEError
from vae.model.config import ConfigError
from vae.training.cli import parse_train_args
from vae.training.config import default

JOBS_DIR = ".jobs"
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
FIELD_LABELS = {  # the training form's labels (shown translated)
    "dataset": N_("Data set"),
    "arch": N_("Architecture"),
    "hidden_dims": N_("Hidden layers"),
    "latent_dim": N_("Latent size"),
    "likelihood": N_("Likelihood"),
    "beta": N_("β (KL weight)"),
    "epochs": N_("Epochs"),
    "batch_size": N_("Batch size"),
    "lr": N_("Learning rate"),
    "warmup_epochs": N_("KL warm-up epochs"),
    "lr_anneal_epochs": N_("Learning-rate anneal epochs"),
    "seed": N_("Seed"),
    "name": N_("Run name"),
}


class JobRequestError(VAEError, ValueError):
    """A training form value is invalid; `field` names it (a JobRequest attribute)."""

    def __init__(self, field: str | None, detail: str, /, **params: object) -> None:
        self.field = field
        label = FIELD_LABELS.get(field or "", "")
        if label:  # the field's label is in the catalog: the pages show the same words
            super().__init__(
                "{label}: {detail}", label=Message(label), detail=Message(detail, **params)
            )
        else:
            super().__init__(detail, **params)


class _Detail(Message):
    """A core error's message shortened in English to what follows its field's name; a
    translation shows the whole message (its words, not the English, are cut)."""

    def __init__(self, exc: VAEError, english: str) -> None:
        super().__init__(exc.template, **exc.params)
        self.english = english

    def __str__(self) -> str:
        return self.english


@dataclass(frozen=True)
class JobRequest:
    """What the training form asks for. Empty hidden_dims/likelihood/name mean the defaults."""

    dataset: str = "digits"  # the form starts on the data set that trains in seconds
    arch: str = "mlp"
    hidden_dims: str = ""
    latent_dim: int = 2
    beta: float = default("beta")
    epochs: int = default("epochs")
    batch_size: int = default("batch_size")
    lr: float = default("lr")
    warmup_epochs: int = default("warmup_epochs")
    lr_anneal_epochs: int = default("lr_anneal_epochs")
    likelihood: str = ""
    seed: int = default("seed")
    name: str = ""

    def argv(self, out: Path) -> list[str]:
        """Arguments for `python -m vae.train` writing to `out`."""
        args = [f"--dataset={self.dataset}", f"--arch={self.arch}"]
        args += [f"--hidden-dims={self.hidden_dims}"] if self.hidden_dims.strip() else []
        args += [f"--likelihood={self.likelihood}"] if self.likelihood else []
        args += [f"--latent-dim={self.latent_dim}", f"--beta={self.beta}"]
        args += [f"--epochs={self.epochs}", f"--batch-size={self.batch_size}"]
        args += [f"--warmup-epochs={self.warmup_epochs}"] if self.warmup_epochs else []
        args += [f"--lr-anneal-epochs={self.lr_anneal_epochs}"] if self.lr_anneal_epochs else []
        return [*args, f"--lr={self.lr}", f"--seed={self.seed}", f"--out={out}"]


def check_run_name(name: str) -> str:
    """A run name must be 1-64 letters, digits, '-' or '_', starting with a letter or digit."""
    if not isinstance(name, str) or NAME_PATTERN.fullmatch(name) is None:
        raise JobRequestError(
            "name",
            "{name!r} is not allowed; use 1 to 64 letters, digits, '-' or '_' "
            "(starting with a letter or digit), or leave it empty for a generated name",
            name=name,
        )
    return name


def _whole(field: str, value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise JobRequestError(field, "must be a whole number, got {value!r}", value=value)
    return value


def _field_and_detail(message: str) -> tuple[str | None, str]:
    """Map a cli message ('--latent-dim: latent_dim must be ...') to (field, detail)."""
    flag = re.match(r"-+([a-z][a-z-]*)", message)
    field = flag.group(1).replace("-", "_") if flag else ""
    detail = re.sub(r"^-+[a-z-]+:? ", "", message)
    if "must " in detail:
        detail = detail[detail.index("must ") :]
    if field in FIELD_LABELS:
        return field, detail
    if "parameters" in message:
        return "hidden_dims", detail
    return ("arch" if "conv architecture" in message else None), detail


@functools.lru_cache(maxsize=8)
def _train_size(dataset: str, root: str) -> int:
    return len(load_dataset(dataset, root=root).train_x)


def validate_request(req: JobRequest, root: Path) -> tuple[str, list[str]]:
    """Check every form value before any work; -> (run name, argv). Raises JobRequestError."""
    if req.dataset not in LOADERS:
        raise JobRequestError(
            "dataset",
            "unknown data set {dataset!r}; choose one of {loaders}",
            dataset=req.dataset,
            loaders=", ".join(LOADERS),
        )
    name = check_run_name(req.name) if req.name else new_run_name(req, root)
    if (root / name).exists():
        raise JobRequestError(
            "name", "a run named {name!r} exists already; choose another name", name=name
        )
    for field in (
        "latent_dim",
        "epochs",
        "batch_size",
        "seed",
        "warmup_epochs",
        "lr_anneal_epochs",
    ):
        _whole(field, getattr(req, field))
    if req.epochs == 0:  # TrainConfig allows 0 (an imported model), a training job does not
        raise JobRequestError("epochs", "choose at least 1 epoch: 0 would leave an untrained model")
    argv = req.argv(root.resolve() / name)
    try:
        parse_train_args(argv)
    except (ConfigError, DatasetError) as exc:
        about, detail = _field_and_detail(str(exc))
        raise JobRequestError(about, "{reason}", reason=_Detail(exc, detail)) from exc
    except SystemExit as exc:  # argparse refused a value's type
        raise JobRequestError(None, "a value has the wrong type: {argv}", argv=argv) from exc
    try:
        size = _train_size(req.dataset, str(data_root().resolve()))
    except DatasetError as exc:
        raise JobRequestError(
            "dataset", "{dataset} is not on disk: {reason}", dataset=req.dataset, reason=exc
        ) from exc
    if req.batch_size > size:
        raise JobRequestError(
            "batch_size",
            "{batch_size} is larger than the {size} training images of {dataset}; "
            "choose at most {size}",
            batch_size=req.batch_size,
            size=size,
            dataset=req.dataset,
        )
    return name, argv


def new_run_name(req: JobRequest, root: Path) -> str:
    """A fresh name such as digits-2d-20250101-120000, unused under root."""
    base = f"{req.dataset}-{req.latent_dim}d-{time.strftime('%Y%m%d-%H%M%S')}"
    name, n = base, 1
    while (root / name).exists() or (root / JOBS_DIR / f"{name}.json").exists():
        n += 1
        name = f"{base}-{n}"
    return name
