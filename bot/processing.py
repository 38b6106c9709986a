"""Which core function processes each stored event, and reacts to each finished call."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot import (
    helpdesk,
    helpdesk_generic,
    home,
    notes,
    slack_events,
    threads,
    ticket_names,
    tickets,
)
from bot.bug_calls import reactions as bug_reactions
from bot.bug_notices import process_webhook
from bot.bugs import BugConfig
from bot.inbox import Processor
from bot.models import InboundEvent, PendingCall
from bot.pending_calls import Reactions
from bot.settings import Settings


def ticket_config(settings: Settings) -> threads.TicketConfig:
    """The ticket rules' view of the settings."""
    return threads.TicketConfig(
        default_channel=settings.support_channel,
        show_contact=settings.show_requester_contact,
        lookups=settings.zendesk_configured,
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
    return BugConfig(project_key=settings.jira_project_key, notes=settings.zendesk_configured)


def processors(settings: Settings) -> Mapping[str, Processor]:
    """The processor for each inbound source."""
    config = ticket_config(settings)
    homes = home_config(settings)

    def zendesk(session: Session, event: InboundEvent, now: datetime) -> str | None:
        if event.event_type == "export":
            normalized = helpdesk.from_zendesk_api(
                event.payload["ticket"], event.payload.get("comments", []), settings.zendesk_url
            )
        elif helpdesk.zendesk_is_ticket_event(event.payload):
            normalized = helpdesk.from_zendesk_webhook(event.payload, settings.zendesk_url)
        else:
            return f"not a ticket event: {event.event_type}"
        return tickets.apply(session, normalized, now, config)

    def generic(session: Session, event: InboundEvent, now: datetime) -> str | None:
        parsed = helpdesk_generic.GenericEvent.model_validate(event.payload)
        return tickets.apply(session, helpdesk_generic.to_event(parsed), now, config)

    def slack(session: Session, event: InboundEvent, now: datetime) -> str | None:
        return slack_events.process(session, event, now, homes)

    def jira(session: Session, event: InboundEvent, now: datetime) -> str | None:
        return process_webhook(session, event.payload, now, bug_config(settings))

    return {"slack": slack, "zendesk": zendesk, "helpdesk": generic, "jira": jira}


def reactions(settings: Settings) -> Mapping[str, Reactions]:
    """What the core does when each kind of pending call succeeds or fails."""
    config = ticket_config(settings)

    def names(session: Session, call: PendingCall, result: dict[str, Any], now: datetime) -> None:
        ticket_names.names_found(session, helpdesk.ZENDESK, result["names"], now, config)

    def no_names(
        session: Session, call: PendingCall, error: str, gave_up: bool, now: datetime
    ) -> None:
        if gave_up:
            fallback = {
                "kind": call.payload["kind"],
                "id": call.payload["id"],
                "name": f"#{call.payload['id']}",
            }
            ticket_names.names_found(session, helpdesk.ZENDESK, [fallback], now, config)
        else:
            ticket_names.release_for(
                session, helpdesk.ZENDESK, call.payload["kind"], call.payload["id"], now, config
            )

    return {
        notes.NOTE: notes.REACTIONS,
        ticket_names.LOOKUP: Reactions(on_success=names, on_failure=no_names),
        **bug_reactions(bug_config(settings)),
    }
