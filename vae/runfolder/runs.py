"""Run folders under the checkpoint directory: discovery, summaries and safe name resolution.

Summaries are read from config.json and metrics.json only (the weights are never loaded
here), so listing many runs is fast and a broken folder is reported rather than raised.
Names that come from a browser (a picker, a query parameter) go through `resolve_run`,
which accepts only a plain folder name directly under the checkpoint directory.
"""

from __future__ import annotations

import copy
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vae.errors import Message, VAEError
from vae.onnx import is_onnx_folder, read_vae_json
from vae.onnx.spec import DECODER_FILE, ENCODER_FILE, IMAGES_FILE, VAE_JSON
from vae.runfolder.config import read_config, read_metrics
from vae.runfolder.files import CONFIG_FILE, MODEL_FILE, CheckpointError, check_weights_header

DEFAULT_RUN = "mnist-2d"
IMPORTED_DATASET = "imported"
"""The data set name of an imported model whose vae.json names none (as vae.onnx.load's)."""
MAX_NAME_LENGTH = 255
_FORBIDDEN = ("/", "\\", ":", "\x00")


class RunNameError(VAEError, ValueError):
    """A run name is not a plain folder name under the checkpoint directory."""


@dataclass(frozen=True)
class RunSummary:
    """What the picker shows about one run folder, read without loading the weights."""

    name: str
    path: Path
    dataset: str | None = None
    latent_dim: int | None = None
    arch: str | None = None
    hidden_dims: tuple[int, ...] = ()
    likelihood: str | None = None
    beta: float | None = None
    test_elbo: float | None = None
    test_recon: float | None = None
    test_kl: float | None = None
    error: str | None = None
    imported: bool = False  # an onnx-vae/1 folder: trained elsewhere
    problem: VAEError | Message | None = None  # `error` as a message the app translates

    @property
    def ok(self) -> bool:
        """True when the folder looks loadable (config valid, weights present)."""
        return self.error is None

    @property
    def label(self) -> str:
        """One line for a picker, e.g. 'mnist-2d · mnist · z=2 · −ELBO 140.2'."""
        if not self.ok:
            return f"{self.name} · broken"
        if self.imported:  # no figures until it is loaded; the data set only when named
            data = "" if self.dataset == IMPORTED_DATASET else f" · {self.dataset}"
            return f"{self.name}{data} · z={self.latent_dim} · imported"
        elbo = "−ELBO n/a" if self.test_elbo is None else f"−ELBO {self.test_elbo:.1f}"
        return f"{self.name} · {self.dataset} · z={self.latent_dim} · {elbo}"


