"""In-memory Jira Cloud catalog and issues, rendered as REST v2 JSON, for the Jira simulator.

Shapes follow the Jira Cloud platform REST API v2 (developer.atlassian.com/cloud/jira/platform/
rest/v2/): ids are strings except `statusCategory.id` and remote-link ids (integers), times are
`yyyy-MM-dd'T'HH:mm:ss.SSS+0000`, and a status carries its category, whose `key`
(`new` / `indeterminate` / `done`) is the stable thing to compare — names are localized.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
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


class JiraCatalog:
    """Projects, statuses, priorities, issue types, resolutions and the issues themselves."""

    def __init__(self, url: Callable[[], str]) -> None:
        self._url = url
        self.category_names = {key: value[1] for key, value in CATEGORIES.items()}
        self.statuses: dict[str, Status] = {}
        for sid, name, cat in (
            ("10000", "To Do", "new"),
            ("3", "In Progress", "indeterminate"),
            ("10001", "Done", "done"),
            ("6", "Closed", "done"),
        ):
            self.statuses[sid] = Status(sid, name, cat)
        self.priorities = {
            "1": "Highest",
            "2": "High",
            "3": "Medium",
            "4": "Low",
            "5": "Lowest",
        }
        self.default_priority = "3"
        self.issue_types = {"10001": "Task", "10002": "Bug", "10003": "Story"}
        self.resolutions = {
            "1": "Fixed",
            "10000": "Done",
            "10001": "Won't Do",
            "10002": "Duplicate",
            "10003": "Cannot Reproduce",
        }
        self.custom_fields: dict[str, str] = {}  # id -> name
        self.user_names: dict[str, str] = {}  # accountId -> display name
        self.projects: dict[str, Project] = {}
        self.issues: dict[str, Issue] = {}  # key -> issue
        self._next_id = {"project": 10000, "component": 10000, "version": 10000, "issue": 10000}

    # ---- ids and lookups -------------------------------------------------------------------
    def new_id(self, kind: str) -> str:
        """The next numeric id for a kind of object, as a string."""
        value = self._next_id[kind]
        self._next_id[kind] = value + 1
        return str(value)

    def project(self, ref: str) -> Project | None:
        """A project by key (case-insensitive), id or name."""
        for project in self.projects.values():
            if ref.upper() == project.key or ref == project.id:
                return project
        return next((p for p in self.projects.values() if p.name.lower() == ref.lower()), None)

    def issue(self, ref: str) -> Issue | None:
        """An issue by key (case-insensitive) or numeric id."""
        found = self.issues.get(ref.upper())
        if found is None and ref.isdigit():
            found = next((i for i in self.issues.values() if i.id == int(ref)), None)
        return found

    def status_by_name(self, ref: str) -> Status | None:
        """A status by id or (case-insensitive) current name."""
        if ref in self.statuses:
            return self.statuses[ref]
        return next((s for s in self.statuses.values() if s.name.lower() == ref.lower()), None)

    def first_status(self, category: str) -> Status:
        """The first status of a category (To Do for `new`, Done for `done`)."""
        return next(s for s in self.statuses.values() if s.category == category)

    @staticmethod
    def by_name(table: dict[str, str], ref: str) -> str | None:
        """The id in an id -> name table for an id or a case-insensitive name."""
        if ref in table:
            return ref
        return next((k for k, v in table.items() if v.lower() == ref.lower()), None)

    def field_name(self, field_id: str) -> str:
        """A field's display name."""
        if field_id in FIELDS:
            return FIELDS[field_id][0]
        return self.custom_fields.get(field_id, field_id)

    # ---- JSON renderers ----------------------------------------------------------------------
    def _api(self, path: str) -> str:
        return f"{self._url()}/rest/api/2/{path}"

    def user_json(self, name: str, email: str | None = None) -> dict[str, Any]:
        """A Cloud user as Jira embeds it in issues, comments and webhooks."""
        aid = account_id(name)
        self.user_names[aid] = name
        user: dict[str, Any] = {
            "self": self._api(f"user?accountId={aid}"),
            "accountId": aid,
            "avatarUrls": {size: f"{self._url()}/avatar/{aid}?s={size}" for size in _SIZES},
            "displayName": name,
            "active": True,
            "timeZone": "UTC",
            "accountType": "atlassian",
        }
        if email:
            user["emailAddress"] = email
        return user

    def category_json(self, key: str) -> dict[str, Any]:
        """A status category (`statusCategory`)."""
        cid, _, colour = CATEGORIES[key]
        return {
            "self": self._api(f"statuscategory/{cid}"),
            "id": cid,
            "key": key,
            "colorName": colour,
            "name": self.category_names[key],
        }

    def status_json(self, status: Status) -> dict[str, Any]:
        """A status with its category."""
        return {
            "self": self._api(f"status/{status.id}"),
            "description": "",
            "iconUrl": f"{self._url()}/images/icons/statuses/generic.png",
            "name": status.name,
            "id": status.id,
            "statusCategory": self.category_json(status.category),
        }

    def named_json(self, kind: str, ident: str, name: str) -> dict[str, Any]:
        """A priority, resolution or issue type."""
        body: dict[str, Any] = {"self": self._api(f"{kind}/{ident}"), "id": ident, "name": name}
        if kind == "priority":
            body["iconUrl"] = f"{self._url()}/images/icons/priorities/{name.lower()}.svg"
        elif kind == "resolution":
            body["description"] = ""
        elif kind == "issuetype":
            body.update(
                description="",
                iconUrl=f"{self._url()}/images/icons/issuetypes/{name.lower()}.svg",
                subtask=False,
                hierarchyLevel=0,
            )
        return body

    def component_json(self, project: Project, cid: str) -> dict[str, Any]:
        """A project component."""
        return {
            "self": self._api(f"component/{cid}"),
            "id": cid,
            "name": project.components[cid],
            "description": "",
            "isAssigneeTypeValid": False,
            "project": project.key,
            "projectId": int(project.id),
        }

    def issue_component_json(self, project: Project, cid: str) -> dict[str, Any]:
        """A component in an issue's `fields.components`: Jira's short ComponentJsonBean."""
        # https://mrrefactoring.github.io/jira.js/interfaces/Version3Models.Component.html
        name = project.components[cid]
        return {"self": self._api(f"component/{cid}"), "id": cid, "name": name, "description": ""}

    def version_json(self, project: Project, vid: str) -> dict[str, Any]:
        """A project version (`fixVersions` entry)."""
        return {
            "self": self._api(f"version/{vid}"),
            "id": vid,
            "name": project.versions[vid],
            "description": "",
            "archived": False,
            "released": False,
            "projectId": int(project.id),
        }

    def project_json(self, project: Project, *, full: bool = False) -> dict[str, Any]:
        """A project; `full` adds what `GET /project/{key}` returns (issue types, components)."""
        body: dict[str, Any] = {
            "self": self._api(f"project/{project.id}"),
            "id": project.id,
            "key": project.key,
            "name": project.name,
            "projectTypeKey": "software",
            "simplified": False,
            "avatarUrls": {size: f"{self._url()}/avatar/p{project.id}?s={size}" for size in _SIZES},
        }
        if full:
            body["description"] = ""
            body["issueTypes"] = [
                self.named_json("issuetype", t, self.issue_types[t]) for t in project.issue_types
            ]
            body["components"] = [self.component_json(project, c) for c in project.components]
            body["versions"] = [self.version_json(project, v) for v in project.versions]
        return body

    def comment_json(self, issue: Issue, comment: dict[str, Any]) -> dict[str, Any]:
        """A comment as `GET /issue/{key}/comment` lists it."""
        return {
            "self": self._api(f"issue/{issue.id}/comment/{comment['id']}"),
            "id": comment["id"],
            "author": comment["author"],
            "body": comment["body"],
            "updateAuthor": comment["author"],
            "created": jira_time(comment["created"]),
            "updated": jira_time(comment["created"]),
            "jsdPublic": True,
        }

    def remote_link_json(self, issue: Issue, link: dict[str, Any]) -> dict[str, Any]:
        """A remote link as `GET /issue/{key}/remotelink` lists it."""
        body = {"id": link["id"], "self": self._api(f"issue/{issue.key}/remotelink/{link['id']}")}
        body.update({k: v for k, v in link.items() if k != "id" and v is not None})
        return body

    def field_values(self, issue: Issue) -> dict[str, Any]:
        """Every field of an issue, rendered."""
        project = self.projects[issue.project]
        status = self.statuses[issue.status]
        values: dict[str, Any] = {
            "summary": issue.summary,
            "description": issue.description,
            "status": self.status_json(status),
            "statuscategorychangedate": jira_time(issue.status_changed),
            "resolution": None,
            "resolutiondate": None,
            "fixVersions": [self.version_json(project, v) for v in issue.fix_versions],
            "components": [self.issue_component_json(project, c) for c in issue.components],
            "labels": list(issue.labels),
            "priority": None,
            "issuetype": self.named_json(
                "issuetype", issue.issuetype, self.issue_types[issue.issuetype]
            ),
            "project": self.project_json(project),
            "created": jira_time(issue.created),
            "updated": jira_time(issue.updated),
            "reporter": issue.reporter,
            "assignee": issue.assignee,
            "comment": {
                "comments": [self.comment_json(issue, c) for c in issue.comments],
                "self": self._api(f"issue/{issue.id}/comment"),
                "maxResults": len(issue.comments),
                "total": len(issue.comments),
                "startAt": 0,
            },
        }
        if issue.resolution is not None:
            name = self.resolutions[issue.resolution]
            values["resolution"] = self.named_json("resolution", issue.resolution, name)
            values["resolutiondate"] = jira_time(issue.resolutiondate or issue.updated)
        if issue.priority is not None:
            name = self.priorities[issue.priority]
            values["priority"] = self.named_json("priority", issue.priority, name)
        values.update(issue.custom)
        return values

    def issue_json(
        self, issue: Issue, wanted: Callable[[str], bool] | None = None, expand: str = ""
    ) -> dict[str, Any]:
        """An issue; `wanted(field_id)` picks fields (all when None)."""
        values = self.field_values(issue)
        fields = {k: v for k, v in values.items() if wanted is None or wanted(k)}
        body: dict[str, Any] = {
            "expand": "renderedFields,names,schema,operations,editmeta,changelog,"
            "versionedRepresentations",
            "id": str(issue.id),
            "self": self._api(f"issue/{issue.id}"),
            "key": issue.key,
            "fields": fields,
        }
        if "names" in expand:
            body["names"] = {k: self.field_name(k) for k in fields}
        if "changelog" in expand:
            histories = list(reversed(issue.histories))
            body["changelog"] = {
                "startAt": 0,
                "maxResults": len(histories),
                "total": len(histories),
                "histories": histories,
            }
        return body


_SIZES = ("48x48", "24x24", "16x16", "32x32")
