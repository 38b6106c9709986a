"""What the Jira simulator stores: status categories, fields, statuses, projects and issues.

Stored values are ids into the catalog (`integrations.simulators.jira.catalog`); the REST JSON
is drawn from them by `integrations.simulators.jira.render`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# Status categories as Jira Cloud ships them: id, default (English) name, colour.
CATEGORIES: dict[str, tuple[int, str, str]] = {
    "undefined": (1, "No Category", "medium-gray"),
    "new": (2, "To Do", "blue-gray"),
    "indeterminate": (4, "In Progress", "yellow"),
    "done": (3, "Done", "green"),
}

# Field id -> (display name, JQL clause names, navigable). `/field` serves these; the jira
# library maps clause names to ids when a search asks for fields (e.g. "key" -> "issuekey").
FIELDS: dict[str, tuple[str, list[str], bool]] = {
    "issuekey": ("Key", ["id", "issue", "issuekey", "key"], False),
    "summary": ("Summary", ["summary"], True),
    "description": ("Description", ["description"], True),
    "status": ("Status", ["status"], True),
    "statusCategory": ("Status Category", ["statusCategory"], False),
    "statuscategorychangedate": ("Status Category Changed", ["statusCategoryChangedDate"], True),
    "resolution": ("Resolution", ["resolution"], True),
    "resolutiondate": ("Resolved", ["resolutiondate", "resolved"], True),
    "fixVersions": ("Fix versions", ["fixVersion"], True),
    "components": ("Components", ["component"], True),
    "labels": ("Labels", ["labels"], True),
    "priority": ("Priority", ["priority"], True),
    "issuetype": ("Issue Type", ["issuetype", "type"], True),
    "project": ("Project", ["project"], True),
    "created": ("Created", ["created", "createdDate"], True),
    "updated": ("Updated", ["updated", "updatedDate"], True),
    "reporter": ("Reporter", ["reporter"], True),
    "assignee": ("Assignee", ["assignee"], True),
    "comment": ("Comment", ["comment"], False),
}


def jira_time(ts: float) -> str:
    """A Unix time as Jira writes it: `2024-05-01T12:34:56.789+0000`."""
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def account_id(name: str) -> str:
    """A stable Atlassian-style account id for a display name."""
    return "5b10" + hashlib.sha256(name.encode()).hexdigest()[:20]


@dataclass
class Status:
    """A workflow status and the category it belongs to."""

    id: str
    name: str
    category: str


@dataclass
class Project:
    """A project with its components, versions and create-screen requirements."""

    id: str
    key: str
    name: str
    components: dict[str, str] = field(default_factory=dict)  # id -> name
    versions: dict[str, str] = field(default_factory=dict)  # id -> name
    required_fields: set[str] = field(default_factory=set)
    issue_types: list[str] = field(default_factory=list)  # issue type ids
    next_number: int = 1


@dataclass
class Issue:
    """One issue's stored state (values are ids into the catalog)."""

    id: int
    key: str
    project: str
    issuetype: str
    summary: str
    created: float
    status: str
    description: str | None = None
    priority: str | None = None
    resolution: str | None = None
    resolutiondate: float | None = None
    components: list[str] = field(default_factory=list)
    fix_versions: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    reporter: dict[str, Any] | None = None
    assignee: dict[str, Any] | None = None
    custom: dict[str, Any] = field(default_factory=dict)
    comments: list[dict[str, Any]] = field(default_factory=list)
    remote_links: list[dict[str, Any]] = field(default_factory=list)
    histories: list[dict[str, Any]] = field(default_factory=list)
    updated: float = 0.0
    status_changed: float = 0.0
