"""Issue lifecycle of the Jira simulator: create, edit, move, comment, and test-side helpers.

Every change is stamped into the issue's changelog and turned into a `jira:issue_updated`
webhook shaped as Jira Cloud sends it: `timestamp` (ms), `webhookEvent`,
`issue_event_type_name` (`issue_generic` for transitions, `issue_updated` for edits,
`issue_commented` for comments), `user`, `issue`, and `changelog {id, items[]}` whose items carry
`field`, `fieldtype`, `fieldId`, `from`, `fromString`, `to`, `toString`. Moving into a `done`
status sets `resolution` and `resolutiondate`; moving out clears them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from integrations.simulators.jira.catalog import JiraCatalog
from integrations.simulators.jira.fields import (
    CREATABLE,
    EDITABLE,
    FieldErrors,
    resolve_context,
    resolve_values,
)
from integrations.simulators.jira.model import Issue, Project, Status, jira_time
from integrations.simulators.jira.webhooks import WebhookDelivery

Event = tuple[str, dict[str, Any]]
Actor = str | dict[str, Any]
HUMAN = "Jira Admin"


def change_item(
    field: str,
    field_id: str,
    old: str | None,
    old_text: str | None,
    new: str | None,
    new_text: str | None,
) -> dict[str, Any]:
    """One changelog item."""
    return {
        "field": field,
        "fieldtype": "jira",
        "fieldId": field_id,
        "from": old,
        "fromString": old_text,
        "to": new,
        "toString": new_text,
    }


def _simple(fields: dict[str, Any]) -> dict[str, Any]:
    """Accept shorthands: `priority="High"`, `components=["Backend"]`, `fixVersions=["1.0"]`."""
    out = dict(fields)
    if isinstance(out.get("priority"), str):
        out["priority"] = {"name": out["priority"]}
    for name in ("components", "fixVersions"):
        if isinstance(out.get(name), list):
            out[name] = [{"name": v} if isinstance(v, str) else v for v in out[name]]
    return out


class JiraIssues:
    """Issue mutations shared by REST handlers and test helpers (mixed into JiraSimulator)."""

    catalog: JiraCatalog
    clock: Callable[[], float]
    lock: Any
    _next_comment: int
    _next_history: int
    api_user: Callable[[], dict[str, Any]]
    _emit: Callable[..., WebhookDelivery | None]

    # ---- core (call with the lock held) -------------------------------------------------------
    def new_issue(self, project: Project, type_id: str, values: dict[str, Any]) -> Issue:
        """Store a validated new issue in the project's first To Do status."""
        now = self.clock()
        issue = Issue(
            id=int(self.catalog.new_id("issue")),
            key=f"{project.key}-{project.next_number}",
            project=project.key,
            issuetype=type_id,
            summary=values.get("summary", ""),
            created=now,
            updated=now,
            status_changed=now,
            status=self.catalog.first_status("new").id,
            priority=self.catalog.default_priority,
            reporter=self.api_user(),
        )
        project.next_number += 1
        for attr, value in values.items():
            setattr(issue, attr, value)
        self.catalog.issues[issue.key] = issue
        return issue

    def apply_values(self, issue: Issue, values: dict[str, Any]) -> list[dict[str, Any]]:
        """Apply validated edits; return their changelog items."""
        cat = self.catalog
        project = cat.projects[issue.project]
        items: list[dict[str, Any]] = []
        for attr, new in values.items():
            old = getattr(issue, attr)
            if old == new or attr == "reporter":
                setattr(issue, attr, new)
                continue
            if attr in ("summary", "description"):
                items.append(change_item(attr, attr, None, old, None, new))
            elif attr == "priority":
                items.append(
                    change_item(
                        attr, attr, old, cat.priorities.get(old or ""), new, cat.priorities[new]
                    )
                )
            elif attr == "labels":
                items.append(
                    change_item(
                        "labels", "labels", None, " ".join(old) or None, None, " ".join(new) or None
                    )
                )
            elif attr in ("components", "fix_versions"):
                table = project.components if attr == "components" else project.versions
                field, field_id = (
                    ("Component", "components")
                    if attr == "components"
                    else ("Fix Version", "fixVersions")
                )
                items += [
                    change_item(field, field_id, v, table[v], None, None)
                    for v in old
                    if v not in new
                ]
                items += [
                    change_item(field, field_id, None, None, v, table[v])
                    for v in new
                    if v not in old
                ]
            elif attr == "assignee":
                items.append(
                    change_item(
                        "assignee", "assignee",
                        (old or {}).get("accountId"), (old or {}).get("displayName"),
                        (new or {}).get("accountId"), (new or {}).get("displayName"),
                    )
                )  # fmt: skip
            elif attr == "custom":
                for field_id, value in new.items():
                    item = change_item(
                        cat.field_name(field_id), field_id, None, None, None, str(value)
                    )
                    items.append({**item, "fieldtype": "custom"})
                new = {**issue.custom, **new}
            setattr(issue, attr, new)
        return items

    def store_comment(self, issue: Issue, text: str, author: dict[str, Any]) -> dict[str, Any]:
        """Append a comment to an issue."""
        comment = {
            "id": str(self._next_comment),
            "author": author,
            "body": text,
            "created": self.clock(),
        }
        self._next_comment += 1
        issue.comments.append(comment)
        return comment

    def _move(
        self, issue: Issue, target: Status, resolution: str | None, fix_versions: Iterable[str] = ()
    ) -> list[dict[str, Any]]:
        """Move an issue to a status; set or clear resolution by the target's category."""
        cat = self.catalog
        now = self.clock()
        items: list[dict[str, Any]] = []
        current = cat.statuses[issue.status]
        if target.id != current.id:
            items.append(
                change_item("status", "status", current.id, current.name, target.id, target.name)
            )
            if target.category != current.category:
                issue.status_changed = now
            issue.status = target.id
        wanted = resolution if target.category == "done" else None
        if wanted != issue.resolution:
            items.append(
                change_item(
                    "resolution", "resolution",
                    issue.resolution, cat.resolutions.get(issue.resolution or ""),
                    wanted, cat.resolutions.get(wanted or ""),
                )
            )  # fmt: skip
            issue.resolution = wanted
            issue.resolutiondate = now if wanted else None
        versions = cat.projects[issue.project].versions
        for vid in fix_versions:
            if vid not in issue.fix_versions:
                issue.fix_versions.append(vid)
                items.append(
                    change_item("Fix Version", "fixVersions", None, None, vid, versions[vid])
                )
        return items

    def _record(
        self,
        issue: Issue,
        actor: dict[str, Any],
        items: list[dict[str, Any]],
        event_type: str,
        comment: dict[str, Any] | None = None,
    ) -> Event:
        """Stamp `updated` and the changelog; return the webhook to send once the lock is free."""
        now = self.clock()
        history_id = str(self._next_history)
        self._next_history += 1
        issue.updated = now
        if items:
            issue.histories.append(
                {"id": history_id, "author": actor, "created": jira_time(now), "items": items}
            )
        payload: dict[str, Any] = {
            "timestamp": int(now * 1000),
            "webhookEvent": "jira:issue_updated",
            "issue_event_type_name": event_type,
            "user": actor,
            "issue": self.catalog.issue_json(issue, lambda f: f != "comment"),
        }
        if items:
            payload["changelog"] = {"id": history_id, "items": items}
        if comment is not None:
            payload["comment"] = comment
        return ("jira:issue_updated", payload)

    def _actor(self, actor: Actor) -> dict[str, Any]:
        return actor if isinstance(actor, dict) else self.catalog.user_json(actor)

    def _must(self, key: str) -> Issue:
        issue = self.catalog.issue(key)
        if issue is None:
            raise KeyError(f"no issue {key}")
        return issue

    # ---- test-side helpers ------------------------------------------------------------------
    def create_issue(
        self,
        project: str = "SUP",
        summary: str = "Something is broken",
        *,
        issuetype: str = "Bug",
        **fields: Any,
    ) -> str:
        """Seed an issue directly (no webhook); fields as in REST or shorthand. Returns the key."""
        with self.lock:
            raw = {
                "project": {"key": project},
                "issuetype": {"name": issuetype},
                "summary": summary,
            }
            raw.update(_simple(fields))
            try:
                proj, type_id = resolve_context(self.catalog, raw)
                values = resolve_values(
                    self.catalog, proj, raw, allowed=CREATABLE, required={"summary"}
                )
            except FieldErrors as err:
                raise ValueError(err.errors) from err
            return self.new_issue(proj, type_id, values).key

    def delete_issue(self, key: str) -> None:
        """Remove an issue (later GETs answer 404; JQL naming it fails)."""
        with self.lock:
            del self.catalog.issues[self._must(key).key]

    def issue(self, key: str) -> dict[str, Any]:
        """An issue's full REST JSON."""
        with self.lock:
            return self.catalog.issue_json(self._must(key))

    def comments(self, key: str) -> list[dict[str, Any]]:
        """The comments on an issue, oldest first (REST JSON)."""
        with self.lock:
            issue = self._must(key)
            return [self.catalog.comment_json(issue, c) for c in issue.comments]

    def remote_links(self, key: str) -> list[dict[str, Any]]:
        """The remote links on an issue (REST JSON)."""
        with self.lock:
            issue = self._must(key)
            return [self.catalog.remote_link_json(issue, link) for link in issue.remote_links]

    def transition(
        self,
        key: str,
        to_status: str,
        *,
        resolution: str | None = "Fixed",
        fix_versions: Iterable[str] = (),
        actor: Actor = HUMAN,
        deliver: str | None = None,
    ) -> WebhookDelivery | None:
        """Move an issue as a person in Jira would, and send the `jira:issue_updated` webhook.

        `resolution` applies when the target is in the `done` category (None leaves it empty);
        `fix_versions` are version names, created on the project when missing.
        """
        with self.lock:
            issue = self._must(key)
            target = self.catalog.status_by_name(to_status)
            if target is None:
                raise KeyError(f"no status {to_status}")
            res_id = (
                self.catalog.by_name(self.catalog.resolutions, resolution) if resolution else None
            )
            if resolution and res_id is None:
                raise KeyError(f"no resolution {resolution}")
            project = self.catalog.projects[issue.project]
            version_ids = []
            for name in fix_versions:
                vid = self.catalog.by_name(project.versions, name)
                if vid is None:
                    vid = self.catalog.new_id("version")
                    project.versions[vid] = name
                version_ids.append(vid)
            who = self._actor(actor)
            event = self._record(
                issue, who, self._move(issue, target, res_id, version_ids), "issue_generic"
            )
        return self._emit([event], deliver)

    def close(
        self,
        key: str,
        *,
        resolution: str | None = "Fixed",
        fix_version: str | None = None,
        status: str | None = None,
        actor: Actor = HUMAN,
        deliver: str | None = None,
    ) -> WebhookDelivery | None:
        """Move an issue to `status` (default: the first `done` status, "Done")."""
        target = status or self.catalog.first_status("done").name
        versions = (fix_version,) if fix_version else ()
        return self.transition(
            key, target, resolution=resolution, fix_versions=versions, actor=actor, deliver=deliver
        )

    def reopen(
        self,
        key: str,
        *,
        status: str | None = None,
        actor: Actor = HUMAN,
        deliver: str | None = None,
    ) -> WebhookDelivery | None:
        """Move an issue back to `status` (default: the first `new` status, "To Do")."""
        target = status or self.catalog.first_status("new").name
        return self.transition(key, target, resolution=None, actor=actor, deliver=deliver)

    def add_comment(
        self, key: str, body: str, *, actor: Actor = HUMAN, deliver: str | None = None
    ) -> WebhookDelivery | None:
        """A person comments in Jira (webhook `issue_commented`)."""
        with self.lock:
            issue = self._must(key)
            who = self._actor(actor)
            comment = self.catalog.comment_json(issue, self.store_comment(issue, body, who))
            event = self._record(issue, who, [], "issue_commented", comment=comment)
        return self._emit([event], deliver)

    def edit(
        self, key: str, *, actor: Actor = HUMAN, deliver: str | None = None, **fields: Any
    ) -> WebhookDelivery | None:
        """A person edits fields in Jira (webhook `issue_updated` with changelog)."""
        with self.lock:
            issue = self._must(key)
            try:
                values = resolve_values(
                    self.catalog,
                    self.catalog.projects[issue.project],
                    _simple(fields),
                    allowed=EDITABLE,
                )
            except FieldErrors as err:
                raise ValueError(err.errors) from err
            items = self.apply_values(issue, values)
            events = (
                [self._record(issue, self._actor(actor), items, "issue_updated")] if items else []
            )
        return self._emit(events, deliver)
