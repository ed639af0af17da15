"""Shared body helpers: the one-pass string reading equals the two-step rule it stands for."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alertgate.adapters.sources.payload import (
    MAX_TEXT,
    is_absent,
    load_object,
    present_str,
    present_text,
)
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
