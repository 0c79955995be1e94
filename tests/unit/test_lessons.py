"""Lessons as data: every shipped lesson validates, names real pages and checkpoints; bad files
are refused with a message naming the file and the field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vae.errors import VAEError
from vae.lessons import LESSON_DIR, PAGES, PARAMS, LessonError, find_step, load_lesson, load_lessons

ROOT = Path(__file__).resolve().parents[2]
GOOD = """
title = "A map"
summary = "Where images land."
order = 2

[[steps]]
title = "Points"
text = "Every image is a point."
page = "latent"
params = { run = "mnist-2d", view = "Map" }

[[steps]]
title = "A point"
text = "The decoder at a point."
page = "decoder"
params = { run = "mnist-2d", z = "0,0", image = 3 }
"""


def write(tmp_path: Path, text: str, name: str = "a-map.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_lessons_validate_and_name_real_pages_and_checkpoints():
    lessons = load_lessons()
    assert 5 <= len(lessons) <= 7
    assert [x.order for x in lessons] == sorted(x.order for x in lessons)
    app_pages = set(re.findall(r'url_path="([a-z]+)"', (ROOT / "app.py").read_text()))
    assert set(PAGES) <= app_pages  # every page a step may name is one app.py registers
    shipped = {p.name for p in (ROOT / "checkpoints").iterdir() if (p / "config.json").is_file()}
    for lesson in lessons:
        assert 2 <= len(lesson.steps) <= 7, lesson.name
        for step in lesson.steps:
            assert step.page in app_pages and (ROOT / "pages" / f"{step.page}.py").is_file()
            assert step.run in shipped, (lesson.name, step.title)
            if "vs" in step.params:
                assert step.params["vs"] in shipped
            sentences = [s for s in re.split(r"(?<=[.!?:])\s+", step.text) if s]
            assert 2 <= len(sentences) <= 4, (lesson.name, step.title, sentences)
    pages = {s.page for x in lessons for s in x.steps}
    assert {"latent", "decoder", "compare", "inference", "interpolate", "training"} <= pages


def test_a_good_file_loads_into_frozen_typed_steps(tmp_path):
    lesson = load_lesson(write(tmp_path, GOOD))
    assert (lesson.name, lesson.title, lesson.order, len(lesson.steps)) == ("a-map", "A map", 2, 2)
    step = lesson.steps[1]
    assert (step.page, step.run) == ("decoder", "mnist-2d")
    assert dict(step.params) == {"run": "mnist-2d", "z": "0,0", "image": "3"}
    with pytest.raises(AttributeError):
        step.title = "changed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        step.params["run"] = "other"  # type: ignore[index]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda t: t.replace('page = "latent"', 'page = "nowhere"'), "steps[1].page"),
        (lambda t: t.replace('view = "Map"', 'colour = "red"'), "steps[1].params.colour"),
        (lambda t: t.replace('run = "mnist-2d", view', "view"), "steps[1].params.run"),
        (lambda t: t.replace('run = "mnist-2d", z', 'run = "../etc", z'), "steps[2].params.run"),
        (lambda t: t.replace('title = "Points"\n', ""), "steps[1].title"),
        (lambda t: t.replace('text = "The decoder at a point."', "text = 3"), "steps[2].text"),
        (lambda t: t.replace('summary = "Where images land."\n', ""), "summary"),
        (lambda t: t.replace("order = 2", 'order = "two"'), "order"),
        (lambda t: t + '\nauthor = "me"\n', "unknown field(s) author"),
        (lambda t: t.replace("[[steps]]", "[[stepz]]"), "unknown field(s) stepz"),
        (lambda t: t.replace("image = 3", "image = true"), "steps[2].params.image"),
        (
            lambda t: t.replace(
                'text = "Every image is a point."', 'text = "Every image is a point."\nnote = 1'
            ),
            "steps[1] has unknown field(s) note",
        ),
    ],
)
def test_a_bad_field_is_named_with_the_file(tmp_path, change, field):
    path = write(tmp_path, change(GOOD))
    with pytest.raises(LessonError) as info:
        load_lesson(path)
    assert str(info.value).startswith("a-map.toml: ")
    assert field in str(info.value)
    assert isinstance(info.value, VAEError) and isinstance(info.value, ValueError)


def test_broken_toml_bad_names_and_huge_files_are_refused(tmp_path):
    with pytest.raises(LessonError, match=r"a-map.toml: not valid TOML"):
        load_lesson(write(tmp_path, 'title = "unclosed'))
    with pytest.raises(LessonError, match=r"Bad Name.toml: a lesson's file name"):
        load_lesson(write(tmp_path, GOOD, "Bad Name.toml"))
    with pytest.raises(LessonError, match=r"a-map.toml: .* bytes"):
        load_lesson(write(tmp_path, GOOD + "#" * 70_000))
    with pytest.raises(LessonError, match=r"steps must be a non-empty array"):
        load_lesson(write(tmp_path, 'title = "t"\nsummary = "s"\nsteps = []\n'))
    with pytest.raises(LessonError, match=r"cannot be read"):
        load_lesson(tmp_path / "missing.toml")


def test_find_step_takes_url_values_and_refuses_others(tmp_path):
    write(tmp_path, GOOD)
    lessons = load_lessons(tmp_path)
    assert find_step(lessons, "a-map", "2") == (lessons[0], 1)
    bad = [("nope", "1"), ("a-map", "0"), ("a-map", "3"), ("a-map", "x"), ("a-map", "-1"),
           ("a-map", "1e3"), ("<b>", "1"), ("a-map", "9" * 50)]  # fmt: skip
    for name, step in bad:
        with pytest.raises(LessonError) as info:
            find_step(lessons, name, step)
        assert ("no lesson named" in str(info.value)) == (name != "a-map")
        assert len(str(info.value)) < 300


def test_the_shipped_folder_and_params_match_the_app():
    assert LESSON_DIR == ROOT / "lessons"
    state = (ROOT / "ui" / "state.py").read_text()
    for param in PARAMS:  # every parameter a step may set is one the app reads
        assert f'= "{param}"' in state, param


def test_the_encoder_lessons_images_have_the_posteriors_its_text_claims():
    """Step 2's image has one mode, step 3's several (as the Inference page flags them)."""
    from vae import DatasetError, load_dataset
    from vae.analysis.inference import as_input
    from vae.inference.exact import exact_posterior
    from vae.runfolder.checkpoint import load_checkpoint

    lesson = next(x for x in load_lessons() if x.name == "encoder")
    one, two = lesson.steps[1], lesson.steps[2]
    assert one.run == two.run == "mnist-2d"
    try:
        test = load_dataset("mnist")
    except (DatasetError, OSError) as exc:
        pytest.skip(f"the MNIST test set is not here: {exc}")
    test_x, test_y = test.test_x.numpy(), test.test_y.numpy()
    digits = [int(test_y[int(s.params["image"])]) for s in (one, two)]
    assert f"this {digits[0]}" in one.text.lower() and f"this {digits[1]}" in two.text.lower()
    model = load_checkpoint(ROOT / "checkpoints" / "mnist-2d").model
    posts = [exact_posterior(model, as_input(test_x[int(s.params["image"])])) for s in (one, two)]
    assert [p.multi_modal for p in posts] == [False, True]
