"""REST v2 issue handlers of the Jira simulator: issues, comments, remote links, transitions.

Status codes as Jira Cloud documents them: create issue 201 `{id, key, self}`; edit and
transition 204 with no body; add comment 201 with the comment; remote link 201 `{id, self}`
(200 when an existing `globalId` is updated); unknown issue 404 "Issue does not exist or you
do not have permission to see it."; an unavailable transition 400 "Transition id 'N' is not
valid for this issue.".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from integrations.simulators.base import SimError, SimRequest, SimResponse
from integrations.simulators.jira.field_selection import field_selector
from integrations.simulators.jira.fields import (
    CREATABLE,
    EDITABLE,
    FieldErrors,
    apply_labels_update,
    resolve_context,
    resolve_values,
)
from integrations.simulators.jira.model import Issue, JiraCatalog, Status
from integrations.simulators.jira.search import error, int_param

NO_ISSUE = "Issue does not exist or you do not have permission to see it."
NOT_ON_SCREEN = "Field '{}' cannot be set. It is not on the appropriate screen, or unknown."
Event = tuple[str, dict[str, Any]]


def _body(request: SimRequest) -> dict[str, Any]:
    if not isinstance(request.json, dict):
        raise SimError(error(400, ["No content to map to Object due to end of input"]))
    return request.json


def _invalid(err: FieldErrors) -> SimResponse:
    return error(400, err.messages, err.errors)


class JiraRest:
    """Route handlers, mixed into JiraSimulator (which provides state and the change helpers)."""

    catalog: JiraCatalog
    clock: Callable[[], float]
    lock: Any
    history: list[int]
    api_user: Callable[[], dict[str, Any]]
    _record: Callable[..., Event]
    _move: Callable[..., list[dict[str, Any]]]
    _emit: Callable[..., Any]
    _next_link: int
    new_issue: Callable[..., Issue]
    apply_values: Callable[..., list[dict[str, Any]]]
    store_comment: Callable[..., dict[str, Any]]

    # ---- helpers ---------------------------------------------------------------------------
    def _issue(self, request: SimRequest) -> Issue:
        issue = self.catalog.issue(request.path_args["key"])
        if issue is None:
            raise SimError(error(404, [NO_ISSUE]))
        return issue

    def _seen(self, issue: Issue) -> None:
        if issue.id in self.history:
            self.history.remove(issue.id)
        self.history.insert(0, issue.id)

    def transition_list(self, issue: Issue) -> list[tuple[str, Status]]:
        """Global transitions (one per status, named after it) except to the current status."""
        return [
            (str(11 + 10 * n), status)
            for n, status in enumerate(self.catalog.statuses.values())
            if status.id != issue.status
        ]

    # ---- issues ------------------------------------------------------------------------------
    def _issue_create(self, request: SimRequest) -> SimResponse:
        body = _body(request)
        fields = body.get("fields")
        if not isinstance(fields, dict):
            return error(400, ["Issue must have a 'fields' object."])
        with self.lock:
            try:
                project, type_id = resolve_context(self.catalog, fields)
                required = {"summary"} | project.required_fields
                values = resolve_values(
                    self.catalog, project, fields, allowed=CREATABLE, required=required
                )
            except FieldErrors as err:
                return _invalid(err)
            issue = self.new_issue(project, type_id, values)
            self._seen(issue)
            payload = {
                "timestamp": int(self.clock() * 1000),
                "webhookEvent": "jira:issue_created",
                "issue_event_type_name": "issue_created",
                "user": self.api_user(),
                "issue": self.catalog.issue_json(issue),
            }
            answer = {
                "id": str(issue.id),
                "key": issue.key,
                "self": self.catalog.issue_json(issue)["self"],
            }
        self._emit([("jira:issue_created", payload)])
        return SimResponse(201, answer)

    def _issue_get(self, request: SimRequest) -> SimResponse:
        wanted = field_selector(request.query.get("fields", []), "*all")
        expand = request.params.get("expand", "")
        with self.lock:
            issue = self._issue(request)
            self._seen(issue)
            return SimResponse(
                200, self.catalog.issue_json(issue, wanted or (lambda f: False), expand)
            )

    def _issue_edit(self, request: SimRequest) -> SimResponse:
        body = _body(request)
        fields = body.get("fields") or {}
        update = body.get("update") or {}
        with self.lock:
            issue = self._issue(request)
            project = self.catalog.projects[issue.project]
            try:
                values = resolve_values(self.catalog, project, fields, allowed=EDITABLE)
                if "summary" in fields and "summary" not in values:
                    raise FieldErrors({"summary": "You must specify a summary of the issue."})
                if "labels" in update:
                    values["labels"] = apply_labels_update(issue, update["labels"])
            except FieldErrors as err:
                return _invalid(err)
            items = self.apply_values(issue, values)
            events = [self._record(issue, self.api_user(), items, "issue_updated")] if items else []
        self._emit(events)
        return SimResponse(204, None)

    def _issue_delete(self, request: SimRequest) -> SimResponse:
        with self.lock:
            issue = self._issue(request)
            del self.catalog.issues[issue.key]
            payload = {
                "timestamp": int(self.clock() * 1000),
                "webhookEvent": "jira:issue_deleted",
                "issue_event_type_name": "issue_deleted",
                "user": self.api_user(),
                "issue": self.catalog.issue_json(issue),
            }
        self._emit([("jira:issue_deleted", payload)])
        return SimResponse(204, None)

    # ---- comments ---------------------------------------------------------------------------
    def _comment_list(self, request: SimRequest) -> SimResponse:
        start = max(0, int_param(request.params.get("startAt"), 0))
        size = max(0, int_param(request.params.get("maxResults"), 5000))
        with self.lock:
            issue = self._issue(request)
            rows = [self.catalog.comment_json(issue, c) for c in issue.comments]
        if request.params.get("orderBy", "").startswith("-"):
            rows.reverse()
        return SimResponse(
            200,
            {
                "startAt": start,
                "maxResults": size,
                "total": len(rows),
                "comments": rows[start : start + size],
            },
        )

    def _comment_create(self, request: SimRequest) -> SimResponse:
        body = _body(request)
        text = body.get("body")
        if not isinstance(text, str):
            return error(400, errors={"comment": "Operation value must be a string"})
        if not text.strip():
            return error(400, errors={"comment": "Comment body can not be empty!"})
        with self.lock:
            issue = self._issue(request)
            comment = self.store_comment(issue, text, self.api_user())
            rendered = self.catalog.comment_json(issue, comment)
            event = self._record(issue, self.api_user(), [], "issue_commented", comment=rendered)
        self._emit([event])
        return SimResponse(201, rendered)

    # ---- remote links -----------------------------------------------------------------------
    def _link_list(self, request: SimRequest) -> SimResponse:
        with self.lock:
            issue = self._issue(request)
            links = [self.catalog.remote_link_json(issue, link) for link in issue.remote_links]
        global_id = request.params.get("globalId")
        if global_id is not None:
            match = [link for link in links if link.get("globalId") == global_id]
            if not match:
                return error(404, [f"No remote link with globalId '{global_id}' found."])
            return SimResponse(200, match[0])
        return SimResponse(200, links)

    def _link_get(self, request: SimRequest) -> SimResponse:
        with self.lock:
            issue = self._issue(request)
            for link in issue.remote_links:
                if str(link["id"]) == request.path_args["link_id"]:
                    return SimResponse(200, self.catalog.remote_link_json(issue, link))
        return error(404, [f"No remote link with id '{request.path_args['link_id']}' found."])

    def _link_create(self, request: SimRequest) -> SimResponse:
        body = _body(request)
        target = body.get("object")
        errors = {}
        if not isinstance(target, dict) or not target.get("url"):
            errors["url"] = "'url' is required."
        if not isinstance(target, dict) or not target.get("title"):
            errors["title"] = "'title' is required."
        if errors:
            return error(400, errors=errors)
        with self.lock:
            issue = self._issue(request)
            global_id = body.get("globalId")
            existing = next(
                (lk for lk in issue.remote_links if global_id and lk.get("globalId") == global_id),
                None,
            )
            link = existing or {"id": self._next_link}
            if existing is None:
                self._next_link += 1
                issue.remote_links.append(link)
            link.update(
                globalId=global_id,
                application=body.get("application") or {},
                relationship=body.get("relationship"),
                object=target,
            )
            answer = {"id": link["id"], "self": self.catalog.remote_link_json(issue, link)["self"]}
        return SimResponse(200 if existing else 201, answer)

    def _link_delete(self, request: SimRequest) -> SimResponse:
        link_id = request.path_args.get("link_id")
        global_id = request.params.get("globalId")
        with self.lock:
            issue = self._issue(request)
            keep = [
                lk for lk in issue.remote_links
                if not (str(lk["id"]) == link_id or (global_id and lk.get("globalId") == global_id))
            ]  # fmt: skip
            if len(keep) == len(issue.remote_links):
                return error(404, [f"No remote link with id '{link_id or global_id}' found."])
            issue.remote_links = keep
        return SimResponse(204, None)

    # ---- transitions --------------------------------------------------------------------------
    def _transition_list(self, request: SimRequest) -> SimResponse:
        wanted = request.params.get("transitionId")
        with self.lock:
            issue = self._issue(request)
            rows = [
                {"id": tid, "name": status.name, "to": self.catalog.status_json(status),
                 "hasScreen": False, "isGlobal": True, "isInitial": False, "isAvailable": True,
                 "isConditional": False, "isLooped": False}
                for tid, status in self.transition_list(issue)
                if wanted in (None, tid)
            ]  # fmt: skip
        return SimResponse(200, {"expand": "transitions", "transitions": rows})

    def _transition_do(self, request: SimRequest) -> SimResponse:
        body = _body(request)
        tid = str((body.get("transition") or {}).get("id", ""))
        fields = body.get("fields") or {}
        with self.lock:
            issue = self._issue(request)
            target = dict(self.transition_list(issue)).get(tid)
            if target is None:
                return error(400, [f"Transition id '{tid}' is not valid for this issue."])
            try:
                resolution, versions = self._transition_fields(issue, target, fields)
            except FieldErrors as err:
                return _invalid(err)
            actor = self.api_user()
            items = self._move(issue, target, resolution, versions)
            comment = None
            for op in (body.get("update") or {}).get("comment") or []:
                text = ((op or {}).get("add") or {}).get("body")
                if isinstance(text, str) and text.strip():
                    stored = self.store_comment(issue, text, actor)
                    comment = self.catalog.comment_json(issue, stored)
            event = self._record(issue, actor, items, "issue_generic", comment=comment)
        self._emit([event])
        return SimResponse(204, None)

    def _transition_fields(
        self, issue: Issue, target: Status, fields: dict[str, Any]
    ) -> tuple[str | None, list[str]]:
        errors: dict[str, str] = {}
        resolution = "10000" if target.category == "done" else None  # simplified workflows set Done
        versions: list[str] = []
        for name, value in fields.items():
            if name == "resolution" and target.category == "done":
                ref = (
                    (value or {}).get("id") or (value or {}).get("name")
                    if isinstance(value, dict)
                    else None
                )
                resolution = (
                    self.catalog.by_name(self.catalog.resolutions, str(ref)) if ref else None
                )
                if resolution is None:
                    errors[name] = f"Could not find resolution with name '{ref}'."
            elif name == "fixVersions":
                try:
                    project = self.catalog.projects[issue.project]
                    versions = resolve_values(self.catalog, project, {name: value}, allowed={name})[
                        "fix_versions"
                    ]
                except FieldErrors as err:
                    errors.update(err.errors)
            else:
                errors[name] = NOT_ON_SCREEN.format(name)
        if errors:
            raise FieldErrors(errors)
        return resolution, versions
