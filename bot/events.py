"""Which domain function handles each stored event, and each finished pending call.

The inbox stores every inbound event (Slack, Zendesk, the generic helpdesk, Jira) before it is
acknowledged; the inbox worker hands each one to the processor for its source below, inside
one transaction (a ticket's pending helpdesk events together, see `bot.inbox.Together`).
Pending calls to Zendesk and Jira come back through `reactions`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.bugs import calls as bug_calls
from bot.bugs import customers
from bot.bugs import notices as bug_notices
from bot.bugs import similar as bug_similar
from bot.bugs.records import BugConfig
from bot.errors import UserError
from bot.inbox import Processor, Together
from bot.insights import home
from bot.models import InboundEvent, PendingCall
from bot.pending_calls import FollowUp, Reactions
from bot.settings import Settings
from bot.sla import targets
from bot.tickets import agents, generic, intake, mirror, notes, threads
from bot.tickets import names as ticket_names


def ticket_config(settings: Settings) -> threads.TicketConfig:
    """The ticket rules' view of the settings."""
    return threads.TicketConfig(
        default_channel=settings.support_channel,
        show_contact=settings.show_requester_contact,
        lookups=settings.zendesk_configured,
        on_thread=bug_similar.on_thread(settings.similar_tickets_min_score),
    )


def home_config(settings: Settings) -> home.HomeConfig:
    """The App Home's view of the settings."""
    return home.HomeConfig(
        leads=list(settings.support_leads),
        product_owners=list(settings.product_owners),
        timezone=settings.timezone,
    )


def bug_config(settings: Settings) -> BugConfig:
    """The bug rules' view of the settings."""
    return BugConfig(
        project_key=settings.jira_project_key,
        notes=settings.zendesk_configured,
        callback=settings.helpdesk_callback_configured,
        fix_template=settings.customer_fix_template,
    )


def apply_ticket_events(
    session: Session,
    events: Sequence[intake.HelpdeskEvent],
    now: datetime,
    config: threads.TicketConfig,
) -> list[str | None]:
    """Mirror helpdesk events into their tickets and threads (each ticket's events together,
    in the order given), then re-time each ticket's SLA when what its clocks run on changed;
    returns, per event, why it was ignored, or None."""
    by_ticket: dict[tuple[str, str], list[int]] = {}
    for index, event in enumerate(events):
        by_ticket.setdefault((event.provider, event.ticket.external_id), []).append(index)
    results: list[str | None] = [None] * len(events)
    for indexes in by_ticket.values():
        applied = mirror.apply(session, [events[i] for i in indexes], now, config)
        if applied.ticket is not None:
            targets.retime(session, applied.ticket, changed=applied.timing_changed)
        for i in indexes:
            results[i] = applied.ignored
    return results


def processors(settings: Settings) -> Mapping[str, Processor | Together]:
    """The processor for each inbound source (a ticket's helpdesk events go together)."""
    config = ticket_config(settings)
    homes = home_config(settings)

    def zendesk(session: Session, events: list[InboundEvent], now: datetime) -> list[str | None]:
        results: list[str | None] = [None] * len(events)
        tickets: list[tuple[int, intake.HelpdeskEvent]] = []
        for index, event in enumerate(events):
            if event.event_type == "export":
                normalized = intake.from_zendesk_api(
                    event.payload["ticket"], event.payload.get("comments", []), settings.zendesk_url
                )
            elif intake.zendesk_is_ticket_event(event.payload):
                normalized = intake.from_zendesk_webhook(event.payload, settings.zendesk_url)
            else:
                results[index] = f"not a ticket event: {event.event_type}"
                continue
            tickets.append((index, normalized))
        applied = apply_ticket_events(session, [t for _, t in tickets], now, config)
        for (index, _), reason in zip(tickets, applied, strict=True):
            results[index] = reason
        return results

    def helpdesk(session: Session, events: list[InboundEvent], now: datetime) -> list[str | None]:
        tickets = []
        for event in events:
            parsed = generic.GenericEvent.model_validate(event.payload)
            normalized = generic.to_event(parsed)
            assignee = parsed.ticket.assignee
            if assignee is not None and normalized.ticket.assignee_id:
                agents.remember(
                    session,
                    provider=normalized.provider,
                    external_id=normalized.ticket.assignee_id,
                    name=assignee.name,
                    email=assignee.email,
                    now=now,
                )
            tickets.append(normalized)
        return apply_ticket_events(session, tickets, now, config)

    callback = settings.helpdesk_callback_configured

    def slack(session: Session, event: InboundEvent, now: datetime) -> str | None:
        return slack_event(session, event, now, homes, callback=callback)

    def jira(session: Session, event: InboundEvent, now: datetime) -> str | None:
        return bug_notices.process_webhook(session, event.payload, now, bug_config(settings))

    return {
        "slack": slack,
        "zendesk": Together(zendesk),
        "helpdesk": Together(helpdesk),
        "jira": jira,
    }


