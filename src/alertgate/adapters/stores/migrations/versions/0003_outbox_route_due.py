"""Outbox: due notifications indexed by route, so a claim never reads every pending row.

The dispatcher claims per route (`route = ? AND next_attempt_at <= ? ORDER BY next_attempt_at`).
The index on `next_attempt_at` alone could not serve the route filter, and SQLite planned the
claim over ix_outbox_status instead, sorting every pending row: ~1 ms a claim with 10,000
pending (an escalation storm, a channel down), on the event loop. On (route, next_attempt_at)
the claim is an index range scan (~75 µs there) and the next due time a per-route minimum.

Revision ID: 0003_outbox_route_due
Revises: 0002_outbox_redrive
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_outbox_route_due"
down_revision = "0002_outbox_redrive"
branch_labels = None
depends_on = None

_PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.create_index(
        "ix_outbox_route_due",
        "outbox",
        ["route", "next_attempt_at"],
        sqlite_where=_PENDING,
        postgresql_where=_PENDING,
    )
    op.drop_index("ix_outbox_due", table_name="outbox")


def downgrade() -> None:
    op.create_index(
        "ix_outbox_due",
        "outbox",
        ["next_attempt_at"],
        sqlite_where=_PENDING,
        postgresql_where=_PENDING,
    )
    op.drop_index("ix_outbox_route_due", table_name="outbox")
