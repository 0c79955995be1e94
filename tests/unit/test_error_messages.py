"""The core's error messages: literal templates with named values, extracted and translated.

Every error the core raises for a person (vae.errors.VAEError and its subclasses, and the
fragments vae.errors.Message) is an English template and its values; the catalog holds the
templates and ui.errors.describe shows them in the session's language.
"""

from __future__ import annotations

import ast
import string

import pytest

pytest.importorskip("babel")

from tests.unit.test_catalog import ROOT, messages
from ui import errors, i18n
from ui.errors import describe
from vae.errors import Message, VAEError


@pytest.fixture(scope="module")
def keywords() -> dict[str, int]:
    return {name: at for name, (at,) in messages.core_keywords().items()}


@pytest.fixture
def korean(monkeypatch):
    monkeypatch.setattr(i18n, "language", lambda: "ko")
    monkeypatch.setattr(errors, "language", lambda: "ko")
    return i18n.translations("ko")


def _calls(keywords: dict[str, int]):
    """(where, call, template argument or None, enclosing function) for every message call."""
    for path in sorted((ROOT / "vae").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        enclosing: dict[ast.AST, ast.FunctionDef] = {}
        for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
            for node in ast.walk(fn):  # outer functions first: an inner one overwrites them
                enclosing[node] = fn
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or messages._called(node) not in keywords:
                continue
            at = keywords[messages._called(node) or ""] - 1
            arg = node.args[at] if len(node.args) > at else None
            yield f"{path.relative_to(ROOT)}:{node.lineno}", node, arg, enclosing.get(node)


def _forwarded(arg: ast.expr | None, fn: ast.FunctionDef | None) -> bool:
    """A helper passing its own parameter on, or an error class's __init__ building its text."""
    if fn is None or not isinstance(arg, ast.Name):
        return False
    names = {a.arg for a in (*fn.args.posonlyargs, *fn.args.args)}
    return arg.id in names or fn.name == "__init__"


def test_the_error_classes_and_helpers_are_found(keywords):
    for name in ("UploadError", "CheckpointError", "OnnxFolderError", "LessonError", "JobError"):
        assert keywords[name] == 1, name
    for name in ("DatasetError", "ShareError", "ConfigError", "ServerSettingError", "Message"):
        assert keywords[name] == 1, name
    assert keywords["JobRequestError"] == 2 and keywords["check"] == 2


def test_every_message_of_the_core_is_a_literal_template(keywords):
    bad = []
    for where, _node, arg, fn in _calls(keywords):
        literal = isinstance(arg, ast.Constant) and isinstance(arg.value, str)
        if not literal and not _forwarded(arg, fn):
            shown = ast.unparse(arg) if arg is not None else "(none)"
            bad.append(f"{where}: {shown[:70]}")
    assert not bad, "messages that are not a literal template:\n" + "\n".join(bad)


def test_every_placeholder_is_given_at_its_call(keywords):
    bad = []
    for where, node, arg, _fn in _calls(keywords):
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            continue
        given = {k.arg for k in node.keywords}
        if None in given:  # **params passed on: checked where they are written
            continue
        if not given:
            continue  # no values: the template is shown as it is, braces and all
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(arg.value) if f is not None}
        except ValueError as exc:
            bad.append(f"{where}: {exc}")
            continue
        if fields != given:
            bad.append(f"{where}: placeholders {sorted(fields)}, values {sorted(given)}")
    assert not bad, "\n".join(bad)


def test_the_catalog_holds_every_kind_of_core_refusal():
    ids = {m.id for m in messages.template() if isinstance(m.id, str)}
    for text in (
        "{where}.{key} must be 1 to 200 characters",  # a lesson's author
        "{path} is not an ONNX model (it holds no graph); export it again with torch.onnx.export",
        "{path} is a pickle (a torch.save file), not safetensors; pickles can run code and "
        "are never loaded. Convert it with safetensors.torch.save_file(state_dict, ...)",
        "the file is empty (0 bytes); choose a PNG or JPEG image",
        "{name} was started from another browser session; only it can cancel",
        "{max_jobs_env}={value:g} must be 1 or more",
        "unknown dataset {name!r}; choose one of {dataset_names}",
        "the latent point has {values}, this model has {dimensions}",
        "a whole number; set it to 1 or more",  # a fragment (Message)
    ):
        assert text in ids, text


def test_a_missing_checkpoint_in_korean_and_in_english(tmp_path, korean, monkeypatch):
    from vae import CheckpointError, load_checkpoint

    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(tmp_path / "nope")
    exc = caught.value
    assert exc.params and describe(exc) != str(exc)
    assert describe(exc) == korean.gettext(exc.template).format(**exc.params).removesuffix(".")
    assert "체크포인트" in describe(exc) and str(tmp_path / "nope") in describe(exc)
    monkeypatch.setattr(i18n, "language", lambda: "en")
    monkeypatch.setattr(errors, "language", lambda: "en")
    assert describe(exc) == str(exc)


def test_a_refused_upload_in_korean(korean):
    from vae.web.uploads import UploadError, prepare_upload

    with pytest.raises(UploadError) as caught:
        prepare_upload(b"this is not a picture" * 40, (1, 8, 8))
    shown = describe(caught.value)
    assert shown.startswith("이 앱이 읽을 수 있는 이미지가 아니에요") and "PNG" in shown
    assert "upload a PNG" not in shown


