"""Env files read exactly as systemd's `EnvironmentFile=` reads them, with a warning for every
line whose meaning is probably not what its author meant.

The tokenizer follows systemd's env-file parser (src/basic/env-file.c) state for state, and the
checks after it are the ones systemd applies before it starts the process (invalid UTF-8 fails
the start; an assignment whose name is not a valid variable name is dropped; the last of
several assignments wins). So `alertgate --env-file F` and a unit with `EnvironmentFile=F` see
the same values; tests/ops/test_env_file_systemd.py compares the tokenizer with the local
systemd's. Where systemd versions differ (a comment ending in a backslash hides the next line
before 254), this follows 254 and later, and warns.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum, auto
from pathlib import Path

# systemd's character classes (string-util.h, escape.h).
_WHITESPACE = " \t\n\r"
_NEWLINE = "\n\r"
_COMMENTS = "#;"
_SHELL_NEED_ESCAPE = '"\\`$'
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # env_name_is_valid()
_SHOWN_NAME = re.compile(r"[A-Za-z0-9_.\- ]{1,40}")  # an invalid name that is safe to print
_EXPANSION = re.compile(r"\$[{A-Za-z_]")
_BOM = "\ufeff"


class Note(Enum):
    """Why an assignment may not mean what it looks like (the tokenizer notices these)."""

    INLINE_COMMENT = "systemd keeps ' #...' as part of the value (only whole lines are comments)"
    AFTER_QUOTE = "text after the closing quote is joined to the value"
    COMMENT_AFTER_QUOTE = "a '#' after the closing quote is part of the value, not a comment"
    BACKSLASH = r"a backslash outside quotes is dropped (\n becomes n, C:\x becomes C:x)"
    SPANS_LINES = "its quoted value spans several lines; check that each quote is closed"
    UNCLOSED = "its quote is never closed: the value runs to the end of the file"


class _S(Enum):
    PRE_KEY = auto()
    KEY = auto()
    PRE_VALUE = auto()
    VALUE = auto()
    VALUE_ESCAPE = auto()
    SINGLE_QUOTE = auto()
    DOUBLE_QUOTE = auto()
    DOUBLE_QUOTE_ESCAPE = auto()
    COMMENT = auto()
    COMMENT_ESCAPE = auto()


@dataclass(slots=True)
class Assignment:
    """One `KEY=VALUE` as systemd's tokenizer produced it, before any check."""

    line: int  # where its name starts
    key: str
    value: str | None  # None: nothing followed "=" (systemd passes NULL; the service sees "")
    notes: list[Note] = field(default_factory=list)


@dataclass(slots=True)
class Tokens:
    """The assignments of a file, and the lines that assign nothing but look as if they do."""

    assignments: list[Assignment] = field(default_factory=list)
    no_equals: list[int] = field(default_factory=list)  # lines of text without "="
    comment_backslash: list[int] = field(default_factory=list)  # comments ending in "\"


