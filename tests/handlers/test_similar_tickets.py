"""Similar earlier tickets in a new ticket's thread, driven through Zendesk, Slack and Jira."""

from __future__ import annotations

from typing import Any

from bug_helpers import SUPPORT, link_ticket, replies, text_of
from sqlalchemy import text

from bot.db import transaction
from bot.render.blocks import escape
from bot.tickets.models import Ticket

SIMILAR = "Earlier tickets like this one"


def _thread(app: Any, subject: str, description: str, **kwargs: Any) -> tuple[dict, dict]:
    z = app.zendesk
    customer = z.add_user("Carla Customer", email="carla@globex.test")
    ticket = z.create_ticket(subject, description, requester_id=customer["id"], **kwargs)
    app.settle()
    root = next(m for m in app.slack.messages(SUPPORT) if escape(subject) in m["text"])
    return ticket, root


def _similar(app: Any, root: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in replies(app, root) if SIMILAR in m["text"]]


def _solved_with_bug(app: Any) -> tuple[dict, dict, str]:
    key = app.jira.create_issue(summary="Password reset emails are not sent")
    ticket, root = _thread(
        app,
        "Password reset email never arrives",
        "I asked for a password reset link three times but the reset email never arrives.",
        tags=["login", "password_reset"],
    )
    link_ticket(app, root, key)
    app.zendesk.solve(ticket["id"])
    app.settle()
    app.clock.advance(days=3)
    return ticket, root, key


def test_similar_ticket_gets_one_reply_and_its_button_links_the_bug(bugdesk: Any) -> None:
    old, old_root, key = _solved_with_bug(bugdesk)
    new, root = _thread(
        bugdesk,
        "Reset password email not received",
        "Clicked forgot password, the password reset email was never received.",
        tags=["password_reset"],
    )
    [reply] = _similar(bugdesk, root)
    shown = text_of(reply)
    assert f"Zendesk #{old['id']}" in shown and "Password reset email never arrives" in shown
    assert "solved" in shown and "<!date^" in shown and key in shown
    thread = old_root["ts"].replace(".", "")
    assert thread in shown or bugdesk.zendesk.ticket_url(old["id"]) in shown
    section = next(b for b in reply["blocks"] if b.get("accessory"))
    assert section["accessory"]["text"]["text"] == f"Link to {key}"
    message = {**reply, "thread_ts": root["ts"]}
    bugdesk.driver.block_action(
        "U0AGENT", "bug_link_similar", message=message, channel_id=SUPPORT,
        block_id=section["block_id"],
    )  # fmt: skip
    bugdesk.settle()
    urls = {link["object"]["url"] for link in bugdesk.jira.remote_links(key)}
    assert bugdesk.zendesk.ticket_url(new["id"]) in urls
    assert any(f"Linked to {key}" in m["text"] for m in replies(bugdesk, root))
    # A second click asks for nothing more.
    before = len(bugdesk.jira.remote_links(key))
    bugdesk.driver.block_action(
        "U0AGENT", "bug_link_similar", message=message, channel_id=SUPPORT,
        block_id=section["block_id"],
    )  # fmt: skip
    bugdesk.settle()
    assert len(bugdesk.jira.remote_links(key)) == before
    assert any("already" in e["text"] for e in bugdesk.slack.ephemerals(user="U0AGENT"))


def test_dissimilar_ticket_gets_no_reply(bugdesk: Any) -> None:
    _solved_with_bug(bugdesk)
    _, root = _thread(
        bugdesk, "Invoice shows the wrong VAT rate", "Our March invoice charges 25% VAT not 19%."
    )
    assert _similar(bugdesk, root) == []


def test_duplicate_webhooks_post_the_reply_once(bugdesk: Any) -> None:
    _solved_with_bug(bugdesk)
    z = bugdesk.zendesk
    start = len(z.webhooks.events)
    _, root = _thread(
        bugdesk, "Password reset email missing", "The reset email for my password is missing."
    )
    for payload in list(z.webhooks.events[start:]) * 2:
        z.replay(payload["id"])
    bugdesk.settle()
    assert len(_similar(bugdesk, root)) == 1


def test_the_index_follows_subject_and_tag_changes(bugdesk: Any) -> None:
    old, _ = _thread(
        bugdesk, "Dark mode toggle broken", "Reported on the phone.", tags=["dark_mode"]
    )
    bugdesk.zendesk.update_ticket(
        old["id"], subject="Export to CSV times out", tags=["export", "timeout"]
    )
    bugdesk.settle()
    bugdesk.clock.advance(days=1)
    _, root = _thread(
        bugdesk, "CSV export timeout", "The CSV export times out after a minute.", tags=["export"]
    )
    assert len(_similar(bugdesk, root)) == 1
    _, root = _thread(bugdesk, "Dark mode toggle missing", "Cannot find the dark mode toggle.")
    assert _similar(bugdesk, root) == []


def _index_finds(app: Any, word: str) -> int:
    with transaction(app.runtime.factory) as session:
        if session.get_bind().dialect.name == "postgresql":
            sql = "SELECT count(*) FROM ticket_search WHERE document @@ plainto_tsquery(:w)"
        else:
            sql = "SELECT count(*) FROM ticket_search WHERE ticket_search MATCH :w"
        return int(session.execute(text(sql), {"w": f'"{word}"'}).scalar_one())


def test_requester_email_never_matches_even_when_contact_is_shown(db_url: str, clock: Any) -> None:
    from harness import start_app

    app = start_app(db_url, clock=clock, zendesk=True, jira=True, show_requester_contact=True)
    try:
        _solved_with_bug(app)
        with transaction(app.runtime.factory) as session:
            emails = {t.requester_email for t in session.query(Ticket).all()}
        assert emails == {"carla@globex.test"}  # kept and shown, yet not searchable
        _, root = _thread(
            app,
            "Account carla@globex.test",
            "Contact carla@globex.test or +49 30 1234 5678 about the account of carla@globex.test",
        )
        assert _similar(app, root) == []
        assert _index_finds(app, "globex") == 0
        assert _index_finds(app, "5678") == 0
    finally:
        app.stop()


def test_near_empty_and_odd_texts_post_nothing(bugdesk: Any) -> None:
    _solved_with_bug(bugdesk)
    for subject, description in (
        ("Help", "Hi, please help, thanks"),
        ("?", "?"),
        ("<b>Hello</b>", "<p>&nbsp;</p>"),
        ("Passwort zurücksetzen", "Die E-Mail zum Zurücksetzen kommt nicht an."),
        ("密码重置邮件没有收到", "我点击了忘记密码，但是没有收到邮件"),
        ("Huge", "lorem ipsum dolor " * 20000),
    ):
        _, root = _thread(bugdesk, subject, description)
        assert _similar(bugdesk, root) == [], subject
    with transaction(bugdesk.runtime.factory) as session:
        assert session.query(Ticket).count() == 7


def test_the_threshold_setting_decides_what_is_similar_enough(db_url: str, clock: Any) -> None:
    from harness import start_app

    app = start_app(db_url, clock=clock, zendesk=True, jira=True, similar_tickets_min_score=1.0)
    try:
        _solved_with_bug(app)
        _, root = _thread(
            app,
            "Password reset email never arrives",
            "I asked for a password reset link three times but the reset email never arrives.",
            tags=["login", "password_reset"],
        )
        assert _similar(app, root) == []  # even the same words: 1 turns the reply off
    finally:
        app.stop()
