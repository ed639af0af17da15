"""Event times as senders write them: ISO 8601 / RFC 3339 text, epoch seconds or milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime

from alertgate.adapters.sources.payload import is_absent, json_type
from alertgate.domain.errors import PayloadError


def from_epoch_ms(value: object) -> datetime | None:
    """A plausible epoch-milliseconds time (years 2000..2100), else None."""
    try:
        millis = float(value) if isinstance(value, (int, float, str)) else None
    except ValueError:
        return None
    if (
        millis is None
        or isinstance(value, bool)
        or not 946_684_800_000 <= millis < 4_102_444_800_000
    ):
        return None
    return datetime.fromtimestamp(millis / 1000, tz=UTC)


def from_iso(value: object) -> datetime | None:
    """An ISO 8601 time with an offset or `Z`, else None."""
    if not isinstance(value, str) or is_absent(value):
        return None
    parsed = _iso(value)
    return None if parsed is None else _plausible(parsed)


def _iso(value: str) -> datetime | None:
    """An ISO 8601 time with an offset or `Z`, of any year; None when the text is not one."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _plausible(when: datetime) -> datetime | None:
    """The time in UTC if it falls in 2000..2100; before that is Go's zero time and the like."""
    return when.astimezone(UTC) if 2000 <= when.year < 2100 else None


def from_any_time(value: object) -> datetime | None:
    """An event time as senders write it: ISO 8601, or epoch seconds or milliseconds (told apart
    by size; both must fall in 2000..2100), else None."""
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if is_number and isinstance(value, int | float) and 946_684_800 <= value < 4_102_444_800:
        return datetime.fromtimestamp(value, tz=UTC)
    return from_iso(value) or from_epoch_ms(value)


_ANY_TIME = "a time (ISO 8601 with an offset, or epoch seconds or milliseconds)"


def event_time(field: str, value: object) -> datetime | None:
    """from_any_time() of a field the sender types as a time; None when absent, or when it is a
    time outside 2000..2100 (Go's zero time `0001-01-01T00:00:00Z` means "no time").

    Raises:
        PayloadError: a value of another type, or text that is no time.
    """
    if is_absent(value):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PayloadError(field, f"expected {_ANY_TIME}, got {json_type(value)}")
    found = from_any_time(value)
    if found is None and isinstance(value, str) and _iso(value) is None:
        try:
            float(value)
        except ValueError:
            raise PayloadError(field, f"not {_ANY_TIME}: {value[:64]!r}") from None
    return found


def rfc3339(field: str, value: object) -> datetime | None:
    """A time written as RFC 3339 text (Alertmanager's `startsAt`, `endsAt`); None when absent or
    outside 2000..2100 (Go's zero time `0001-01-01T00:00:00Z` means "not ended").

    Raises:
        PayloadError: not a string, or a string that is no RFC 3339 time.
    """
    if is_absent(value):
        return None
    if not isinstance(value, str):
        raise PayloadError(field, f"expected an RFC 3339 time, got {json_type(value)}")
    parsed = _iso(value)
    if parsed is None:
        raise PayloadError(field, f"not an RFC 3339 time: {value[:64]!r}")
    return _plausible(parsed)
