"""`alertgate incidents list|show`: the store's incidents and their timelines, for people on the
box. Reads only, so it is safe beside a running server (SQLite WAL readers never block it)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime

from alertgate import bootstrap
from alertgate.config import Settings
from alertgate.domain.incident import Incident, State
from alertgate.http.views import IncidentPage, incident_view, timeline_view
from alertgate.logging import Redactor
from alertgate.ports import InvalidCursorError, StoreError, Timeline

EXIT_NOT_FOUND = 1
EXIT_UNAVAILABLE = 1
NAME_WIDTH = 48

Print = Callable[[str], None]


def when(value: datetime | None) -> str:
    """A stored time as people read it in a terminal: UTC, to the second."""
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if value else "-"


def _open(settings: Settings) -> bootstrap.ReadSide | None:
    try:
        return bootstrap.open_read_side(settings)
    except bootstrap.DatabaseNotReadyError as exc:
        print(f"alertgate: {_scrubber(settings)(str(exc))}", file=sys.stderr)
        return None


def _scrubber(settings: Settings) -> Callable[[str], str]:
    return Redactor(bootstrap.secrets_of(settings)).scrub


def list_incidents(
    settings: Settings, state: State | None, limit: int, cursor: str | None, as_json: bool
) -> int:
    """Print incidents, most recently changed first."""
    read = _open(settings)
    if read is None:
        return EXIT_UNAVAILABLE
    scrub = _scrubber(settings)
    try:
        page = read.queries.list_incidents(state, limit, cursor)
    except (StoreError, InvalidCursorError) as exc:
        print(f"alertgate: {scrub(str(exc))}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    finally:
        read.close()
    if as_json:
        views = [incident_view(i) for i in page.incidents]
        print(scrub(IncidentPage(incidents=views, next_cursor=page.next_cursor).model_dump_json()))
        return 0
    _table(page.incidents, lambda line: print(scrub(line)))
    if page.next_cursor:
        print(f"(more: --cursor {page.next_cursor})")
    return 0


def _table(incidents: list[Incident], out: Print) -> None:
    if not incidents:
        out("no incidents")
        return
    out(f"{'ID':<16}  {'STATE':<9}  {'PRI':<3}  {'OPENED':<20}  {'REASON':<25}  NAME")
    for i in incidents:
        name = i.name if not i.instance else f"{i.name} ({i.instance})"
        if len(name) > NAME_WIDTH:
            name = name[: NAME_WIDTH - 1] + "…"
        priority = i.priority.value if i.priority else "-"
        out(
            f"{i.id:<16}  {i.state.value:<9}  {priority:<3}  {when(i.opened_at):<20}  "
            f"{i.reason.value:<25}  {name}"
        )


def show_incident(settings: Settings, incident_id: str, as_json: bool) -> int:
    """Print one incident and everything that happened to it, in order."""
    read = _open(settings)
    if read is None:
        return EXIT_UNAVAILABLE
    scrub = _scrubber(settings)
    try:
        timeline = read.queries.timeline(incident_id)
    except StoreError as exc:
        print(f"alertgate: {scrub(str(exc))}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    finally:
        read.close()
    if timeline is None:
        print(f"alertgate: no incident {scrub(incident_id)!r} and no event for it", file=sys.stderr)
        return EXIT_NOT_FOUND
    if as_json:
        print(scrub(timeline_view(timeline).model_dump_json(indent=2)))
    else:
        _details(timeline, lambda line: print(scrub(line)))
    return 0


def _details(timeline: Timeline, out: Print) -> None:
    i = timeline.incident
    if i is None:
        out(f"incident {timeline.incident_id}: {NEVER_OPENED}")
    else:
        _summary(i, out)
    out("timeline:")
    for entry in timeline_view(timeline).timeline:
        out(f"  {when(entry.at)}  {entry.type:<12}  {entry.summary}")


NEVER_OPENED = (
    "never opened: only recorded events (a sender's test, or a resolve with nothing open)"
)


def _summary(i: Incident, out: Print) -> None:
    out(f"incident {i.id}: {i.name}")
    rows = [
        ("state", f"{i.state.value} (episode {i.episode}, because {i.reason.value})"),
        ("source", f"{i.source}  key {i.key}"),
        ("priority", i.priority.value if i.priority else "-"),
        ("instance", i.instance or "-"),
        ("opened", f"{when(i.opened_at)}  (triggered {when(i.triggered_at)})"),
        ("hold ends", when(i.deadline)),
        ("escalated", when(i.escalated_at)),
        ("resolved", when(i.resolved_at)),
        ("last event", when(i.last_event_at)),
        ("link", i.link or "-"),
        ("labels", ", ".join(f"{k}={v}" for k, v in i.labels) or "-"),
    ]
    if i.description:
        rows.insert(4, ("description", i.description))
    for label, value in rows:
        out(f"  {label:<12} {value}")
