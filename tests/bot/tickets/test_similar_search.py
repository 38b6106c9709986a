"""The similar-ticket search as a plain function on a real database: a labelled set of tickets
(groups that tell the same problem in other words, plus unrelated ones), precision at 3,
privacy, near-empty texts, and the text rules underneath."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.db import transaction
from bot.tickets import similar, terms
from bot.tickets.models import Ticket

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

# (group, subject, description, tags): a group is one problem, told by different people.
LABELLED: list[tuple[str | None, str, str, list[str]]] = [
    ("reset", "Password reset email never arrives",
     "I requested a password reset three times and no email came.", ["login"]),
    ("reset", "No reset link received",
     "Forgot my password, clicked reset, but the reset email is not in my inbox or spam.", []),
    ("reset", "Reset password mail missing",
     "The mail with the link to reset the password does not arrive.", ["login"]),
    ("declined", "Card declined at checkout",
     "My Visa card is declined every time I try to pay at checkout.", ["payments"]),
    ("declined", "Payment fails: card declined",
     "Checkout says the card was declined although the bank approved it.", ["payments"]),
    ("declined", "Checkout rejects my credit card",
     "Credit card declined on the checkout page, tried two cards.", []),
    ("csv", "CSV export times out",
     "Exporting the orders report to CSV times out after a minute.", ["reports"]),
    ("csv", "Export to CSV never finishes",
     "The CSV export of my orders spins and then times out.", ["reports"]),
    ("csv", "Orders CSV export timeout",
     "Large orders export as CSV ends with a timeout error.", []),
    ("crash", "iOS app crashes on launch",
     "Since the update the iPhone app crashes right after launch.", ["mobile"]),
    ("crash", "App crash when opening on iPhone",
     "The iOS app closes immediately on launch, crash every time.", ["mobile"]),
    ("crash", "Mobile app keeps crashing after update",
     "After the latest update the iOS app crashes when I open it.", []),
    ("sso", "SAML SSO login loop",
     "Our SAML single sign-on redirects back to the login page in a loop.", ["sso"]),
    ("sso", "SSO redirect loop with Okta",
     "Okta SAML login sends users back and forth in a redirect loop.", ["sso"]),
    ("invoice", "Invoice shows wrong VAT rate",
     "The March invoice charges 25% VAT instead of 19% VAT.", ["billing"]),
    ("invoice", "Wrong VAT on invoice",
     "VAT rate on our invoice is wrong for Germany.", ["billing"]),
    ("timezone", "Scheduled reports arrive at the wrong hour",
     "Weekly scheduled reports are sent an hour late since daylight saving time.", []),
    ("timezone", "Report schedule off by one hour after DST",
     "Since the daylight saving change our scheduled report arrives one hour off.", []),
    (None, "Dark mode for the dashboard", "Is there a dark mode planned for the dashboard?", []),
    (None, "Add a second admin", "How do I give a colleague admin rights to our workspace?", []),
    (None, "Webhook signature mismatch",
     "Our webhook receiver rejects your HMAC signatures since Monday.", ["api"]),
    (None, "Cancel my subscription", "Please cancel our subscription at the end of the term.", []),
    (None, "Slow search results", "Searching the product catalogue takes ten seconds.", []),
    (None, "Change company address", "We moved offices; the new address is on the letterhead.", []),
    (None, "Zapier integration missing fields",
     "The Zapier trigger does not include the custom fields.", ["integrations"]),
    (None, "Bulk import of contacts",
     "Can we bulk import 5,000 contacts from a spreadsheet?", []),
]  # fmt: skip


def _add(
    session: Session, n: int, subject: str, description: str, tags: list[str], **more: Any
) -> Ticket:
    ticket = Ticket(
        provider="zendesk",
        external_id=str(n),
        subject=subject,
        description=description,
        status=more.pop("status", "solved"),
        tags=tags,
        channel_id="C0SUPPORT",
        routed_channel_id="C0SUPPORT",
        root_key=f"ticket:zendesk:{n}:root",
        first_seen_at=more.pop("first_seen_at", NOW - timedelta(days=n)),
        **more,
    )
    session.add(ticket)
    session.flush()
    similar.index(session, ticket)
    return ticket


def test_precision_at_3_on_the_labelled_set(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        tickets = [_add(session, n, *row[1:]) for n, row in enumerate(LABELLED, 1)]
        group = {t.id: row[0] for t, row in zip(tickets, LABELLED, strict=True)}
        shown = relevant = answered = 0
        for ticket, (label, *_) in zip(tickets, LABELLED, strict=True):
            # Every other ticket counts as earlier for this measure.
            ticket.first_seen_at = NOW
            found = similar.find(session, ticket, NOW)
            ticket.first_seen_at = NOW - timedelta(days=tickets.index(ticket) + 1)
            if label is None:
                assert found == [], (ticket.subject, [m.ticket.subject for m in found])
                continue
            answered += bool(found)
            shown += len(found)
            relevant += sum(group[m.ticket.id] == label for m in found)
    precision = relevant / shown
    with_match = sum(1 for row in LABELLED if row[0] is not None)
    print(f"precision@3={precision:.2f} answered={answered}/{with_match}")
    assert precision >= 0.8
    assert answered >= 0.75 * with_match


def test_the_ticket_itself_later_tickets_and_deleted_ones_are_not_offered(
    factory: sessionmaker[Session],
) -> None:
    with transaction(factory) as session:
        new = _add(session, 1, "CSV export times out", "Orders export to CSV times out.", [])
        _add(session, 2, "CSV export times out", "Orders export to CSV times out.", [],
             status="deleted")  # fmt: skip
        _add(session, 3, "CSV export times out", "Orders export to CSV times out.", [],
             first_seen_at=NOW + timedelta(hours=1))  # fmt: skip
        assert similar.find(session, new, NOW) == []
        older = _add(session, 4, "CSV export timing out", "The orders CSV export times out.", [])
        assert [m.ticket.id for m in similar.find(session, new, NOW)] == [older.id]


def test_recent_tickets_rank_before_old_ones_of_equal_relevance(
    factory: sessionmaker[Session],
) -> None:
    with transaction(factory) as session:
        text = ("Card declined at checkout", "The card is declined at checkout.", [])
        old = _add(session, 1, *text, opened_at=NOW - timedelta(days=400))
        recent = _add(session, 2, *text, opened_at=NOW - timedelta(days=3))
        new = _add(session, 3, *text, first_seen_at=NOW)
        found = similar.find(session, new, NOW)
        assert [m.ticket.id for m in found] == [recent.id, old.id]
        assert found[0].score > found[1].score


def test_contact_details_never_enter_the_index(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        _add(session, 1, "Refund for order 1234", "Call me on +1 (555) 010-9999 or mail "
             "ana.lopez@example.org about my refund.", [],
             requester_email="ana.lopez@example.org", requester_phone="+15550109999")  # fmt: skip
        probe = _add(session, 2, "ana.lopez@example.org", "+1 555 010 9999 ana.lopez", [],
                     first_seen_at=NOW)  # fmt: skip
        assert similar.find(session, probe, NOW, min_score=0.01) == []


@pytest.mark.parametrize(
    ("subject", "description"),
    [
        ("", ""),
        ("Help", "Hi, please help, thanks!"),
        ("<p>&nbsp;</p>", "<br/><br/>"),
        ("*bold* _it_ `code`", "> quoted"),
        ("x" * 1000, "y" * 100_000),
        ("Passwort zurücksetzen", "Die E-Mail kommt nicht an " * 5000),
    ],
)
def test_odd_texts_are_bounded_and_find_nothing(
    factory: sessionmaker[Session], subject: str, description: str
) -> None:
    with transaction(factory) as session:
        for n, row in enumerate(LABELLED[:6], 10):
            _add(session, n, *row[1:])
        ticket = _add(session, 1, subject, description, [], first_seen_at=NOW)
        assert similar.find(session, ticket, NOW) == []


def test_rebuild_indexes_every_ticket_with_words(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        _add(session, 1, "Card declined at checkout", "Visa declined.", [])
        _add(session, 2, "Hi", "", [])
        assert similar.rebuild(session) == 1


def test_terms_drop_stop_words_and_fold_endings() -> None:
    assert terms.words("Hi, the emails are NOT arriving!") == ["emails", "arriving"]
    assert {terms.stem(w) for w in ("email", "emails")} == {"email"}
    assert terms.stem("crashing") == terms.stem("crashes") == terms.stem("crashed")
    assert terms.clean("mail a.b@c.de or call +49 30 123456 78").split() == ["mail", "or", "call"]
    found = terms.weighed("Export fails", "export export export export", ["reports"])
    assert found["export"][0] > found["report"][0]


def test_one_word_in_common_is_not_a_match(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        _add(session, 1, "Bench ticket 101", "Problem 101", [])
        probe = _add(session, 2, "Bench ticket 202", "Problem 202", [], first_seen_at=NOW)
        assert similar.find(session, probe, NOW, min_score=0.0) == []
