"""Shared reading of JSON webhook bodies: decoding, absent values, typed field access."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace

import orjson

from alertgate.domain.alert import Action, AlertEvent
from alertgate.domain.errors import PayloadError

JsonObject = Mapping[str, object]

_PLACEHOLDER = re.compile(r"^\$[A-Z0-9_]+(\.numeric)?$")
_SPACE = frozenset(" \t\r\n\f\v")
_MAY_BE_ABSENT = _SPACE | {"$", "n", "N"}  # first characters of "", "null" and `$PLACEHOLDER`s
# Deepest body taken. Real webhooks nest under 10 levels. orjson reads 1024 but writes only
# ORJSON_LEVELS, and alertgate writes bodies back: each alert of a group is stored as the body
# with only that alert, and the API shows stored bodies inside its own answer.
MAX_DEPTH = 128
ORJSON_LEVELS = 254  # tests/unit/adapters/test_source_payload.py holds orjson to it
MAX_TEXT = 4096  # longest text kept from a field; longer values are cut, never rejected
NUL = "\x00"  # PostgreSQL's text type cannot hold it; JSON writes it only as the escape \u0000
NUL_SHOWN = "\ufffd"  # what a NUL in a free text becomes (the Unicode replacement character)
NUL_PROBLEM = "holds a NUL character (\\u0000); an identity is stored as sent and cannot hold one"


def load_object(body: bytes) -> JsonObject:
    """Decode a body that must be one JSON object; the Content-Type header is not trusted."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        # Told apart only on failure: stripping every body first copied it on the hot path.
        if not body.strip():
            raise PayloadError("body", "empty body; expected a JSON object") from None
        raise PayloadError("body", f"not valid JSON (UTF-8): {exc}") from None
    if not isinstance(value, dict):
        raise PayloadError("body", f"expected a JSON object, got {json_type(value)}")
    # Fewer brackets than levels allowed cannot nest too deep: the walk is for rare bodies only.
    if body.count(b"{") + body.count(b"[") > MAX_DEPTH and deeper_than(value, MAX_DEPTH):
        raise PayloadError("body", f"nested deeper than {MAX_DEPTH} levels of objects and arrays")
    return value


def deeper_than(value: object, levels: int) -> bool:
    """True when `value` nests more than `levels` objects and arrays (1 <= levels <= 254).

    Asked of orjson at C speed: it writes at most ORJSON_LEVELS levels, so `value` wrapped in
    ORJSON_LEVELS - `levels` arrays is refused exactly when `value` is deeper than `levels`.
    A walk in Python took 200 ms on a 1 MiB body of empty arrays, on the event loop.
    """
    wrapped = value
    for _ in range(ORJSON_LEVELS - levels):
        wrapped = [wrapped]
    try:
        orjson.dumps(wrapped)
    except orjson.JSONEncodeError:
        return True
    return False


def json_type(value: object) -> str:
    """The JSON name of a decoded value's type, for error messages."""
    if value is None:
        return "null"
    names = {bool: "boolean", int: "number", float: "number", str: "string", list: "array"}
    return names.get(type(value), "object")


def is_absent(value: object) -> bool:
    """True for values a sender left empty: null, "", "null", or an unreplaced `$PLACEHOLDER`."""
    if value is None:
        return True
    if value.__class__ is not str:
        return False
    assert isinstance(value, str)
    if not value:
        return True
    first = value[0]
    if first == "$":
        return bool(_PLACEHOLDER.match(value))
    if first in _SPACE or value[-1] in _SPACE:
        stripped = value.strip()
        return not stripped or stripped.lower() == "null" or bool(_PLACEHOLDER.match(stripped))
    return (first == "n" or first == "N") and len(value) == 4 and value.lower() == "null"


def text(field: str, value: object) -> str | None:
    """A present scalar as text (numbers are accepted), or None when absent.

    Raises:
        PayloadError: the value is an object, an array or a boolean.
    """
    if is_absent(value):
        return None
    return present_text(field, value)


def identity_text(field: str, value: object, *, integers: bool) -> str | None:
    """A value that is (part of) an incident's identity, as text; None when absent.

    Stricter than text(): an identity is a key, so it is never rewritten or guessed. A string is
    taken (stripped, without a NUL); an integer too when `integers` (a sender that counts its
    ids); a fractional number (1e3 = 1000.0: several spellings, one key?), a boolean (every
    alert would share `true`), an object or an array is refused.

    Raises:
        PayloadError: another type, or a string holding a NUL.
    """
    if is_absent(value):
        return None
    if isinstance(value, str):
        found = value.strip()[:MAX_TEXT]
        if NUL in found:
            raise PayloadError(field, NUL_PROBLEM)
        return found
    if integers and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    wanted = "a string or an integer" if integers else "a string"
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    got = f"the number {value!r}" if is_number else json_type(value)
    raise PayloadError(field, f"expected {wanted}, got {got}")


