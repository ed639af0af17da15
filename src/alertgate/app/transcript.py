"""Transcript: the changes one transaction makes, collected from the transitions it takes."""

from __future__ import annotations

from datetime import datetime

from alertgate.domain.decisions import NotificationKind, Outcome
from alertgate.domain.incident import Incident
from alertgate.domain.lifecycle import Transition
from alertgate.domain.routing import route_for
from alertgate.ports import Changes, DecisionRecord, EventRecord, Intent


def idempotency_key(incident: Incident, kind: NotificationKind) -> str:
    """One notification of each kind per incident episode, whatever retries or replicas do."""
    return f"{incident.id}:{incident.episode}:{kind.value}"


class Transcript:
    """Incidents as they stand inside the transaction, and every row it will write."""

    def __init__(self, loaded: dict[str, Incident]) -> None:
        self._loaded = loaded
        self._current: dict[str, Incident] = dict(loaded)
        self.keys: set[str] = set()
        self.events: list[EventRecord] = []
        self.decisions: list[DecisionRecord] = []
        self.intents: list[Intent] = []

    def current(self, incident_id: str) -> Incident | None:
        return self._current.get(incident_id)

    def add_event(self, record: EventRecord) -> None:
        self.events.append(record)
        self.keys.add(record.delivery_key)

    def record(self, before: Incident | None, transition: Transition, now: datetime) -> None:
        """Add what one step decided: the incident's new state, and the decision and intents
        of each of its stages (an overdue timer's, then the event's own)."""
        after = transition.incident
        if after is not None and after is not before:
            self._current[after.id] = after
        for stage in transition.stages:
            self._decided(stage, now)

    def _decided(self, transition: Transition, now: datetime) -> None:
        after, decision = transition.incident, transition.decision
        if after is None or decision.outcome is Outcome.RECORDED:
            return
        self.decisions.append(
            DecisionRecord(
                after.id, after.episode, now, decision.outcome, decision.reason, decision.detail
            )
        )
        for notify in transition.notifications:
            self.intents.append(
                Intent(
                    idempotency_key=idempotency_key(after, notify.kind),
                    incident=after,
                    kind=notify.kind,
                    route=route_for(notify.kind),
                    reason=notify.reason,
                    detail=decision.detail,
                    created_at=now,
                )
            )

    @property
    def changed(self) -> list[Incident]:
        """Incidents this transaction created or changed, as they end up."""
        return [i for k, i in self._current.items() if self._loaded.get(k) is not i]

    @property
    def changes(self) -> Changes:
        created = [i for i in self.changed if i.id not in self._loaded]
        updated = [(i, self._loaded[i.id].version) for i in self.changed if i.id in self._loaded]
        return Changes(self.events, created, updated, self.decisions, self.intents)
