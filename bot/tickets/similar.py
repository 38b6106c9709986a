"""Earlier tickets like a new one: the full-text index and the search over it.

The index (`ticket_search`, made by migration 0014) holds each ticket's significant words
without contact details (bot.tickets.terms): on SQLite an FTS5 table whose rowid is the ticket
id, on PostgreSQL a `tsvector` per ticket under a GIN index. The database finds candidates
with an OR of the new ticket's heaviest words, ranked by its own relevance (FTS5 `bm25()`,
PostgreSQL `ts_rank_cd`); the few best are then scored the same way on both databases
(word-profile similarity, slightly favouring recent tickets), so one threshold means the same
thing everywhere. Tickets with too few words are neither indexed nor searched for.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bot.tickets import terms
from bot.tickets.models import Ticket

CANDIDATES = 20  # candidates the database ranks; the best of them are scored here
RECENCY_DAYS = 90.0  # an older match keeps at least RECENCY_FLOOR of its score
RECENCY_FLOOR = 0.8
DEFAULT_MIN_SCORE = 0.35


@dataclass(frozen=True)
class Match:
    """An earlier ticket like the new one, and how alike (0 to 1, recency included)."""

    ticket: Ticket
    score: float


# What the index is made of (selected by name, so older migrations keep working).
SOURCE = (
    Ticket.id,
    Ticket.subject,
    Ticket.description,
    Ticket.tags,
    Ticket.requester_email,
    Ticket.requester_phone,
)


def _private(ticket: Ticket) -> list[str]:
    return [v for v in (ticket.requester_email, ticket.requester_phone) if v]


def _document(
    subject: str | None,
    description: str | None,
    tags: Sequence[str] | None,
    private: Sequence[str | None],
) -> tuple[str, str] | None:
    title, body = terms.document(
        subject or "", description or "", tags or [], private=[p for p in private if p]
    )
    if len(set(f"{title} {body}".split())) < terms.MIN_TERMS:
        return None  # near-empty: nothing to match on
    return title, body


def index(session: Session, ticket: Ticket) -> None:
    """Bring the ticket's index entry up to date with its subject, description and tags."""
    session.flush()
    doc = _document(ticket.subject, ticket.description, ticket.tags, _private(ticket))
    _store(session, ticket.id, doc)


def _store(session: Session, ticket_id: int, doc: tuple[str, str] | None) -> None:
    params = {"id": ticket_id}
    if session.get_bind().dialect.name == "postgresql":
        if doc is None:
            session.execute(text("DELETE FROM ticket_search WHERE ticket_id = :id"), params)
            return
        session.execute(
            text(
                "INSERT INTO ticket_search (ticket_id, document) VALUES (:id, "
                "setweight(to_tsvector('english', :title), 'A') || "
                "to_tsvector('english', :body)) "
                "ON CONFLICT (ticket_id) DO UPDATE SET document = excluded.document"
            ),
            {**params, "title": doc[0], "body": doc[1]},
        )
        return
    session.execute(text("DELETE FROM ticket_search WHERE rowid = :id"), params)
    if doc is not None:
        session.execute(
            text("INSERT INTO ticket_search (rowid, title, body) VALUES (:id, :title, :body)"),
            {**params, "title": doc[0], "body": doc[1]},
        )


def rebuild(session: Session, *, batch: int = 1000) -> int:
    """Index every ticket afresh (the migration and `supportbot search rebuild`); returns how
    many tickets have an entry."""
    session.execute(text("DELETE FROM ticket_search"))
    indexed, last = 0, 0
    while True:
        rows = session.execute(
            select(*SOURCE).where(Ticket.id > last).order_by(Ticket.id).limit(batch)
        ).all()
        if not rows:
            return indexed
        for ticket_id, subject, description, tags, email, phone in rows:
            doc = _document(subject, description, tags, [email, phone])
            if doc is not None:
                _store(session, ticket_id, doc)
                indexed += 1
        last = rows[-1][0]


def _candidates_sqlite(session: Session, words: Sequence[str], exclude: int) -> list[int]:
    # FTS5 query syntax: quoted strings joined by OR; the words are letters and digits only.
    # https://www.sqlite.org/fts5.html#full_text_query_syntax
    query = " OR ".join(f'"{w}"' for w in words)
    rows = session.execute(
        text(
            # bm25 weighs the subject-and-tags column like terms.SUBJECT_WEIGHT.
            "SELECT rowid FROM ticket_search WHERE ticket_search MATCH :q AND rowid != :self "
            "ORDER BY bm25(ticket_search, 3.0, 1.0) LIMIT :n"
        ),
        {"q": query, "self": exclude, "n": CANDIDATES},
    )
    return [int(r[0]) for r in rows]


def _candidates_postgresql(session: Session, words: Sequence[str], exclude: int) -> list[int]:
    # to_tsquery with `|` between single words; each is stemmed by the english configuration.
    # https://www.postgresql.org/docs/current/textsearch-controls.html
    rows = session.execute(
        text(
            "SELECT ticket_id FROM ticket_search, to_tsquery('english', :q) AS q "
            "WHERE document @@ q AND ticket_id <> :self "
            "ORDER BY ts_rank_cd(document, q) DESC LIMIT :n"
        ),
        {"q": " | ".join(words), "self": exclude, "n": CANDIDATES},
    )
    return [int(r[0]) for r in rows]


def recency(then: datetime | None, now: datetime) -> float:
    """From 1 (today) down to RECENCY_FLOOR (long ago)."""
    if then is None:
        return RECENCY_FLOOR
    days = max((now - then).total_seconds() / 86400, 0.0)
    return RECENCY_FLOOR + (1 - RECENCY_FLOOR) * math.exp(-days / RECENCY_DAYS)


def find(
    session: Session,
    ticket: Ticket,
    now: datetime,
    *,
    min_score: float = DEFAULT_MIN_SCORE,
    limit: int = 3,
) -> list[Match]:
    """Up to `limit` earlier tickets like `ticket` scoring at least `min_score`, best first."""
    private = _private(ticket)
    subject, description, tags = ticket.subject or "", ticket.description or "", ticket.tags or []
    wanted = terms.profile(subject, description, tags, private=private)
    if len(wanted) < terms.MIN_TERMS:
        return []
    words = terms.query_words(subject, description, tags, private=private)
    if session.get_bind().dialect.name == "postgresql":
        ids = _candidates_postgresql(session, words, ticket.id)
    else:
        ids = _candidates_sqlite(session, words, ticket.id)
    if not ids:
        return []
    found = session.scalars(select(Ticket).where(Ticket.id.in_(ids))).all()
    matches = []
    for other in found:
        if other.status == "deleted" or other.first_seen_at > ticket.first_seen_at:
            continue
        theirs = terms.profile(
            other.subject or "", other.description or "", other.tags or [], private=_private(other)
        )
        when = other.opened_at or other.first_seen_at
        score = terms.similarity(wanted, theirs) * recency(when, now)
        if score >= min_score:
            matches.append(Match(other, round(score, 3)))
    matches.sort(key=lambda m: (-m.score, -m.ticket.id))
    return matches[:limit]
