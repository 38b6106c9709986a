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
    op.create_table('customer_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transition_id', sa.Integer(), nullable=False),
    sa.Column('bug_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('new_status', sa.String(length=16), nullable=True),
    sa.Column('told_by', sa.String(length=32), nullable=False),
    sa.Column('batch', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['bug_id'], ['bugs.id'], name=op.f('fk_customer_replies_bug_id_bugs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_customer_replies_ticket_id_tickets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['transition_id'], ['bug_transitions.id'], name=op.f('fk_customer_replies_transition_id_bug_transitions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_replies')),
    sa.UniqueConstraint('transition_id', 'ticket_id', name=op.f('uq_customer_replies_transition_id_ticket_id'))
    )
    op.create_index('ix_customer_replies_ticket', 'customer_replies', ['ticket_id', 'bug_id'], unique=False)
    with op.batch_alter_table('rotations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('holiday_calendar', sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_index('ix_customer_replies_ticket', table_name='customer_replies')
    op.drop_table('customer_replies')
    with op.batch_alter_table('rotations', schema=None) as batch_op:
        batch_op.drop_column('holiday_calendar')
