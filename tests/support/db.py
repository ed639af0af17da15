"""Direct reads of a store's tables, for tests that check what was committed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import create_engine, select

from alertgate.adapters.stores.payloads import unpack
from alertgate.adapters.stores.schema import decisions, events, incidents, outbox


@dataclass(frozen=True)
class OutboxRow:
    incident_id: str
    kind: str
    status: str
    attempts: int


@dataclass(frozen=True)
class StoreSnapshot:
    """What a test can assert on: decisions per (incident, episode, outcome), the outbox,
    every stored event payload, and each incident's state and hold deadline."""

    decisions: Counter[tuple[str, int, str]]
    outbox: list[OutboxRow]
    payloads: list[bytes]
    states: dict[str, str]
    deadlines: dict[str, datetime | None]

    def sent(self) -> int:
        return sum(1 for row in self.outbox if row.status == "sent")

    def escalations(self) -> Counter[str]:
        return Counter({k[0]: v for k, v in self.decisions.items() if k[2] == "escalated"})


def snapshot(url: str) -> StoreSnapshot:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            decided = Counter(
                (r.incident_id, r.episode, r.outcome)
                for r in conn.execute(
                    select(decisions.c.incident_id, decisions.c.episode, decisions.c.outcome)
                )
            )
            rows = [
                OutboxRow(r.incident_id, r.kind, r.status, r.attempts)
                for r in conn.execute(
                    select(outbox.c.incident_id, outbox.c.kind, outbox.c.status, outbox.c.attempts)
                )
            ]
            payloads = [unpack(bytes(p)) for p in conn.execute(select(events.c.payload)).scalars()]
            found = conn.execute(select(incidents.c.id, incidents.c.state, incidents.c.deadline))
            states, deadlines = {}, {}
            for r in found:
                states[r.id], deadlines[r.id] = r.state, r.deadline
    finally:
        engine.dispose()
    return StoreSnapshot(decided, rows, payloads, states, deadlines)
