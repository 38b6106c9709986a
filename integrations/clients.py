"""The outside-world clients one process uses, built once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient


@dataclass
class Clients:
    """Slack always; Zendesk and Jira when configured."""

    slack: WebClient
    zendesk: Any = None
    jira: Any = None
    jira_search: Any = None  # Jira with timeouts short enough for Slack's options requests
    extra: dict[str, Any] = field(default_factory=dict)
