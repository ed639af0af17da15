"""Reading a Coralogix body by key name: top-level keys, then the `fields` key/value array."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from itertools import repeat
from operator import itemgetter
from typing import Any, Generic, TypeVar

from alertgate.adapters.sources.payload import (
    JsonObject,
    identity_text,
    is_absent,
    json_type,
    present_str,
    present_text,
)
from alertgate.domain.errors import PayloadError

_NOT_ALNUM = re.compile(r"[^a-z0-9]")
_TEST_MARKER = re.compile(r"^\*insert\b.*\*$", re.IGNORECASE)  # "Test & Save" sample values
# JSON spells `*` literally or as \u002a: a body with neither holds no "Test & Save" value. The
# escape is looked for only in a body with a backslash, which bodies carrying JSON text have.
_ESCAPED_STAR = re.compile(rb"\\u002[aA]")
_KEY = itemgetter("key")
_NOT_TEXT = (dict, list, bool)
# Layouts are kept for this many body shapes (a sender has a few templates), and only for bodies
# this small, so that bodies of invented keys cannot grow memory.
_MAX_LAYOUTS = 128
_MAX_KEPT_BODY = 16_384

T = TypeVar("T")
ShapeKey = tuple[tuple[str, ...], tuple[object, ...]]  # top-level keys, `fields` keys


@functools.lru_cache(maxsize=4096)
def norm(key: str) -> str:
    """A key name without case and punctuation: `alert_action` = `alertAction`."""
    return _NOT_ALNUM.sub("", key.lower())


class FieldReader:
    """Reads Coralogix bodies by normalised key name.

    A sender renders one template into bodies with the same keys in the same order, so where
    each name's values are (the layout) is worked out once per body shape, and a value is only
    looked at when a rule reads it: a default body carries ~53 values and the rules read ~20
    (the parse profile showed per-value work for all of them dominating the parser).
    """

    __slots__ = ("_layouts",)

    def __init__(self) -> None:
        self._layouts: dict[ShapeKey, Layout] = {}

    def read(self, body: JsonObject, raw: bytes) -> Fields:
        """The body's values, to be read by name.

        Raises:
            PayloadError: `fields` is not an array of objects with a string `key`.
        """
        fields = body.get("fields")
        keys: tuple[object, ...] = ()
        values = list(body.values())
        if fields is not None:
            if not isinstance(fields, list):
                raise PayloadError(
                    "fields", f"expected an array of {{key, value}}, got {json_type(fields)}"
                )
            try:
                keys = tuple(map(_KEY, fields))
            except (TypeError, KeyError):  # an item that is not an object with a `key`
                raise _bad_item(fields) from None
            values.extend(map(dict.get, fields, repeat("value")))
        shape = (tuple(body), keys)
        try:
            layout = self._layouts.get(shape)
        except TypeError:  # a `key` that is an array or an object: Layout() names it
            layout = None
        if layout is None:
            layout = self._learn(shape, len(raw) <= _MAX_KEPT_BODY)
        maybe_test = b"*" in raw or (b"\\" in raw and _ESCAPED_STAR.search(raw) is not None)
        is_test = maybe_test and _has_test_marker(values)  # the `fields` array is no string
        return Fields(layout, values, is_test)

    def _learn(self, shape: ShapeKey, keep: bool) -> Layout:
        layout = Layout(*shape)
        if keep:
            if len(self._layouts) >= _MAX_LAYOUTS:
                self._layouts.clear()
            self._layouts[shape] = layout
        return layout


def _bad_item(fields: list[object]) -> PayloadError:
    """The error naming the first item of `fields` that is not an object with a string `key`."""
    for index, item in enumerate(fields):
        if not (isinstance(item, dict) and isinstance(item.get("key"), str)):
            return PayloadError(f"fields[{index}]", "expected an object with a string `key`")
    return PayloadError("fields", "expected an array of {key, value}")  # not reached


def _has_test_marker(values: list[object]) -> bool:
    """Whether any value is a "Test & Save" sample (`*insert ...*`)."""
    return any(
        isinstance(value, str) and value[:1] == "*" and _TEST_MARKER.match(value.strip())
        for value in values
    )


class Lookups(Generic[T]):
    """A fixed table of lookups a parser asks of every body: (tag, names) in order. Where each
    one's values are is kept per body shape, so that a table costs one step per entry present."""

    __slots__ = ("items",)

    def __init__(self, items: Iterable[tuple[T, tuple[str, ...]]]) -> None:
        self.items = tuple(items)


