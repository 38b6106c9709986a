"""Earlier tickets like a new one: the full-text index and the search over it.

The index (`ticket_search`, made by migration 0014) holds each ticket's significant words
without contact details (bot.tickets.terms): on SQLite an FTS5 table whose rowid is the ticket
id, on PostgreSQL a `tsvector` per ticket under a GIN index. The database finds candidates
with an OR of the new ticket's heaviest words, ranked by its own relevance (FTS5 `bm25()`,
PostgreSQL `ts_rank`); the few best are then scored the same way on both databases
(word-profile similarity, slightly favouring recent tickets), so one threshold means the same
thing everywhere. Tickets with too few words are neither indexed nor searched for.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm import Session

from bot.tickets import terms
from bot.tickets.models import Ticket

CANDIDATES = 20  # candidates the database ranks; the best of them are scored here
RECENCY_DAYS = 90.0  # an older match keeps at least RECENCY_FLOOR of its score
RECENCY_FLOOR = 0.8
DEFAULT_MIN_SCORE = 0.35
COMMON_SHARE = 0.03  # a word in more of all tickets than this is as good as a stop word
COMMON_MIN_TICKETS = 1000  # too few tickets to tell which words are common
MIN_SHARED = 2  # significant words a match must share with the new ticket
COMMON_CHECKED = 16  # the heaviest words checked for being common (each costs a count)
COMMON_READ = "similar_common_lexemes"  # session.info: the common lexemes this transaction read
QUERY_TERMS = 8  # the heaviest words the database is asked for (each adds to every search)


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

INSERT_SQLITE = "INSERT INTO ticket_search (rowid, title, body) VALUES (:id, :title, :body)"
INSERT_PG = (
    "INSERT INTO ticket_search (ticket_id, document) VALUES (:id, "
    "setweight(to_tsvector('simple', :title), 'A') || to_tsvector('simple', :body)) "
    "ON CONFLICT (ticket_id) DO UPDATE SET document = excluded.document"
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
        session.execute(text(INSERT_PG), {**params, "title": doc[0], "body": doc[1]})
        return
    session.execute(text("DELETE FROM ticket_search WHERE rowid = :id"), params)
    if doc is not None:
        session.execute(text(INSERT_SQLITE), {**params, "title": doc[0], "body": doc[1]})


def rebuild(session: Session, *, batch: int = 1000) -> int:
    """Index every ticket afresh (the migration and `supportbot search rebuild`); returns how
    many tickets have an entry."""
    session.execute(text("DELETE FROM ticket_search"))
    postgres = session.get_bind().dialect.name == "postgresql"
    indexed, last = 0, 0
    while True:
        rows = session.execute(
            select(*SOURCE).where(Ticket.id > last).order_by(Ticket.id).limit(batch)
        ).all()
        if not rows:
            break
        docs = []
        for ticket_id, subject, description, tags, email, phone in rows:
            doc = _document(subject, description, tags, [email, phone])
            if doc is not None:
                docs.append({"id": ticket_id, "title": doc[0], "body": doc[1]})
        if docs:
            session.execute(text(INSERT_PG if postgres else INSERT_SQLITE), docs)
        indexed += len(docs)
        last = rows[-1][0]
    if postgres:
        session.execute(text("ANALYZE ticket_search"))  # the common words (see find)
    return indexed


def _candidates_sqlite(session: Session, words: Sequence[str], exclude: int) -> list[int]:
    # FTS5 query syntax: quoted strings joined by OR; the terms are letters and digits only.
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
    # to_tsquery with `|` between terms, in the `simple` configuration: the index holds our
    # stems already. https://www.postgresql.org/docs/current/textsearch-controls.html
    rows = session.execute(
        text(
            "SELECT ticket_id FROM ticket_search, to_tsquery('simple', :q) AS q "
            "WHERE document @@ q AND ticket_id <> :self "
            # ts_rank, not ts_rank_cd: cover density costs about four times as much per match
            # and the candidates are scored again below anyway.
            "ORDER BY ts_rank(document, q) DESC LIMIT :n"
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


def _common_sqlite(session: Session, stems: Sequence[str]) -> set[str]:
    # fts5vocab 'row' counts the documents holding each term.
    # https://www.sqlite.org/fts5.html#the_fts5vocab_virtual_table_module
    total = session.execute(text("SELECT max(id) FROM tickets")).scalar() or 0
    if total < COMMON_MIN_TICKETS:
        return set()
    rows = session.execute(
        text(
            "SELECT term FROM ticket_search_vocab WHERE term IN :stems AND doc > :most"
        ).bindparams(bindparam("stems", expanding=True)),
        {"stems": list(stems), "most": total * COMMON_SHARE},
    )
    return {str(r[0]) for r in rows}


def _common_postgresql(session: Session, stems: Sequence[str]) -> set[str]:
    # ANALYZE keeps the most common lexemes of a tsvector column and the share of rows holding
    # each in pg_stats (most_common_elems, most_common_elem_freqs): a catalog read, no scan.
    # https://www.postgresql.org/docs/current/view-pg-stats.html
    # Read once per transaction (statistics change only when ANALYZE runs), not per ticket.
    common = session.info.get(COMMON_READ)
    if common is None:
        rows = session.execute(
            text(
                "SELECT e.lexeme FROM pg_stats AS s, "
                "unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) "
                "AS e(lexeme, freq) "
                "WHERE s.schemaname = current_schema() AND s.tablename = 'ticket_search' "
                "AND s.attname = 'document' AND e.freq > :share "
                "AND (SELECT reltuples FROM pg_class WHERE oid = 'ticket_search'::regclass) "
                ">= :min"
            ),
            {"share": COMMON_SHARE, "min": COMMON_MIN_TICKETS},
        )
        common = session.info[COMMON_READ] = frozenset(str(r[0]) for r in rows)
    return common.intersection(stems)


def find(
    session: Session,
    ticket: Ticket,
    now: datetime,
    *,
    min_score: float = DEFAULT_MIN_SCORE,
    limit: int = 3,
) -> list[Match]:
    """Up to `limit` earlier tickets like `ticket` scoring at least `min_score`, best first.

    Words in more than COMMON_SHARE of all tickets say little about any of them: they are
    dropped like stop words (once there are COMMON_MIN_TICKETS tickets to tell)."""
    private = _private(ticket)
    found = terms.weighed(
        ticket.subject or "", ticket.description or "", ticket.tags or [], private=private
    )
    if len(found) < terms.MIN_TERMS:
        return []
    heaviest = sorted(found, key=lambda key: -found[key][0])[:COMMON_CHECKED]
    postgres = session.get_bind().dialect.name == "postgresql"
    drop = (_common_postgresql if postgres else _common_sqlite)(session, heaviest)
    wanted = terms.profile(found, drop)
    if len(wanted) < terms.MIN_TERMS:
        return []
    asked = sorted(wanted, key=lambda key: -wanted[key])[:QUERY_TERMS]
    ids = (_candidates_postgresql if postgres else _candidates_sqlite)(session, asked, ticket.id)
    if not ids:
        return []
    scored: list[tuple[float, int]] = []
    rows = session.execute(
        select(
            *SOURCE,
            Ticket.status,
            func.coalesce(Ticket.opened_at, Ticket.first_seen_at),
        ).where(
            Ticket.id.in_(ids),
            Ticket.status != "deleted",
            Ticket.first_seen_at <= ticket.first_seen_at,
        )
    )
    for other_id, subject, description, tags, email, phone, _, when in rows:
        private = [v for v in (email, phone) if v]
        profile = terms.profile(
            terms.weighed(subject or "", description or "", tags or [], private=private), drop
        )
        if len(wanted.keys() & profile.keys()) < MIN_SHARED:
            continue  # one word in common is chance, not the same problem
        score = terms.similarity(wanted, profile) * recency(when, now)
        if score >= min_score:
            scored.append((round(score, 3), other_id))
    best = sorted(scored, key=lambda s: (-s[0], -s[1]))[:limit]
    return [Match(session.get_one(Ticket, other_id), score) for score, other_id in best]
