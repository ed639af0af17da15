"""The initial schema: event log, incidents, decisions, outbox.

Revision ID: 0001
Revises:
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

RowId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("episode", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("priority", sa.String(2)),
        sa.Column("instance", sa.Text),
        sa.Column("link", sa.Text),
        sa.Column("description", sa.Text),
        sa.Column("labels", sa.Text, nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("opened_at", sa.BigInteger, nullable=False),
        sa.Column("triggered_at", sa.BigInteger, nullable=False),
        sa.Column("last_event_at", sa.BigInteger, nullable=False),
        sa.Column("deadline", sa.BigInteger),
        sa.Column("escalated_at", sa.BigInteger),
        sa.Column("resolved_at", sa.BigInteger),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ix_incidents_deadline",
        "incidents",
        ["deadline"],
        sqlite_where=sa.text("deadline IS NOT NULL"),
        postgresql_where=sa.text("deadline IS NOT NULL"),
    )
    op.create_index("ix_incidents_updated", "incidents", ["updated_at", "id"])
    op.create_index("ix_incidents_state_updated", "incidents", ["state", "updated_at", "id"])

    op.create_table(
        "events",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("delivery_key", sa.String(64), nullable=False),
        sa.Column("incident_id", sa.String(16), nullable=False),
        sa.Column("incident_key", sa.Text, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("episode", sa.Integer, nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("received_at", sa.BigInteger, nullable=False),
        sa.Column("event_time", sa.BigInteger),
        sa.Column("payload", sa.LargeBinary, nullable=False),
    )
    op.create_index(
        "ux_events_incident_delivery", "events", ["incident_id", "delivery_key"], unique=True
    )

    op.create_table(
        "decisions",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.String(16), nullable=False),
        sa.Column("episode", sa.Integer, nullable=False),
        sa.Column("decided_at", sa.BigInteger, nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_index("ix_decisions_incident", "decisions", ["incident_id", "id"])

    op.create_table(
        "outbox",
        sa.Column("id", RowId, primary_key=True, autoincrement=True),
        sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
        sa.Column("incident_id", sa.String(16), nullable=False),
        sa.Column("episode", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("route", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("snapshot", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger, nullable=False),
        sa.Column("lease_owner", sa.String(120)),
        sa.Column("sent_at", sa.BigInteger),
        sa.Column("channel", sa.String(32)),
        sa.Column("last_error", sa.Text),
    )
    op.create_index(
        "ix_outbox_due",
        "outbox",
        ["next_attempt_at"],
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index("ix_outbox_incident", "outbox", ["incident_id", "id"])
    op.create_index("ix_outbox_status", "outbox", ["status", "id"])


def downgrade() -> None:
    for table in ("outbox", "decisions", "events", "incidents"):
        op.drop_table(table)