class _Tokenizer:
    """systemd's parse_env_file_internal(), one character at a time."""

    def __init__(self) -> None:
        self.state = _S.PRE_KEY
        self.line = 1
        self.key: list[str] = []
        self.value: list[str] | None = None
        self.key_ws: int | None = None  # where the key's trailing whitespace starts
        self.value_ws: int | None = None  # where the unquoted value's trailing whitespace starts
        self.start = 1
        self.quote_line = 1
        self.quoted = False  # a quote has closed in this value
        self.notes: list[Note] = []
        self.tokens = Tokens()
        self.steps: dict[_S, Callable[[str], None]] = {
            _S.PRE_KEY: self._pre_key,
            _S.KEY: self._key,
            _S.PRE_VALUE: self._pre_value,
            _S.VALUE: self._value,
            _S.VALUE_ESCAPE: self._value_escape,
            _S.SINGLE_QUOTE: self._single_quote,
            _S.DOUBLE_QUOTE: self._double_quote,
            _S.DOUBLE_QUOTE_ESCAPE: self._double_quote_escape,
            _S.COMMENT: self._comment,
            _S.COMMENT_ESCAPE: self._comment_escape,
        }

    def run(self, text: str) -> Tokens:
        for c in text:
            self.steps[self.state](c)
            if c == "\n":
                self.line += 1
        self._end()
        return self.tokens

    def _append(self, c: str) -> None:
        if self.value is None:
            self.value = []
        self.value.append(c)

    def _note(self, note: Note) -> None:
        if note not in self.notes:
            self.notes.append(note)

    def _push(self) -> None:
        key = "".join(self.key if self.key_ws is None else self.key[: self.key_ws])
        value = None if self.value is None else "".join(self.value)
        self.tokens.assignments.append(Assignment(self.start, key, value, self.notes))
        self.key, self.value, self.notes, self.quoted = [], None, [], False

    def _trim_value(self) -> None:
        if self.value is not None and self.value_ws is not None:
            del self.value[self.value_ws :]

    def _pre_key(self, c: str) -> None:
        if c in _COMMENTS:
            self.state = _S.COMMENT
        elif c not in _WHITESPACE:
            self.state, self.key_ws, self.start = _S.KEY, None, self.line
            self.key = [c]

    def _key(self, c: str) -> None:
        if c in _NEWLINE:
            self.state, self.key = _S.PRE_KEY, []
            self.tokens.no_equals.append(self.start)
        elif c == "=":
            self.state, self.value_ws = _S.PRE_VALUE, None
        else:
            if c not in _WHITESPACE:
                self.key_ws = None
            elif self.key_ws is None:
                self.key_ws = len(self.key)
            self.key.append(c)

    def _pre_value(self, c: str) -> None:
        if c in _NEWLINE:
            self.state = _S.PRE_KEY
            self._push()
            return
        if c in _WHITESPACE:
            return
        if self.quoted:
            self._note(Note.COMMENT_AFTER_QUOTE if c == "#" else Note.AFTER_QUOTE)
        elif c == "#":
            self._note(Note.INLINE_COMMENT)
        if c == "'":
            self.state, self.quote_line = _S.SINGLE_QUOTE, self.line
        elif c == '"':
            self.state, self.quote_line = _S.DOUBLE_QUOTE, self.line
        elif c == "\\":
            self.state = _S.VALUE_ESCAPE
        else:
            self.state = _S.VALUE
            self._append(c)

    def _value(self, c: str) -> None:
        if c in _NEWLINE:
            self.state = _S.PRE_KEY
            self._trim_value()
            self._push()
        elif c == "\\":
            self.state, self.value_ws = _S.VALUE_ESCAPE, None
        else:
            if c == "#" and not self.quoted and self.value and self.value[-1] in " \t":
                self._note(Note.INLINE_COMMENT)
            if c not in _WHITESPACE:
                self.value_ws = None
            elif self.value_ws is None:
                self.value_ws = len(self.value or ())
            self._append(c)

    def _value_escape(self, c: str) -> None:
        self.state = _S.VALUE
        if c not in _NEWLINE:  # an escaped line break is eaten: a continuation line
            if c.isalnum():
                self._note(Note.BACKSLASH)
            self._append(c)

    def _close_quote(self) -> None:
        self.state, self.quoted = _S.PRE_VALUE, True
        if self.line > self.quote_line:
            self._note(Note.SPANS_LINES)

    def _single_quote(self, c: str) -> None:
        if c == "'":
            self._close_quote()
        else:
            self._append(c)

    def _double_quote(self, c: str) -> None:
        if c == '"':
            self._close_quote()
        elif c == "\\":
            self.state = _S.DOUBLE_QUOTE_ESCAPE
        else:
            self._append(c)

    def _double_quote_escape(self, c: str) -> None:
        self.state = _S.DOUBLE_QUOTE
        if c in _SHELL_NEED_ESCAPE:
            self._append(c)
        elif c != "\n":  # other escapes keep their backslash, as a shell does
            self._append("\\")
            self._append(c)

    def _comment(self, c: str) -> None:
        if c == "\\":
            self.state = _S.COMMENT_ESCAPE
        elif c in _NEWLINE:
            self.state = _S.PRE_KEY

    def _comment_escape(self, c: str) -> None:
        # systemd 254 and later; before, a comment ending in "\" also hid the next line.
        if c in _NEWLINE:
            self.state = _S.PRE_KEY
            self.tokens.comment_backslash.append(self.line)
        else:
            self.state = _S.COMMENT

    def _end(self) -> None:
        if self.state in (_S.SINGLE_QUOTE, _S.DOUBLE_QUOTE, _S.DOUBLE_QUOTE_ESCAPE):
            self._note(Note.UNCLOSED)
        elif self.state == _S.VALUE:
            self._trim_value()
        elif self.state == _S.KEY:
            self.tokens.no_equals.append(self.start)
        if self.state not in (_S.PRE_KEY, _S.KEY, _S.COMMENT, _S.COMMENT_ESCAPE):
            self._push()