def refuse_nul(parts: Iterable[tuple[str, str]]) -> None:
    """Refuse the first (field, text) part of an identity that holds a NUL.

    For identities built from several values (group-by values); a parser calls it only when
    the identity it built holds a NUL, to name the field.

    Raises:
        PayloadError: a part holds a NUL.
    """
    for field, part in parts:
        if NUL in part:
            raise PayloadError(field, NUL_PROBLEM)


def store_safe(body: bytes, events: list[AlertEvent]) -> list[AlertEvent]:
    """The events, with each NUL in their free texts (name, description, instance, link, label
    names and values) replaced by U+FFFD: PostgreSQL's text cannot hold a NUL, and a stray
    control character must not cost a page. Identities are the parsers' to refuse.

    Free of cost for almost every body: JSON can write a NUL only as the escape \\u0000.
    """
    if b"\\u0000" not in body:
        return events
    return [_without_nul(event) for event in events]


def _without_nul(event: AlertEvent) -> AlertEvent:
    def clean(value: str) -> str:
        return value.replace(NUL, NUL_SHOWN)

    def maybe(value: str | None) -> str | None:
        return None if value is None else clean(value)

    labels = tuple(sorted({clean(k): clean(v) for k, v in event.labels}.items()))
    return replace(
        event,
        name=clean(event.name),
        description=maybe(event.description),
        instance=maybe(event.instance),
        link=maybe(event.link),
        labels=labels,
    )


def present_str(value: str) -> str | None:
    """text() of a string: None when is_absent(), else present_text().

    One pass instead of two, for parsers that read many strings per body; it follows
    is_absent() branch for branch (test_source_payload.py holds the two equal).
    """
    if not value:
        return None
    first = value[0]
    if first not in _MAY_BE_ABSENT and value[-1] not in _SPACE:
        return value.strip()[:MAX_TEXT]  # most values: present, in two tests
    if first == "$":
        return None if _PLACEHOLDER.match(value) else value.strip()[:MAX_TEXT]
    if first in _SPACE or value[-1] in _SPACE:
        stripped = value.strip()
        if not stripped or stripped.lower() == "null" or _PLACEHOLDER.match(stripped):
            return None
        return stripped[:MAX_TEXT]
    if (first == "n" or first == "N") and len(value) == 4 and value.lower() == "null":
        return None
    return value.strip()[:MAX_TEXT]  # str.strip() also takes Unicode spaces, as present_text


def present_text(field: str, value: object) -> str:
    """text() for a value already known to be present."""
    if isinstance(value, str):
        return value.strip()[:MAX_TEXT]
    # A tuple, not `int | float`: the union is built anew on every call of these hot helpers.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise PayloadError(field, f"expected a string, got {json_type(value)}")


MAX_LABELS = 64  # labels kept per alert; the rest are dropped (sorted, so the choice is stable)
MAX_LABEL_NAME = 200


def string_pairs(field: str, value: object) -> list[tuple[str, str]]:
    """The entries of a JSON object of scalars (labels, annotations) as text pairs, sorted.

    Absent values are skipped; an object or array inside is refused, naming where it is.

    Raises:
        PayloadError: the value is not an object, or holds an object or array.
    """
    if is_absent(value):
        return []
    if not isinstance(value, dict):
        raise PayloadError(field, f"expected an object of strings, got {json_type(value)}")
    pairs: list[tuple[str, str]] = []
    for key, item in sorted(value.items()):
        if isinstance(item, bool):
            item = "true" if item else "false"
        found = text(f"{field}.{key}", item)
        if found is not None and key.strip():
            pairs.append((key.strip()[:MAX_LABEL_NAME], found))
    return pairs


def bounded_labels(*groups: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """Merge label groups (earlier groups win a name), keeping at most MAX_LABELS, sorted."""
    merged: dict[str, str] = {}
    for group in groups:
        for key, value in group:
            if len(merged) >= MAX_LABELS:
                break
            merged.setdefault(key, value)
    return tuple(sorted(merged.items()))


def http_link(value: str | None) -> str | None:
    """A URL a person can open (http or https), else None."""
    return value if value and value.startswith(("https://", "http://")) else None


def status_action(
    path: str, own: object, envelope: tuple[str, object], words: Mapping[str, Action], expected: str
) -> Action:
    """An alert's own status word as an action, else its envelope's (the status a grouped body
    carries at the top, at `envelope[0]`).

    Raises:
        PayloadError: no status, or a word that is not in `words`; `expected` says which are.
    """
    status, where = own, path
    if is_absent(status):
        where, status = envelope
    word = text(where, status)
    if word is None:
        raise PayloadError(path, f"missing; expected {expected}")
    action = words.get(word.lower())
    if action is None:
        raise PayloadError(where, f"unknown status {word!r}; expected {expected}")
    return action
