"""requester phone on tickets and helpdesk names

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-01 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tickets') as batch:
        batch.add_column(sa.Column('requester_phone', sa.String(length=64), nullable=True))
    with op.batch_alter_table('helpdesk_names') as batch:
        batch.add_column(sa.Column('phone', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('helpdesk_names') as batch:
        batch.drop_column('phone')
    with op.batch_alter_table('tickets') as batch:
        batch.drop_column('requester_phone')
