"""The Jira simulator's catalog: projects, statuses, priorities, issue types, resolutions, issues.

Lookups go by id, key or case-insensitive name, as Jira resolves references in requests; the
catalog renders itself as REST v2 JSON through `CatalogJson`.
"""

from __future__ import annotations

from collections.abc import Callable

from integrations.simulators.jira.model import CATEGORIES, Issue, Project, Status
from integrations.simulators.jira.render import CatalogJson


class JiraCatalog(CatalogJson):
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
