"""full-text index of tickets for finding similar ones

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 06:50:00.000000

SQLite: an FTS5 table (rowid = ticket id). PostgreSQL: a tsvector per ticket (`simple`
configuration) under a GIN index. Both hold bot.tickets.terms' stems. Neither is a model (bot.migrate.SEARCH_INDEX keeps them out of the
model comparison); bot.tickets.similar reads and writes them. Existing tickets are indexed here.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy.orm import Session

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.execute(
            'CREATE TABLE ticket_search ('
            ' ticket_id INTEGER NOT NULL'
            ' CONSTRAINT pk_ticket_search PRIMARY KEY'
            ' CONSTRAINT fk_ticket_search_ticket_id_tickets REFERENCES tickets (id)'
            ' ON DELETE CASCADE,'
            ' document TSVECTOR NOT NULL)'
        )
        # Without fastupdate, new entries go straight into the index instead of a pending list
        # every search would scan until the next vacuum (searches stay fast after bursts).
        op.execute(
            'CREATE INDEX ix_ticket_search_document ON ticket_search'
            ' USING gin (document) WITH (fastupdate = off)'
        )
    else:
        op.execute(
            'CREATE VIRTUAL TABLE ticket_search USING fts5('
            "title, body, tokenize = 'unicode61 remove_diacritics 0')"
        )
        # How many tickets hold each term (bot.tickets.similar drops the commonest words).
        op.execute("CREATE VIRTUAL TABLE ticket_search_vocab USING fts5vocab(ticket_search, row)")
    from bot.tickets import similar

    session = Session(bind=bind)
    similar.rebuild(session)
    session.flush()


def downgrade() -> None:
    op.execute('DROP TABLE IF EXISTS ticket_search_vocab')
    op.execute('DROP TABLE IF EXISTS ticket_search')
