"""Hostile bodies (tests/support/hostile.py) are refused by every parser, naming the field;
NULs where no identity is are kept as U+FFFD, never refused and never stored raw."""

from __future__ import annotations

import pytest

from alertgate.domain.alert import AlertEvent
from alertgate.domain.errors import PayloadError
from tests.support.hostile import TOLERATED, Hostile, cases
from tests.support.sources import configured_parsers

PARSERS = configured_parsers()
NUL = "\x00"  # PostgreSQL text cannot hold it


@pytest.mark.parametrize(
    ("source", "hostile"),
    [(s, h) for s, h in cases(PARSERS) if h.status == 400],
    ids=lambda v: v.name if isinstance(v, Hostile) else v,
)
def test_hostile_body_is_a_payload_error_naming_the_field(source: str, hostile: Hostile) -> None:
    """Deep nesting, huge strings, wrong types, NULs in identities and invalid UTF-8 are
    refused by the parser with the field that is wrong, never with another exception."""
    with pytest.raises(PayloadError) as error:
        PARSERS[source](hostile.body)
    assert error.value.field == hostile.field


def texts(event: AlertEvent) -> list[str]:
    """Every text of an event that a store keeps in a text column."""
    found = [event.identity, event.name, *[t for pair in event.labels for t in pair]]
    return found + [t for t in (event.description, event.instance, event.link) if t]


@pytest.mark.parametrize("source", sorted(PARSERS))
def test_nul_in_a_free_text_is_kept_as_a_replacement_character(source: str) -> None:
    """A NUL in a name, description, label or annotation (PostgreSQL's text cannot hold it)
    becomes U+FFFD; one in a field alertgate does not read stays only in the raw body."""
    tolerated = TOLERATED[source]
    events = PARSERS[source](tolerated.body)
    kept = [text for event in events for text in texts(event)]
    assert not [text for text in kept if NUL in text]
    for shown in tolerated.shown:
        assert shown in kept