def test_a_translated_clause_ends_a_sentence_once(korean):
    """A core message is a clause without a full stop; its Korean has one, which a page's
    sentence around it ("{name} cannot be used: {reason}.") would double."""
    from vae.web.uploads import UploadError, prepare_upload

    with pytest.raises(UploadError) as caught:
        prepare_upload(b"", (1, 8, 8))
    assert korean.gettext(caught.value.template).endswith("고르세요.")
    shown = describe(caught.value)
    assert shown == "파일이 비어 있어요(0바이트). PNG나 JPEG 이미지를 고르세요"
    sentence = korean.gettext("{name} cannot be used: {reason}.").format(name="a.png", reason=shown)
    assert sentence.endswith("고르세요.") and ".." not in sentence
    note = Message("The CMYK image was converted to RGB.")
    assert describe(note) == "CMYK 이미지를 RGB로 바꿨어요."


def test_a_wrapped_error_is_translated_inside_its_wrapper(tmp_path, korean):
    """A form refusal from the configs: the field's label and the reason both in Korean."""
    from vae.training.jobrequest import JobRequest, JobRequestError, validate_request

    with pytest.raises(JobRequestError) as caught:
        validate_request(JobRequest(dataset="digits", latent_dim=1000), tmp_path)
    exc = caught.value
    assert str(exc).startswith("Latent size: must be a whole number from 1 to 64")
    shown = describe(exc)
    assert shown.startswith(korean.gettext("Latent size") + ": "), shown
    assert "1부터 64까지의 정수" in shown and "must be" not in shown


def test_fragments_and_lists_are_translated(korean):
    from vae.runfolder.runs import RunNameError
    from vae.training.jobs import JobError
    from vae.web.share import ShareError, parse_run, parse_z

    with pytest.raises(ShareError) as caught:
        parse_z("1,2,3", latent_dim=2)
    assert describe(caught.value) == "잠재 점에는 값 3개가 있는데 이 모델은 2차원이에요"
    with pytest.raises(ShareError) as caught:
        parse_run("../up", ["a"])
    assert isinstance(caught.value.params["reason"], RunNameError)
    assert "체크포인트 이름이 아니에요" in describe(caught.value)
    from vae.errors import Listing

    busy = JobError(
        "{busy} already running ({what}); on this server {one} at a time{full}. "
        "Wait for it to finish.",
        busy=Message("a training job is"),
        what=Listing([Message("{name}, epoch {epoch} of {epochs}", name="r", epoch=1, epochs=3)]),
        one=Message("one runs"),
        full="",
    )
    assert str(busy).startswith("a training job is already running (r, epoch 1 of 3)")
    assert describe(busy).startswith("학습 작업 하나가 이미 실행 중이에요(r, 에폭 1/3)")


def test_an_error_that_is_not_the_core_s_is_shown_as_it_is(korean):
    assert describe(ValueError("plain")) == "plain"
    assert describe(VAEError("{braces} stay")) == "{braces} stay"


def test_a_broken_checkpoint_in_the_list_reads_korean(tmp_path, korean):
    """The sidebar's reason for a broken folder: translated, files named inside the folder."""
    from vae.runfolder.runs import list_runs

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "config.json").write_text('{"format_version": 1, "model": {"arch": "nope"}}')
    (run,) = list_runs(tmp_path)
    assert run.problem is not None and str(run.problem) == run.error
    assert "arch must be one of" in run.error and str(tmp_path) not in run.error
    shown = describe(run.problem)
    assert "arch는" in shown and "중 하나여야 해요" in shown and "must be" not in shown, shown
    assert str(tmp_path) not in shown and "config.json" in shown


def test_a_message_written_to_a_file_reads_back_whole(korean):
    """Message.record / from_record: what a training process writes, the app reads in Korean."""
    import json
    from pathlib import Path

    from vae.runfolder.files import CheckpointError

    inner = CheckpointError("{path} is missing", path=Path("/tmp/run/config.json"))
    note = Message("{why} after {epoch} of {epochs} epochs", why=inner, epoch=2, epochs=5)
    back = Message.from_record(json.loads(json.dumps(note.record())))
    assert back is not None and str(back) == str(note)
    assert back.params["epoch"] == 2 and isinstance(back.params["why"], Message)
    assert back.params["why"].params == {"path": "/tmp/run/config.json"}  # a path as its text
    assert Message.from_record({"template": 3}) is None and Message.from_record("text") is None
    assert Message.from_record({"template": "x", "params": []}) is None
    # values that do not fill the template (a hand-edited or older file) are not a message
    assert Message.from_record({"template": "{limit:g} s", "params": {"limit": "20"}}) is None
    assert Message.from_record({"template": "{a} and {b}", "params": {"a": 1}}) is None
    import numpy as np

    counted = Message("{n:,} images", n=np.int64(12345))
    assert str(Message.from_record(json.loads(json.dumps(counted.record())))) == "12,345 images"
    assert str(Message.of(ValueError("disk full"))) == "disk full"
    assert describe(Message.verbatim("a log line {not a field}")) == "a log line {not a field}"
    limit = Message("stopped at the time limit of {limit:g} s", limit=20.0)
    assert describe(Message.from_record(limit.record())) == "시간 제한 20초에 걸려 멈춤"
