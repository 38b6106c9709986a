"""customers told when bugs are fixed; public holiday calendars on rotations

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 07:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('rotations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('holiday_calendar', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('rotations', schema=None) as batch_op:
        batch_op.drop_column('holiday_calendar')
