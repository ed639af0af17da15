"""After a measured round, read alertgate's store and check that speed was not bought with a
broken guarantee: every accepted request stored once (retries deduplicated, none lost) and at
most one decision of each kind per incident episode."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection, func, select

from alertgate.adapters.stores import engine as engines
from alertgate.adapters.stores.schema import decisions, events, incidents
from benchmarks.bodies import Item, distinct_events
from benchmarks.wrk import WrkResult


def check_ingest(
    url: str,
    items: Mapping[str, list[Item]],
    runs: Mapping[str, WrkResult],
    connections: int,
    checks: dict[str, object],
) -> list[str]:
    """Problems found in the store after a round (empty: none); facts go into `checks`."""
    problems = []
    engine = engines.create(url)
    try:
        with engine.connect() as conn:
            for stream, result in runs.items():
                like = f"%|host={stream}-host-%"
                stored = conn.execute(
                    select(func.count()).select_from(events).where(events.c.incident_key.like(like))
                ).scalar_one()
                # wrk generated `generated` requests in plan order and stopped with at most
                # `connections` of them unanswered; the server may have stored those or not.
                expected = distinct_events(items[stream][: result.generated])
                checks[f"{stream}: events stored / distinct events sent"] = (
                    f"{stored} / {expected} ({result.generated} requests generated)"
                )
                if not expected - connections <= stored <= expected:
                    problems.append(
                        f"{stream}: {stored} events stored for {expected} distinct events sent "
                        f"(expected between {expected - connections} and {expected})"
                    )
            twice = episodes_decided_twice(conn)
            checks["episodes decided twice"] = twice
            if twice:
                problems.append(f"{twice} incident episodes have the same decision twice")
            checks["incidents"] = conn.execute(
                select(func.count()).select_from(incidents)
            ).scalar_one()
    finally:
        engine.dispose()
    return problems


def episodes_decided_twice(conn: Connection) -> int:
    """Incident episodes with the same decision outcome more than once (the engine promises
    one decision of each kind per episode)."""
    repeated = (
        select(decisions.c.incident_id)
        .group_by(decisions.c.incident_id, decisions.c.episode, decisions.c.outcome)
        .having(func.count() > 1)
        .subquery()
    )
    return int(conn.execute(select(func.count()).select_from(repeated)).scalar_one())
