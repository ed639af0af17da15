"""Shared body helpers: the one-pass string reading equals the two-step rule it stands for;
identities and times are read as strictly as their senders write them; no body is taken that
nests deeper than alertgate can write back."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alertgate.adapters.sources.payload import (
    MAX_DEPTH,
    MAX_TEXT,
    ORJSON_LEVELS,
    deeper_than,
    identity_text,
    is_absent,
    load_object,
    present_str,
    present_text,
)
from alertgate.adapters.sources.times import event_time, rfc3339
from alertgate.domain.errors import PayloadError

# Edges of every branch of is_absent(): ASCII and Unicode spaces around "null", placeholders
# (with `.numeric`, lower case, a final newline the regex's `$` allows), near misses, and the
# capital I with a dot and the dotless i, whose case mappings are odd.
_EDGES = ["", " ", "\t", "\n", "\r\n", "\x0b", "\x0c", "\x1c", "\x85", "\xa0", "\u2003"]
_CORES = [
    *("null", "NULL", "Null", "nULL", "nul", "nulls", "n", "N", "none", "\u0130", "\u0131"),
    *("$FOO", "$FOO.numeric", "$FOO.NUMERIC", "$foo", "$", "$.numeric", "$A_1", "$FOO\n"),
    *("$FOO\n\n", "$FOO \n", "$ FOO", "x", "acme", "*insert x*", "x" * (MAX_TEXT + 10)),
]
strings = st.one_of(
    st.text(),
    st.builds(
        lambda before, core, after: before + core + after,
        st.sampled_from(_EDGES),
        st.sampled_from(_CORES),
        st.sampled_from(_EDGES),
    ),
)


def two_step(value: str) -> str | None:
    return None if is_absent(value) else present_text("field", value)


@settings(max_examples=2000, deadline=None)
@given(value=strings)
def test_present_str_is_is_absent_then_present_text(value: str) -> None:
    """present_str() reads a string exactly as is_absent() then present_text() do."""
    assert present_str(value) == two_step(value)


@pytest.mark.parametrize("core", _CORES)
@pytest.mark.parametrize("edge", _EDGES)
def test_present_str_on_every_edge(core: str, edge: str) -> None:
    """Every placeholder, "null" and space combination, on either side, reads the same."""
    for value in (core, edge + core, core + edge, edge + core + edge):
        assert present_str(value) == two_step(value)


@pytest.mark.parametrize("body", [b"", b" ", b" \r\n\t", b"\x0b\x0c "])
def test_a_blank_body_is_called_empty(body: bytes) -> None:
    """Only bodies that fail to decode are told apart as blank: the message is unchanged."""
    with pytest.raises(PayloadError) as error:
        load_object(body)
    assert (error.value.field, error.value.problem) == (
        "body",
        "empty body; expected a JSON object",
    )


@pytest.mark.parametrize("body", [b"\x00", b"nul", b" {", b"\xa0{}"])
def test_a_body_that_is_not_json_is_called_invalid(body: bytes) -> None:
    """Anything else that does not decode is invalid JSON, as before."""
    with pytest.raises(PayloadError) as error:
        load_object(body)
    assert error.value.problem.startswith("not valid JSON")


def nested(levels: int, kinds: str = "o") -> object:
    """`levels` objects and arrays around a string, cycling through `kinds` (o: object,
    a: array) from the inside out."""
    value: object = "x"
    for level in range(levels):
        value = {"k": value} if kinds[level % len(kinds)] == "o" else [value, 1]
    return value


def test_orjson_writes_the_levels_the_depth_check_counts_on() -> None:
    """deeper_than() asks orjson: this fails if an orjson upgrade changes how deep it writes."""
    orjson.dumps(nested(ORJSON_LEVELS))
    with pytest.raises(orjson.JSONEncodeError):
        orjson.dumps(nested(ORJSON_LEVELS + 1))


@pytest.mark.parametrize("kinds", ["o", "a", "oa", "aao"])
@pytest.mark.parametrize("levels", [1, 2, 64, MAX_DEPTH, 200, ORJSON_LEVELS - 1])
def test_deeper_than_counts_objects_and_arrays_exactly(kinds: str, levels: int) -> None:
    """A value of n levels is deeper than n - 1 and not deeper than n, however it nests."""
    value = nested(levels, kinds)
    assert deeper_than(value, levels - 1)
    assert not deeper_than(value, levels)
    assert deeper_than({"wide": [1, 2, {"k": 3}], "deep": value}, levels)


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 255, 600, 1024])
def test_a_body_deeper_than_the_limit_is_refused_as_the_body(levels: int) -> None:
    """Deeper than MAX_DEPTH (orjson reads 1024 levels, but writes 254 and alertgate writes
    bodies back) is a PayloadError on `body`, wherever the nesting is."""
    inner = b"[" * (levels - 3) + b"]" * (levels - 3)  # stdlib json cannot write 1024 levels
    with pytest.raises(PayloadError) as error:
        load_object(b'{"alerts": [{"status": "firing", "extra": ' + inner + b"}]}")
    assert error.value.field == "body"
    assert f"nested deeper than {MAX_DEPTH} levels" in error.value.problem


def test_a_body_of_exactly_the_limit_or_with_many_shallow_brackets_is_read() -> None:
    """MAX_DEPTH levels are taken, and so is a wide body whose brackets outnumber the limit."""
    deepest = {"alerts": [{"status": "firing", "extra": nested(MAX_DEPTH - 3)}]}
    assert load_object(json.dumps(deepest).encode()) == deepest
    wide = {"alerts": [{"labels": {"a": "[{"}} for _ in range(MAX_DEPTH * 3)]}
    assert load_object(json.dumps(wide).encode()) == wide


@pytest.mark.parametrize(
    ("value", "integers", "expected"),
    [
        (" abc ", False, "abc"),
        ("null", False, None),
        ("$ALERT_UNIQUE_IDENTIFIER", False, None),
        (42, True, "42"),
        (2**70, True, str(2**70)),
    ],
)
def test_identity_text_takes_strings_and_integers_when_asked(
    value: object, integers: bool, expected: str | None
) -> None:
    """Absent values are None; a string is stripped; an integer is its decimal text."""
    assert identity_text("id", value, integers=integers) == expected


@pytest.mark.parametrize(
    ("value", "integers", "words"),
    [
        (42, False, "expected a string, got the number 42"),
        (1.5, True, "expected a string or an integer, got the number 1.5"),
        (True, True, "got boolean"),
        ({"a": 1}, True, "got object"),
        (["a"], True, "got array"),
        ("a\x00b", True, "NUL"),
    ],
)
def test_identity_text_refuses_what_has_no_one_spelling(
    value: object, integers: bool, words: str
) -> None:
    """Fractional numbers, booleans, objects, arrays and NULs are refused, naming the field."""
    with pytest.raises(PayloadError) as error:
        identity_text("alerts[0].fingerprint", value, integers=integers)
    assert error.value.field == "alerts[0].fingerprint"
    assert words in error.value.problem


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        (1796483600, datetime(2026, 12, 5, 15, 13, 20, tzinfo=UTC)),
        (1796483600000, datetime(2026, 12, 5, 15, 13, 20, tzinfo=UTC)),
        ("1796483600000", datetime(2026, 12, 5, 15, 13, 20, tzinfo=UTC)),
        ("2026-12-05T16:13:20+01:00", datetime(2026, 12, 5, 15, 13, 20, tzinfo=UTC)),
        ("0001-01-01T00:00:00Z", None),  # Go's zero time: no time
        (0, None),  # a number outside 2000..2100
    ],
)
def test_event_time_reads_times_and_treats_implausible_ones_as_absent(
    value: object, expected: datetime | None
) -> None:
    """ISO 8601 text, epoch seconds and milliseconds (numbers or their text) are read; absent
    values and times outside 2000..2100 are None."""
    assert event_time("time", value) == expected


@pytest.mark.parametrize("value", [True, {}, [], "yesterday", "2026-12-05T17:33:20"])
def test_event_time_refuses_what_is_no_time(value: object) -> None:
    """Another type, text that is no time, or an ISO time without an offset: refused."""
    with pytest.raises(PayloadError) as error:
        event_time("alert.timestamp", value)
    assert error.value.field == "alert.timestamp"


def test_rfc3339_reads_nanoseconds_and_go_zero_time() -> None:
    """Alertmanager's times: nanoseconds are read to the microsecond, Go's zero time is absent,
    and a number (a time in another spelling) is refused."""
    assert rfc3339("t", "2026-12-03T15:19:58.949130584Z") == datetime(
        2026, 12, 3, 15, 19, 58, 949130, tzinfo=UTC
    )
    assert rfc3339("t", "0001-01-01T00:00:00Z") is None
    with pytest.raises(PayloadError):
        rfc3339("t", 1796483600)
