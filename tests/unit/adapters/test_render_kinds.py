"""Every notification kind the domain can ask for renders in every channel's format."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alertgate.adapters.notifiers.mail import mail_for
from alertgate.adapters.notifiers.render import summarize
from alertgate.domain.decisions import NotificationKind, Reason
from alertgate.domain.lifecycle import step
from alertgate.domain.routing import route_for
from alertgate.ports import Notification
from tests.unit.domain.factories import POLICY, T0, trigger


@pytest.mark.parametrize("kind", list(NotificationKind))
def test_each_kind_renders_a_headline_and_a_mail(kind: NotificationKind) -> None:
    """A kind added to the domain without its wording fails here, not in production."""
    incident = step(None, trigger(), T0, POLICY).incident
    assert incident is not None
    notification = Notification(
        id=1,
        idempotency_key="k",
        incident=incident,
        kind=kind,
        route=route_for(kind),
        reason=Reason.HELD,
        detail="d",
        created_at=T0 + timedelta(minutes=1),
        attempts=1,
    )
    summary = summarize(notification)
    assert summary.subject
    assert "High CPU" in mail_for(notification, "example.com").subject