class Layout:
    """Where a body shape's values are: positions in the list of its top-level values followed
    by its `fields` values, per normalised name, top-level keys first, each in body order."""

    __slots__ = ("_first", "_names", "_repeated", "_tables", "_top", "memo")

    def __init__(self, top: tuple[str, ...], keys: tuple[object, ...]) -> None:
        """Raises: PayloadError: a `fields` key that is not a string."""
        if not all(map(isinstance, keys, repeat(str))):
            index = next(i for i, key in enumerate(keys) if not isinstance(key, str))
            raise PayloadError(f"fields[{index}]", "expected an object with a string `key`")
        # Built in C-level steps: a shape is learnt from its first body, which pays for it.
        names: list[str | None] = [*map(norm, top), *map(norm, keys)]
        if "fields" in top:
            names[top.index("fields")] = None  # the array itself, not a value
        self._names = names
        self._first = dict(zip(reversed(names), range(len(names) - 1, -1, -1), strict=True))
        self._repeated = len(self._first) < len(names)  # two keys with one normalised name
        self._top = top
        # A parser asks the same lookups of every body: their positions are kept, per lookup
        # (names) and per table, sets bounded by the parser's code.
        self.memo: dict[tuple[str, ...], tuple[int, ...]] = {}
        self._tables: dict[Lookups[Any], tuple[tuple[Any, tuple[int, ...]], ...]] = {}

    def path(self, place: int) -> str:
        """The field path of a position, as errors name it: its key, or `fields[i]`."""
        top = self._top
        return top[place] if place < len(top) else f"fields[{place - len(top)}]"

    def places(self, names: tuple[str, ...]) -> tuple[int, ...]:
        """Positions of the values under any of the names, in the order they are tried."""
        places = self.memo.get(names)
        if places is None:
            if self._repeated:
                places = tuple(
                    [p for name in names for p, n in enumerate(self._names) if n == name]
                )
            elif len(names) == 1:  # most lookups
                place = self._first.get(names[0])
                places = () if place is None else (place,)
            else:
                places = tuple([p for p in map(self._first.get, names) if p is not None])
            self.memo[names] = places
        return places

    def table(self, lookups: Lookups[T]) -> tuple[tuple[T, tuple[int, ...]], ...]:
        """(tag, positions) of the table's entries that have values in this shape."""
        found = self._tables.get(lookups)
        if found is None:
            found = tuple(
                [(tag, places) for tag, names in lookups.items if (places := self.places(names))]
            )
            self._tables[lookups] = found
        return found


class Fields:
    """One body's values by normalised name: the first present value wins, top-level keys before
    the `fields` array; `is_test` if the body is a "Test & Save" sample."""

    __slots__ = ("_layout", "_values", "is_test")

    def __init__(self, layout: Layout, values: list[object], is_test: bool) -> None:
        self._layout = layout
        self._values = values
        self.is_test = is_test

    def raw(self, *names: str) -> tuple[str, object] | None:
        """The first present value under any of the names, with its path (for errors)."""
        values, layout = self._values, self._layout
        places = layout.memo.get(names)
        for place in layout.places(names) if places is None else places:
            value = values[place]
            if not is_absent(value):
                return layout.path(place), value
        return None

    def path(self, *names: str) -> str:
        """The path of the value raw() finds under the names (for errors); it must be present."""
        found = self.raw(*names)
        assert found is not None, names  # callers ask only after finding a value
        return found[0]

    def text(self, *names: str) -> str | None:
        """The first present value as text (numbers are accepted).

        Raises:
            PayloadError: the value is an object, an array or a boolean.
        """
        places = self._layout.memo.get(names)
        return self._text(self._layout.places(names) if places is None else places, False)

    def identity(self, *names: str) -> str | None:
        """The first present value as (part of) an identity: identity_text(), integers allowed
        (a user's template may write an id unquoted).

        Raises:
            PayloadError: a fractional number, a boolean, an object, an array, a NUL.
        """
        found = self.raw(*names)
        return None if found is None else identity_text(*found, integers=True)

    def soft_text(self, *names: str) -> str | None:
        """Like text(), but a non-scalar value counts as absent (for optional context)."""
        places = self._layout.memo.get(names)
        return self._text(self._layout.places(names) if places is None else places, True)

    def texts(self, lookups: Lookups[T]) -> Iterator[tuple[T, str]]:
        """(tag, text) of each entry of the table with a present value, in table order, each
        read as text() reads it when the iteration reaches it (so errors come in that order).
        """
        for tag, places in self._layout.table(lookups):
            found = self._text(places, False)
            if found is not None:
                yield tag, found

    def soft_texts(self, lookups: Lookups[T]) -> list[tuple[T, str]]:
        """(tag, text) of each entry of the table with a present value, read as soft_text()."""
        values = self._values
        found: list[tuple[T, str]] = []
        for tag, places in self._layout.table(lookups):
            value = values[places[0]]
            if len(places) == 1 and isinstance(value, str):  # most entries: one step fewer
                text = present_str(value)
            else:
                text = self._text(places, True)
            if text is not None:
                found.append((tag, text))
        return found

    def _text(self, places: tuple[int, ...], soft: bool) -> str | None:
        """The first present value at the positions as text; `soft`: a non-scalar one reads as
        absent, else it is refused naming its path."""
        values = self._values
        if len(places) == 1:  # the common case, one key holding a string, in fewer steps
            value = values[places[0]]
            if isinstance(value, str):
                return present_str(value)
        for place in places:
            value = values[place]
            if isinstance(value, str):
                found = present_str(value)
                if found is not None:
                    return found
            elif value is not None:
                if soft and isinstance(value, _NOT_TEXT):
                    return None
                return present_text(self._layout.path(place), value)
        return None
