"""an index of the inbound events still pending, for the inbox's claim

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.create_index(
        'ix_inbound_events_pending',
        'inbound_events',
        ['id'],
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )


def downgrade() -> None:
    op.drop_index('ix_inbound_events_pending', table_name='inbound_events')
