"""Every parser, on any input: alert events or a PayloadError naming a field, nothing else.

Three kinds of input: any bytes; any JSON document; and the real fixtures with one value
anywhere replaced by any JSON value (which reaches the checks deep inside a valid body).
Events that come out are bounded, so a hostile body can never store something unbounded.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alertgate.adapters.sources.payload import MAX_LABELS, MAX_TEXT
from alertgate.domain.alert import AlertEvent
from alertgate.domain.errors import PayloadError
from alertgate.ports import SourceParser
from tests.support.hostile import SPECIFIC, TOLERATED
from tests.support.sources import configured_parsers, fixture_files

ALL = configured_parsers()  # the registry as `serve` builds it: built-in + generic/grafana
PARSER_NAMES = sorted(ALL)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.text(alphabet="a\x00", min_size=1, max_size=3),  # NULs, which PostgreSQL refuses
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=30,
)


def check(parser: SourceParser, body: bytes) -> None:
    """The property: events (bounded) or a PayloadError with a field; any other error fails."""
    try:
        events = parser(body)
    except PayloadError as error:
        refused: PayloadError | None = error
    else:
        refused = None
    if refused is not None:
        assert refused.field
        assert refused.problem
        return
    assert isinstance(events, list)
    for event in events:
        assert isinstance(event, AlertEvent)
        assert event.identity
        assert len(event.name) <= MAX_TEXT
        assert len(event.labels) <= MAX_LABELS
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in event.labels)
        assert all(len(v) <= MAX_TEXT for _, v in event.labels)
        texts = [event.identity, event.name, event.description, event.instance, event.link]
        texts += [text for pair in event.labels for text in pair]
        assert not [t for t in texts if t and "\x00" in t]  # PostgreSQL text cannot hold it


def locations(value: object, path: tuple[object, ...] = ()) -> Iterator[tuple[object, ...]]:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from locations(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from locations(item, (*path, index))


def replaced(document: object, path: tuple[object, ...], new: object) -> object:
    if not path:
        return new
    copy = json.loads(json.dumps(document))
    parent = copy
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = new
    return copy


def samples(name: str) -> list[object]:
    return [json.loads(path.read_bytes()) for path in fixture_files(name)]


@pytest.mark.parametrize("name", PARSER_NAMES)
def test_every_source_has_fixtures_and_hostile_bodies(name: str) -> None:
    """Adding a source without its fixture files (the property tests' samples), its hostile
    bodies and its tolerated-NUL body fails here: each registered source has them all, and
    its fixtures parse into events."""
    files = fixture_files(name)
    assert files, f"no fixtures for {name}: add tests/fixtures/{name}/*.json"
    for path in files:
        assert isinstance(ALL[name](path.read_bytes()), list), path
    assert SPECIFIC.get(name, lambda: [])(), f"no hostile bodies for {name} in hostile.SPECIFIC"
    assert name in TOLERATED, f"no tolerated-NUL body for {name} in hostile.TOLERATED"


@pytest.mark.parametrize("name", PARSER_NAMES)
@settings(max_examples=150, deadline=None)
@given(body=st.binary(max_size=512))
def test_any_bytes_give_events_or_a_payload_error(name: str, body: bytes) -> None:
    """Arbitrary bytes (mostly not JSON, not UTF-8) never raise anything but PayloadError."""
    check(ALL[name], body)


@pytest.mark.parametrize("name", PARSER_NAMES)
@settings(max_examples=150, deadline=None)
@given(document=json_values)
def test_any_json_document_gives_events_or_a_payload_error(name: str, document: object) -> None:
    """Any JSON value, of any shape and type, never raises anything but PayloadError."""
    check(ALL[name], json.dumps(document).encode())  # stdlib: big integers too


@pytest.mark.parametrize("name", PARSER_NAMES)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), new=json_values)
def test_a_real_body_with_any_value_replaced_gives_events_or_a_payload_error(
    name: str, data: st.DataObject, new: object
) -> None:
    """A fixture with one value anywhere (a label, a status, the alerts array, the whole body)
    replaced by any JSON value: wrong types deep inside a valid body are named, never a crash."""
    document = data.draw(st.sampled_from(samples(name)))
    path = data.draw(st.sampled_from(list(locations(document))))
    check(ALL[name], json.dumps(replaced(document, path, new)).encode())


@pytest.mark.parametrize("name", PARSER_NAMES)
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_a_real_body_with_invalid_utf8_is_refused_as_a_body_error(
    name: str, data: st.DataObject
) -> None:
    """A byte that is not UTF-8 anywhere in a real body is a PayloadError on `body`."""
    raw = orjson.dumps(data.draw(st.sampled_from(samples(name))))
    at = data.draw(st.integers(0, len(raw)))
    bad = data.draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80"]))
    with pytest.raises(PayloadError) as error:
        ALL[name](raw[:at] + bad + raw[at:])
    assert error.value.field == "body"
