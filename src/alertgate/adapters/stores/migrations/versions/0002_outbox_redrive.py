"""Outbox re-drive: when an operator last re-drove a notification (its maximum age restarts).

Revision ID: 0002_outbox_redrive
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_outbox_redrive"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("redriven_at", sa.BigInteger, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("redriven_at")