def tokenize(text: str) -> Tokens:
    """The assignments systemd's tokenizer finds in `text`, in order, unchecked."""
    return _Tokenizer().run(text)


@dataclass(frozen=True, slots=True)
class EnvFile:
    """What a service started with `EnvironmentFile=` would see, and what to tell the author."""

    values: dict[str, str]
    warnings: list[str]
    problems: list[str]  # systemd would refuse to start the service with this file


def parse(data: bytes) -> EnvFile:
    """Read an env file's bytes the way systemd does."""
    text = data.decode("utf-8", "surrogateescape")
    warnings: list[str] = []
    if "\0" in text:  # systemd reads a file as a C string: it ends at the first NUL byte
        line = text.count("\n", 0, text.index("\0")) + 1
        warnings.append(f"line {line}: a NUL byte: systemd ignores everything after it")
        text = text[: text.index("\0")]
    tokens = tokenize(text)
    values: dict[str, str] = {}
    set_on: dict[str, int] = {}
    for a in tokens.assignments:
        if _invalid_utf8(a.key) or _invalid_utf8(a.value or ""):
            problem = (
                f"line {a.line}: not valid UTF-8 (or a Unicode noncharacter): systemd refuses "
                "to start a service with this file"
            )
            return EnvFile({}, warnings, [problem])
        if not _NAME.fullmatch(a.key):
            warnings.append(_bad_name(a))
            continue
        if a.key in set_on:
            warnings.append(
                f"line {a.line}: {a.key} is set again (first on line {set_on[a.key]}): "
                "the last value wins"
            )
        values[a.key], set_on[a.key] = a.value or "", a.line
        warnings.extend(f"line {a.line}: {a.key}: {note.value}" for note in a.notes)
        if _EXPANSION.search(a.value or ""):
            warnings.append(
                f"line {a.line}: {a.key}: systemd does not expand variables: '$' is kept as it is"
            )
    warnings.extend(f"line {n}: no '=': systemd ignores this line" for n in tokens.no_equals)
    warnings.extend(
        f"line {n}: the comment ends with a backslash: systemd 254 and later read line {n + 1} "
        "as usual, older versions ignore it too; remove the backslash"
        for n in tokens.comment_backslash
    )
    return EnvFile(values, sorted(warnings, key=_line_number), [])


def read(path: Path) -> EnvFile:
    """Read the env file at `path` (OSError when it cannot be read)."""
    return parse(path.read_bytes())


def _invalid_utf8(text: str) -> bool:
    """Bytes that are not UTF-8 (decoded as lone surrogates) or a noncharacter: systemd's
    utf8_is_valid() refuses both (systemd.exec(5): "The file must be UTF-8 encoded")."""
    return any(
        "\udc80" <= c <= "\udcff" or "\ufdd0" <= c <= "\ufdef" or ord(c) & 0xFFFE == 0xFFFE
        for c in text
    )


def _line_number(warning: str) -> int:
    return int(warning.split(":", 1)[0].removeprefix("line "))


def _bad_name(a: Assignment) -> str:
    name = a.key.removeprefix(_BOM)
    if a.key.startswith(_BOM):
        why = "the file starts with a UTF-8 byte order mark, which systemd reads as part of"
        return f"line {a.line}: {why} the name {name!r}: it ignores the line; save without BOM"
    if (words := name.split()) and words[0] == "export" and _NAME.fullmatch(" ".join(words[1:])):
        return (
            f"line {a.line}: 'export {words[1]}': systemd does not understand 'export ' and "
            f"ignores the whole line, so {words[1]} is not set; remove 'export '"
        )
    shown = f" {name!r}" if _SHOWN_NAME.fullmatch(name) else ""
    return (
        f"line {a.line}: the name{shown} before '=' is not a variable name (letters, digits "
        "and _, not starting with a digit): systemd ignores the line"
    )
