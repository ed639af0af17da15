"""Hostile bodies (tests/support/hostile.py) are refused by every parser, naming the field."""

from __future__ import annotations

import pytest

from alertgate.domain.errors import PayloadError
from tests.support.hostile import Hostile, cases
from tests.support.sources import configured_parsers

PARSERS = configured_parsers()


@pytest.mark.parametrize(
    ("source", "hostile"),
    [(s, h) for s, h in cases() if h.status == 400],
    ids=lambda v: v.name if isinstance(v, Hostile) else v,
)
def test_hostile_body_is_a_payload_error_naming_the_field(source: str, hostile: Hostile) -> None:
    """Deep nesting, huge strings, wrong types and invalid UTF-8 are refused by the parser
    with the field that is wrong, never with another exception."""
    with pytest.raises(PayloadError) as error:
        PARSERS[source](hostile.body)
    assert error.value.field == hostile.field
