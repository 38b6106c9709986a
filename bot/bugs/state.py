"""What Jira says of an issue's status, read from webhooks, searches and call answers.

Done-ness is the status *category* key (`new` / `indeterminate` / `done`): status names are
localised ("Fertig", "Готово") and many map to one category, so they are only shown, never
compared (https://developer.atlassian.com/cloud/jira/platform/rest/v2/api-group-workflow-status-categories/).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

DONE = "done"
_KEY = re.compile(r"[A-Z][A-Z0-9_]*-\d+")
# The longest values the bug columns keep.
KEY_MAX, CATEGORY_MAX, NAME_MAX, SUMMARY_MAX = 64, 32, 255, 1000


@dataclass(frozen=True)
class BugState:
    """One observation of a Jira issue's status, from a webhook, a poll or a call's answer."""

    key: str
    category: str
    status: str | None = None
    resolution: str | None = None
    fix_versions: list[str] = field(default_factory=list)
    summary: str | None = None
    category_changed_at: datetime | None = None
    updated_at: datetime | None = None
    url: str | None = None
    components: list[str] | None = None
    created_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe form (stored with inbound events and call results)."""
        return {
            "key": self.key,
            "category": self.category,
            "status": self.status,
            "resolution": self.resolution,
            "fix_versions": list(self.fix_versions),
            "summary": self.summary,
            "category_changed_at": _iso(self.category_changed_at),
            "updated_at": _iso(self.updated_at),
            "url": self.url,
            "components": None if self.components is None else list(self.components),
            "created_at": _iso(self.created_at),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BugState:
        """The inverse of `to_json`."""
        return cls(
            key=str(data["key"]),
            category=str(data["category"]),
            status=data.get("status"),
            resolution=data.get("resolution"),
            fix_versions=list(data.get("fix_versions") or []),
            summary=data.get("summary"),
            category_changed_at=_parse_iso(data.get("category_changed_at")),
            updated_at=_parse_iso(data.get("updated_at")),
            url=data.get("url"),
            components=data.get("components"),
            created_at=_parse_iso(data.get("created_at")),
        )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse_iso(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def jira_time(value: Any) -> datetime | None:
    """Jira's `2024-05-01T12:34:56.789+0000` (or ISO 8601 with a colon) as an aware datetime."""
    if not isinstance(value, str) or not value:
        return None
    text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", value.replace("Z", "+00:00"))
    try:
        parsed = datetime.fromisoformat(text)
        return parsed.astimezone(UTC) if parsed.tzinfo else None
    except (ValueError, OverflowError):
        return None


def state_of_issue(issue: dict[str, Any], url: str | None = None) -> BugState:
    """A BugState from an issue's REST JSON; ValueError when it has no key or status category.

    Done-ness is `fields.status.statusCategory.key`: status names are localised.
    """
    fields = issue.get("fields") if isinstance(issue, dict) else None
    key = issue.get("key") if isinstance(issue, dict) else None
    if not isinstance(key, str) or not isinstance(fields, dict):
        raise ValueError("issue has no key or fields")
    if len(key) > KEY_MAX or not _KEY.fullmatch(key.upper()):
        raise ValueError("issue.key is not an issue key")
    status = _dict(fields.get("status"))
    category = _dict(status.get("statusCategory")).get("key")
    if not isinstance(category, str) or not category or len(category) > CATEGORY_MAX:
        raise ValueError("issue.fields.status.statusCategory.key is missing")
    versions = fields.get("fixVersions")
    components = fields.get("components")
    return BugState(
        key=key.upper(),
        category=category,
        status=_name(status),
        resolution=_name(fields.get("resolution")),
        fix_versions=[n for v in versions if (n := _name(v))] if isinstance(versions, list) else [],
        summary=fields["summary"][:SUMMARY_MAX] if isinstance(fields.get("summary"), str) else None,
        category_changed_at=jira_time(fields.get("statuscategorychangedate")),
        updated_at=jira_time(fields.get("updated")),
        url=url,
        # Absent when the request did not ask for the field: None keeps what is known.
        components=[n for c in components if (n := _name(c))]
        if isinstance(components, list)
        else None,
        created_at=jira_time(fields.get("created")),
    )


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _name(value: Any) -> str | None:
    """The `name` of a Jira object (status, resolution, version, component), cut to fit."""
    name = _dict(value).get("name")
    return name[:NAME_MAX] if isinstance(name, str) and name else None


def state_of_webhook(payload: Any) -> BugState:
    """The issue state a `jira:issue_updated` webhook reports; ValueError when malformed."""
    if not isinstance(payload, dict) or not isinstance(payload.get("issue"), dict):
        raise ValueError("webhook has no issue")
    state = state_of_issue(payload["issue"])
    stamp = payload.get("timestamp")
    if state.updated_at is None and isinstance(stamp, int | float) and not isinstance(stamp, bool):
        try:
            return replace(state, updated_at=datetime.fromtimestamp(stamp / 1000, UTC))
        except (ValueError, OverflowError, OSError):
            return state
    return state
