"""vae.web.share: strict parsing of the checkpoint name and latent point carried in a link."""

from __future__ import annotations

import numpy as np
import pytest

from vae.web.share import MAX_Z_TEXT, ShareError, format_z, parse_run, parse_z, share_link

KNOWN = ("digits-2d", "mnist-2d", "frey-2d")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.12,-1.30", [0.12, -1.30]),
        (" 0.5 , -1 ", [0.5, -1.0]),
        ("+.5,3.", [0.5, 3.0]),
        ("1e-2,-2.5E+0", [0.01, -2.5]),
        ("0,0", [0.0, 0.0]),
    ],
)
def test_good_points_parse(text, expected):
    z, clipped = parse_z(text, 2)
    assert z.dtype == np.float64 and z.tolist() == pytest.approx(expected)
    assert not clipped


def test_values_beyond_the_range_are_clipped_and_reported():
    z, clipped = parse_z("7,-0.5,-1e3", 3, span=3.0)
    assert z.tolist() == [3.0, -0.5, -3.0] and clipped
    z, clipped = parse_z("3,-3", 2, span=3.0)
    assert z.tolist() == [3.0, -3.0] and not clipped  # the edge itself is in range


@pytest.mark.parametrize(
    ("text", "dims", "words"),
    [
        ("0.1", 2, "1 value, this model has 2 dimensions"),
        ("0.1,0.2,0.3", 2, "3 values"),
        ("", 2, "1 value"),
        ("1,2", 1, "2 values, this model has 1 dimension"),
    ],
)
def test_the_wrong_count_is_refused(text, dims, words):
    with pytest.raises(ShareError, match=words):
        parse_z(text, dims)


@pytest.mark.parametrize(
    "text",
    ["nan,0", "0,inf", "-Infinity,1", "1e999,0", "NaN,NaN", "0,-1E400"],
)
def test_nan_and_infinity_are_refused(text):
    with pytest.raises(ShareError, match="not a finite number"):
        parse_z(text, 2)


@pytest.mark.parametrize(
    "text",
    [
        "a,b",
        "1;2",
        "0x10,1",
        "1_000,2",  # float() would accept the underscore
        "１,2",  # full-width digit, which float() would accept too
        "1,,",
        "1 2,3",
        "--1,2",
        "1e5000,0",  # exponent longer than three digits
        "<script>,1",
        "1,2\x00",
    ],
)
def test_garbage_is_refused(text):
    with pytest.raises(ShareError, match=r"not a decimal number|value"):
        parse_z(text, 2)


@pytest.mark.parametrize("value", [None, 3, 1.5, ["0", "1"], b"0,1"])
def test_non_text_is_refused(value):
    with pytest.raises(ShareError, match="must be text"):
        parse_z(value, 2)


def test_huge_strings_are_refused_quickly_with_a_short_message():
    huge = ",".join(["0.1"] * 100_000)
    with pytest.raises(ShareError, match="too long") as info:
        parse_z(huge, 2)
    assert len(str(info.value)) < 100
    with pytest.raises(ShareError) as info:
        parse_z("x" * (MAX_Z_TEXT - 2) + ",1", 2)
    assert len(str(info.value)) < 120  # the bad part is shortened in the message


def test_format_round_trips_and_never_writes_minus_zero():
    assert format_z([0.123, -1.3]) == "0.12,-1.30"
    assert format_z(np.array([-0.0001, 0.0])) == "0.00,0.00"
    z = np.array([1.25, -2.5, 0.05])
    assert parse_z(format_z(z), 3)[0].tolist() == pytest.approx(z.tolist())


def test_known_run_names_are_accepted():
    assert parse_run("mnist-2d", KNOWN) == "mnist-2d"


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("..", "never a path"),
        ("../checkpoints/mnist-2d", "never a path"),
        ("/etc/passwd", "never a path"),
        ("C:\\runs", "never a path"),
        (".hidden", "hidden"),
        ("", "non-empty"),
        (None, "non-empty"),
        ("x" * 300, "too long"),
        ("mnist-20d", "no checkpoint named"),
        ("digits\x07", "control characters"),
    ],
)
def test_bad_run_names_are_refused(value, words):
    with pytest.raises(ShareError, match=words):
        parse_run(value, KNOWN)


def test_share_link_keeps_the_page_and_replaces_the_query():
    params = {"run": "mnist-2d", "z": "0.12,-1.30"}
    link = share_link("http://host:8501/decoder", "decoder", params)
    assert link == "http://host:8501/decoder?run=mnist-2d&z=0.12,-1.30"
    link = share_link("https://example.org/vae/decoder/", "decoder", {"run": "a b"})
    assert link == "https://example.org/vae/decoder?run=a+b"
    assert share_link("http://host/", "decoder", params).startswith("http://host/decoder?run=")
    assert share_link(None, "decoder", params) == "/decoder?run=mnist-2d&z=0.12,-1.30"
