"""A generic helpdesk's callback receiver: what a desk behind HELPDESK_CALLBACK_URL sees."""

from integrations.simulators.helpdesk.receiver import HelpdeskReceiver

__all__ = ["HelpdeskReceiver"]
