"""How the Coralogix parser reads a body: by normalised name, first present value, whatever
body shapes it has seen before (it keeps where each shape's values are, see FieldReader)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alertgate.adapters.sources import coralogix, coralogix_fields
from alertgate.adapters.sources.coralogix import parse
from alertgate.adapters.sources.coralogix_fields import FieldReader
from alertgate.domain.alert import Action, Priority
from alertgate.domain.errors import PayloadError
from tests.conftest import FIXTURES

CORALOGIX = FIXTURES / "coralogix"
DEFAULT = json.loads((CORALOGIX / "default_trigger.json").read_bytes())
DEFAULT_BODIES = [
    "default_trigger.json",
    "default_resolve.json",
    "default_grouped_i-0a1.json",
    "test_and_save.json",
]


def encode(document: object) -> bytes:
    return json.dumps(document).encode()


def flattened(document: dict[str, Any]) -> dict[str, Any]:
    """The default body as a flat custom body: each `fields` item moved to the top level."""
    flat = {key: value for key, value in document.items() if key != "fields"}
    for item in document["fields"]:
        assert item["key"] not in flat
        flat[item["key"]] = item["value"]
    return flat


def outcome(body: bytes) -> object:
    try:
        return [(event, event.incident_id) for event in parse(body)]
    except PayloadError as error:
        return (error.field, error.problem)


@contextmanager
def fresh_reader() -> Iterator[None]:
    """Parse with a reader that has seen no body before."""
    kept = coralogix._READER
    coralogix._READER = FieldReader()
    try:
        yield
    finally:
        coralogix._READER = kept


@pytest.mark.parametrize("name", DEFAULT_BODIES)
def test_a_flat_body_and_the_default_body_give_the_same_event(name: str) -> None:
    """Where a key sits (top level or `fields` array) does not change what it means."""
    document = json.loads((CORALOGIX / name).read_bytes())
    assert parse(encode(flattened(document))) == parse(encode(document))


def test_a_top_level_key_wins_over_the_fields_array() -> None:
    """The same name at the top level and in `fields`: the top-level value is read."""
    document = json.loads(encode(DEFAULT))
    document["priority"] = "P4"
    assert parse(encode(document))[0].priority is Priority.P4


@pytest.mark.parametrize("absent", ["$ALERT_PRIORITY", "null", "", None, "  "])
def test_an_absent_first_value_lets_a_later_one_through(absent: object) -> None:
    """First *present* value wins: a placeholder at the top level does not hide `fields`."""
    document = json.loads(encode(DEFAULT))
    document["alert_priority"] = absent
    document["Priority"] = absent
    assert parse(encode(document))[0].priority is Priority.P2  # from fields


def test_spellings_of_one_name_are_tried_in_body_order() -> None:
    """Two spellings of one key in `fields`: the first present one in body order is read."""
    document = json.loads(encode(DEFAULT))
    document["fields"][:0] = [
        {"key": "Alert-Unique-Identifier", "value": "$ALERT_UNIQUE_IDENTIFIER"},
        {"key": "ALERT_UNIQUE_IDENTIFIER", "value": "first"},
    ]
    assert parse(encode(document))[0].identity == "uid=first"


@pytest.mark.parametrize(
    ("where", "field"),
    [("top", "name"), ("fields", "fields[0]")],
)
def test_a_value_of_the_wrong_type_is_named_where_it_is(where: str, field: str) -> None:
    """An object where text is expected names its key, or its place in `fields`."""
    document = json.loads(encode(DEFAULT))
    if where == "top":
        document["name"] = {"not": "text"}
    else:
        document.pop("name")
        document["fields"].insert(0, {"key": "alert_name", "value": ["not", "text"]})
    parse(encode(DEFAULT))  # the shape of the default body is known first
    with pytest.raises(PayloadError) as error:
        parse(encode(document))
    assert error.value.field == field


@pytest.mark.parametrize("key", [7, None, ["a"], {"a": 1}, True])
def test_a_key_that_is_not_text_is_refused_in_a_known_shape(key: object) -> None:
    """A shape learnt from a good body does not let a bad `key` through, hashable or not."""
    document = json.loads(encode(DEFAULT))
    document["fields"][3]["key"] = key
    parse(encode(DEFAULT))
    with pytest.raises(PayloadError) as error:
        parse(encode(document))
    assert error.value.field == "fields[3]"


@pytest.mark.parametrize(
    ("value", "is_test"),
    [
        ("*insert desired application name*", True),
        ("\\u002ainsert desired application name\\u002A", True),  # escaped in the JSON text
        (" *insert desired application name*", False),  # only values that start with `*`
        ("web-* above 85%", False),
        ('say \\"hi\\" \\u0041', False),  # escapes, none of them a `*`
        ("*", False),
    ],
)
def test_test_and_save_values_are_found_however_the_json_spells_them(
    value: str, is_test: bool
) -> None:
    """The sample-value scan runs for any body that could hold `*`, literal or escaped."""
    body = encode(DEFAULT).replace(b'"CPU above 85% for 5 minutes"', f'"{value}"'.encode())
    assert (parse(body)[0].action is Action.TEST) is is_test


def test_a_sample_key_is_not_a_sample_value() -> None:
    """Only values are sample values; a key spelled like one changes nothing."""
    document = json.loads(encode(DEFAULT))
    document["*insert desired key*"] = "x"
    assert parse(encode(document))[0].action is Action.TRIGGER


def test_kept_shapes_are_bounded_and_big_bodies_are_read_alike() -> None:
    """Bodies of invented keys cannot grow memory; a body too big to keep reads the same."""
    for n in range(coralogix_fields._MAX_LAYOUTS * 2 + 5):
        document = json.loads(encode(DEFAULT))
        document[f"invented{n}"] = "x"
        parse(encode(document))
        assert len(coralogix._READER._layouts) <= coralogix_fields._MAX_LAYOUTS
    document = json.loads(encode(DEFAULT))
    document["padding"] = "x" * coralogix_fields._MAX_KEPT_BODY
    with fresh_reader():
        big = outcome(encode(document))
        assert coralogix._READER._layouts == {}
    assert big == outcome(encode(DEFAULT))


# Mutations of real bodies: keys respelled, moved between the top level and `fields`, values
# replaced by placeholders or other types, items reordered or broken.
NAMES = [
    *("alert_action", "alertUniqueIdentifier", "alert_id", "name", "alert_name", "priority"),
    *("opsgeniePriority", "severity", "computer", "instance_id", "alert_url", "timestampMs"),
    *("timestampISO", "timestamp", "alertGroupByValues", "Group-by Value1", "Group-by Field1"),
    *("Group-by Value2", "team", "uuid", "description", "fields", "other"),
]
keys = st.sampled_from(NAMES).flatmap(
    lambda name: st.sampled_from([name, name.upper(), name.replace("_", "-"), f" {name}"])
)
values = st.one_of(
    st.sampled_from(["null", "$SERVICE", "", "trigger", "RESOLVED", "P1", "x", "i-0abc"]),
    st.sampled_from(["Warning", '{"host":"h"}', "2024-08-14T21:28:56Z", "*insert x*"]),
    st.none(),
    st.integers(1_700_000_000_000, 1_800_000_000_000),
    st.booleans(),
    st.lists(st.just("x"), max_size=1),
    st.dictionaries(st.just("a"), st.just("b"), max_size=1),
)


@st.composite
def mutated_bodies(draw: st.DrawFn) -> bytes:
    document = json.loads((CORALOGIX / draw(st.sampled_from(DEFAULT_BODIES))).read_bytes())
    fields = document["fields"]
    for _ in range(draw(st.integers(0, 5))):
        where = draw(st.integers(0, len(fields) - 1))
        step = draw(st.sampled_from(["set", "add", "item", "move", "swap", "break"]))
        if step == "set":
            document[draw(keys)] = draw(values)
        elif step == "add":
            fields.insert(where, {"key": draw(keys), "value": draw(values)})
        elif step == "item" and isinstance(fields[where], dict):
            fields[where]["value"] = draw(values)
        elif step == "move":
            item = fields.pop(where)
            if isinstance(item, dict) and isinstance(item.get("key"), str):
                document[item["key"]] = item.get("value")
        elif step == "swap":
            fields[0], fields[where] = fields[where], fields[0]
        else:
            fields[where] = draw(st.sampled_from([{"value": 1}, {"key": 1}, 7, {"key": ["k"]}]))
        if len(fields) < 2:
            break
    return encode(document)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies=st.lists(mutated_bodies(), min_size=1, max_size=4))
def test_a_reader_that_has_seen_other_bodies_reads_each_as_a_fresh_one(
    bodies: list[bytes],
) -> None:
    """Kept shapes never leak: every body parses as it would with nothing seen before."""
    seen = [outcome(body) for body in bodies]
    for body, expected in zip(bodies, seen, strict=True):
        with fresh_reader():
            assert outcome(body) == expected
