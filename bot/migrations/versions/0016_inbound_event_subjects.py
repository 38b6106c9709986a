"""what each inbound event is about, so one ticket's events are processed together

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 11:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('inbound_events') as batch:
        batch.add_column(sa.Column('subject', sa.String(length=160), nullable=True))
        batch.create_index('ix_inbound_events_subject_status', ['subject', 'status'])


def downgrade() -> None:
    with op.batch_alter_table('inbound_events') as batch:
        batch.drop_index('ix_inbound_events_subject_status')
        batch.drop_column('subject')