def checkpoint_dir() -> Path:
    """$VAE_CHECKPOINT_DIR, default the checkpoints/ folder at the project root."""
    env = os.environ.get("VAE_CHECKPOINT_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "checkpoints"


def check_name(name: object) -> str:
    """Return name if it is a plain, visible folder name; raise RunNameError otherwise."""
    if not isinstance(name, str) or not name or not name.strip():
        raise RunNameError("a checkpoint name must be a non-empty folder name")
    shown = ascii(name) if len(name) <= 80 else ascii(name[:80] + "…")
    if len(name) > MAX_NAME_LENGTH:
        raise RunNameError("the checkpoint name {shown} is too long", shown=shown)
    if name in (".", "..") or any(s in name for s in _FORBIDDEN) or os.sep in name:
        raise RunNameError(
            "{shown} is not a checkpoint name: only a plain folder name is accepted, "
            "never a path, '..' or a separator",
            shown=shown,
        )
    if name.startswith("."):
        raise RunNameError(
            "{shown} is a hidden name; hidden folders are not checkpoints", shown=shown
        )
    if any(not ch.isprintable() for ch in name):
        raise RunNameError(
            "{shown} holds control characters; it is not a checkpoint name", shown=shown
        )
    return name


def resolve_run(name: object, base: Path | None = None) -> Path:
    """The folder of run `name`, which must exist directly under the checkpoint directory.

    Refuses '..', absolute paths, separators, hidden names and links that lead outside the
    directory, with a RunNameError whose message says why.
    """
    plain = check_name(name)
    root = (base if base is not None else checkpoint_dir()).resolve()
    path = root / plain
    if not path.exists() and not path.is_symlink():
        raise RunNameError(
            "there is no checkpoint named {plain!r} in {root}", plain=plain, root=root
        )
    target = path.resolve()
    if target == root or not target.is_relative_to(root):
        raise RunNameError(
            "{plain!r} links outside the checkpoint folder {root}; refused", plain=plain, root=root
        )
    if not target.is_dir():
        raise RunNameError("{plain!r} in {root} is not a folder", plain=plain, root=root)
    return path


def _stamped_files(path: Path) -> list[str]:
    """The files whose times key a loaded run: an imported folder's every model file."""
    if not is_onnx_folder(path):
        return [MODEL_FILE, CONFIG_FILE]
    try:
        graphs = sorted(p.name for p in path.iterdir() if p.name.endswith((".onnx", ".onnx.data")))
    except OSError:
        graphs = []
    return [VAE_JSON, *graphs, IMAGES_FILE]


def run_stamp(path: Path, also: tuple[str, ...] = ()) -> tuple[int, ...]:
    """Modification and change times (ns) and size of model.safetensors and config.json.

    For an imported folder: of vae.json, every *.onnx and *.onnx.data and images.npz; then
    of the files named in `also`.
    -1 stands for a missing file. A cache keyed by (path, stamp) reloads a checkpoint whose
    files were replaced on disk, even by a copy that kept the old modification times (the
    change time cannot be set back).
    """
    out: list[int] = []
    for file in (*_stamped_files(path), *also):
        try:
            info = (path / file).stat()
            out += [info.st_mtime_ns, info.st_ctime_ns, info.st_size]
        except OSError:
            out += [-1, -1, -1]
    return tuple(out)


def _number(v: Any) -> float | None:
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    return float(v) if ok else None


def _relative(exc: BaseException, path: Path) -> VAEError | Message:
    """exc naming files relative to the run folder (the folder by its name)."""

    def short(value: object) -> object:
        if isinstance(value, VAEError):
            return _relative(value, path)
        if isinstance(value, (str, Path)):
            return str(value).replace(str(path) + os.sep, "").replace(str(path), path.name)
        return value

    if isinstance(exc, VAEError):
        out = copy.copy(exc)
        out.params = {k: short(v) for k, v in exc.params.items()}
        if str(out) == short(str(exc)):
            return out
    return Message("{reason}", reason=short(str(exc)))  # text from outside (an OSError)


def summarize_run(path: Path) -> RunSummary:
    """Summarise one run folder; any problem becomes `error`, never an exception."""
    name = path.name
    if is_onnx_folder(path):
        return _summarize_imported(path)
    try:
        config = read_config(path)
        check_weights_header(path / MODEL_FILE)
        metrics = read_metrics(path)
    except (CheckpointError, OSError) as exc:
        message = _relative(exc, path)
        return RunSummary(name, path, error=str(message), problem=message)
    return RunSummary(
        name=name,
        path=path,
        dataset=config.dataset,
        latent_dim=config.model.latent_dim,
        arch=config.model.arch,
        hidden_dims=config.model.hidden_dims,
        likelihood=config.model.likelihood,
        beta=config.train.beta,
        test_elbo=_number(metrics.get("test_elbo")),
        test_recon=_number(metrics.get("test_recon")),
        test_kl=_number(metrics.get("test_kl")),
    )


def _summarize_imported(path: Path) -> RunSummary:
    """An imported folder from its vae.json alone (the graphs are checked when it loads)."""
    name = path.name
    try:
        spec = read_vae_json(path)
        for file in (ENCODER_FILE, DECODER_FILE):
            if not (path / file).is_file():
                raise CheckpointError("{path} is missing; add it to the folder", path=path / file)
    except (CheckpointError, OSError) as exc:
        message = _relative(exc, path)
        return RunSummary(name, path, error=str(message), imported=True, problem=message)
    return RunSummary(
        name=name,
        path=path,
        dataset=spec.dataset or IMPORTED_DATASET,
        latent_dim=spec.latent_dim,
        arch="onnx",
        likelihood=spec.likelihood,
        imported=True,
    )


def list_runs(base: Path | None = None) -> list[RunSummary]:
    """Every visible folder under the checkpoint directory, sorted by name, broken ones too."""
    root = base if base is not None else checkpoint_dir()
    try:
        entries = sorted(root.iterdir(), key=lambda p: p.name)
    except OSError:
        return []
    runs = []
    for entry in entries:
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        try:
            path = resolve_run(entry.name, root)
        except RunNameError as exc:
            runs.append(RunSummary(entry.name, entry, error=str(exc), problem=exc))
            continue
        runs.append(summarize_run(path))
    return runs


def default_run(runs: list[RunSummary]) -> str | None:
    """The run a fresh session starts on: mnist-2d when usable, else the first usable one."""
    usable = [r.name for r in runs if r.ok]
    if DEFAULT_RUN in usable:
        return DEFAULT_RUN
    return usable[0] if usable else None