def slack_event(
    session: Session,
    event: InboundEvent,
    now: datetime,
    config: home.HomeConfig,
    *,
    callback: bool = False,
) -> str | None:
    """Act on one stored Slack event (`callback`: the generic helpdesk takes notes); returns
    why it was ignored, or None."""
    body = event.payload.get("event") or {}
    if event.event_type == "app_home_opened":
        if body.get("tab", "home") != "home":
            return "messages tab"
        home.request_home(session, body["user"], now, config, reason=f"open:{event.external_id}")
        return None
    if event.event_type == "message":
        return _thread_reply(session, body, now, callback)
    return f"unhandled slack event {event.event_type}"


def _thread_reply(
    session: Session, message: dict[str, object], now: datetime, callback: bool
) -> str | None:
    """A person's reply in a ticket thread is noted as their work on the ticket, and goes to
    the ticket when the channel opted in."""
    if message.get("subtype") or message.get("bot_id") or not message.get("user"):
        return "not a person's message"
    ts, thread_ts = str(message.get("ts", "")), str(message.get("thread_ts") or "")
    if not thread_ts or thread_ts == ts:
        return "not a thread reply"
    channel = str(message.get("channel", ""))
    posted_at = datetime.fromtimestamp(float(ts), UTC)
    ticket = threads.thread_ticket(session, channel, thread_ts)
    if ticket is None:
        return "not a ticket thread"
    # Who worked on which ticket, for the hand-off at the end of their shift.
    threads.touch(session, ticket, str(message["user"]), "reply", ts, posted_at)
    if not notes.syncs(session, channel, posted_at):
        return "reply sync is off in this channel"
    try:
        notes.request_note(
            session,
            ticket=ticket,
            channel=channel,
            message_ts=ts,
            text=str(message.get("text") or ""),
            user_id=str(message["user"]),
            now=now,
            callback=callback,
        )
    except UserError as err:
        return err.message
    return None


def reactions(settings: Settings) -> Mapping[str, Reactions]:
    """What the core does when each kind of pending call succeeds or fails."""
    config = ticket_config(settings)

    def names(
        session: Session, call: PendingCall, result: dict[str, Any], now: datetime
    ) -> FollowUp:
        return ticket_names.names_found(session, intake.ZENDESK, result["names"], now, config)

    def no_names(
        session: Session, call: PendingCall, error: str, gave_up: bool, now: datetime
    ) -> FollowUp:
        if gave_up:
            fallback = {
                "kind": call.payload["kind"],
                "id": call.payload["id"],
                "name": f"#{call.payload['id']}",
            }
            return ticket_names.names_found(session, intake.ZENDESK, [fallback], now, config)
        return ticket_names.release_for(
            intake.ZENDESK, call.payload["kind"], call.payload["id"], config
        )

    return {
        notes.NOTE: notes.REACTIONS,
        ticket_names.LOOKUP: Reactions(on_success=names, on_failure=no_names),
        agents.LOOKUP: Reactions(on_success=agents.looked_up, on_failure=agents.lookup_failed),
        **bug_calls.reactions(bug_config(settings)),
        customers.PUBLIC_REPLY: Reactions(on_success=customers.sent, on_failure=customers.failed),
    }
