"""Issue search for the Jira simulator: `/search/jql`, the legacy `/search`, the issue picker.

Cloud's enhanced search (`GET|POST /rest/api/2/search/jql`, see developer.atlassian.com/cloud/
jira/platform/rest/v2/api-group-issue-search/) pages with an opaque `nextPageToken` and answers
`{issues, nextPageToken?, isLast}` without a total; it refuses unbounded queries and by default
returns issue ids only. Its documented ceiling is 5000 issues per page when only ids/keys are
asked for; with fields the page is smaller (100 here, as users report). A key that does not exist
fails the whole query: "An issue with key 'X-9' does not exist for field 'key'."
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Callable
from typing import Any

from integrations.simulators.base import SimRequest, SimResponse
from integrations.simulators.jira.field_selection import field_selector
from integrations.simulators.jira.jql import JqlError, Query, parse, run, text_matches
from integrations.simulators.jira.model import CATEGORIES, Issue, JiraCatalog

KEY_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]*-\d+$", re.IGNORECASE)
MAX_IDS_PAGE = 5000
MAX_FIELDS_PAGE = 100
MAX_LEGACY_PAGE = 100
PICKER_LIMIT = 20
AVATAR = "/rest/api/2/universal_avatar/view/type/issuetype/avatar"
UNBOUNDED = (
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
)
LEGACY_GONE = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)


def error(
    status: int, messages: list[str] | None = None, errors: dict[str, str] | None = None
) -> SimResponse:
    """A Jira error body: `{"errorMessages": [...], "errors": {...}}`."""
    return SimResponse(status, {"errorMessages": messages or [], "errors": errors or {}})


class CatalogSchema:
    """Answers the JQL evaluator's questions from the catalog (see jira_jql.JqlSchema)."""

    def __init__(
        self, catalog: JiraCatalog, clock: Callable[[], float], strict_keys: bool = True
    ) -> None:
        self.catalog = catalog
        self.clock = clock
        self.strict_keys = strict_keys
        self.warnings: list[str] = []

    def now(self) -> float:
        """The simulator's clock."""
        return self.clock()

    def lookup(self, field: str, value: str) -> set[str] | None:
        """Canonical ids for a JQL value ("" stands for "empty")."""
        cat = self.catalog
        if field == "key":
            return self._key(value)
        if field == "project":
            project = cat.project(value)
            return {project.key} if project else None
        if field == "status":
            status = cat.status_by_name(value)
            return {status.id} if status else None
        if field == "statusCategory":
            wanted = value.lower()
            return {
                key
                for key, (cid, english, _) in CATEGORIES.items()
                if wanted in (key, str(cid), english.lower(), cat.category_names[key].lower())
            } or None
        if field == "resolution":
            if value.lower() == "unresolved":
                return {""}
            found = cat.by_name(cat.resolutions, value)
        elif field == "priority":
            found = cat.by_name(cat.priorities, value)
        elif field == "issuetype":
            found = cat.by_name(cat.issue_types, value)
        elif field in ("component", "fixVersion"):
            return {
                ident
                for project in cat.projects.values()
                for ident, name in (
                    project.components if field == "component" else project.versions
                ).items()
                if value in (ident, name) or name.lower() == value.lower()
            } or None
        else:  # labels
            return {value}
        return {found} if found else None

    def _key(self, value: str) -> set[str]:
        issue = self.catalog.issue(value)
        if issue is not None:
            return {issue.key}
        if not value.isdigit() and not KEY_PATTERN.match(value):
            raise JqlError(f"The issue key '{value}' for field 'key' is invalid.")
        message = f"An issue with key '{value.upper()}' does not exist for field 'key'."
        if self.strict_keys:
            raise JqlError(message)
        self.warnings.append(message)
        return set()

    def values(self, issue: Issue, field: str) -> list[str]:
        """An issue's ids for an enumerated field."""
        cat = self.catalog
        return {
            "key": [issue.key],
            "project": [issue.project],
            "status": [issue.status],
            "statusCategory": [cat.statuses[issue.status].category],
            "resolution": [issue.resolution] if issue.resolution else [],
            "priority": [issue.priority] if issue.priority else [],
            "issuetype": [issue.issuetype],
            "component": issue.components,
            "fixVersion": issue.fix_versions,
            "labels": issue.labels,
        }[field]

    def text(self, issue: Issue, field: str) -> str:
        """Text searched by `~`."""
        comments = "\n".join(c["body"] for c in issue.comments)
        parts = {
            "summary": [issue.summary],
            "description": [issue.description or ""],
            "comment": [comments],
            "text": [issue.summary, issue.description or "", comments],
        }[field]
        return "\n".join(parts)

    def date(self, issue: Issue, field: str) -> float | None:
        """created / updated / resolved."""
        return {
            "created": issue.created,
            "updated": issue.updated,
            "resolved": issue.resolutiondate,
        }[field]

    def sort_value(self, issue: Issue, field: str) -> Any:
        """ORDER BY value; priority ranks Highest above Lowest."""
        cat = self.catalog
        if field == "key":
            project, number = issue.key.rsplit("-", 1)
            return (project, int(number))
        if field == "priority":
            return -list(cat.priorities).index(issue.priority) if issue.priority else None
        if field in ("created", "updated", "resolved"):
            return self.date(issue, field)
        return {
            "project": issue.project,
            "status": cat.statuses[issue.status].name.lower(),
            "issuetype": cat.issue_types[issue.issuetype].lower(),
            "summary": issue.summary.lower(),
        }[field]


def _fields_param(request: SimRequest, body: dict[str, Any]) -> list[str]:
    raw = body.get("fields") if request.method == "POST" else request.query.get("fields")
    if raw is None:
        return []
    return [raw] if isinstance(raw, str) else [str(f) for f in raw]


def int_param(value: Any, default: int) -> int:
    """A numeric query/body parameter, or `default` when missing or malformed."""
    try:
        return int(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        return default


def _token(offset: int, jql: str) -> str:
    raw = json.dumps({"o": offset, "q": hashlib.sha256(jql.encode()).hexdigest()[:12]})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _offset(token: str, jql: str) -> int | None:
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if raw["q"] != hashlib.sha256(jql.encode()).hexdigest()[:12]:
            return None
        return int(raw["o"])
    except (ValueError, KeyError, TypeError):
        return None


class JiraSearch:
    """Search handlers, mixed into JiraSimulator (uses its catalog, lock and clock)."""

    catalog: JiraCatalog
    clock: Callable[[], float]
    lock: Any
    legacy_search_removed: bool
    history: list[int]

    def _query(self, jql: str, strict: bool = True) -> tuple[Query, CatalogSchema]:
        schema = CatalogSchema(self.catalog, self.clock, strict_keys=strict)
        return parse(jql, schema), schema

    def _search_jql(self, request: SimRequest) -> SimResponse:
        body = request.json if request.method == "POST" and isinstance(request.json, dict) else {}
        args = body if request.method == "POST" else request.params
        jql = str(args.get("jql") or "")
        wanted = field_selector(_fields_param(request, body), "id")
        try:
            with self.lock:
                query, schema = self._query(jql)
                if query.predicate is None:
                    return error(400, [UNBOUNDED])
                found = run(query, schema, list(self.catalog.issues.values()))
                offset = 0
                if args.get("nextPageToken"):
                    parsed = _offset(str(args["nextPageToken"]), jql)
                    if parsed is None:
                        return error(400, ["The provided next page token is invalid or expired."])
                    offset = parsed
                names = [f for f in self.catalog.field_values(found[0])] if found else []
                ids_only = wanted is None or not any(wanted(f) for f in names)
                cap = MAX_IDS_PAGE if ids_only else MAX_FIELDS_PAGE
                size = max(1, min(int_param(args.get("maxResults"), 50), cap))
                page = found[offset : offset + size]
                expand = str(args.get("expand") or "")
                issues = [
                    {"id": str(i.id)}
                    if wanted is None
                    else self.catalog.issue_json(i, wanted, expand)
                    for i in page
                ]
        except JqlError as err:
            return error(400, [err.message])
        answer: dict[str, Any] = {"issues": issues, "isLast": offset + size >= len(found)}
        if not answer["isLast"]:
            answer["nextPageToken"] = _token(offset + size, jql)
        return SimResponse(200, answer)

    def _search_legacy(self, request: SimRequest) -> SimResponse:
        if self.legacy_search_removed:
            return error(410, [LEGACY_GONE])
        body = request.json if request.method == "POST" and isinstance(request.json, dict) else {}
        args = body if request.method == "POST" else request.params
        jql = str(args.get("jql") or "")
        validate = str(args.get("validateQuery", "strict")).lower()
        wanted = field_selector(_fields_param(request, body), "*navigable")
        start = max(0, int_param(args.get("startAt"), 0))
        size = max(0, min(int_param(args.get("maxResults"), 50), MAX_LEGACY_PAGE))
        try:
            with self.lock:
                query, schema = self._query(jql, strict=validate in ("strict", "true"))
                found = run(query, schema, list(self.catalog.issues.values()))
                expand = str(args.get("expand") or "")
                issues = [
                    self.catalog.issue_json(i, wanted, expand) for i in found[start : start + size]
                ]
        except JqlError as err:
            return error(400, [err.message])
        answer = {
            "expand": "schema,names",
            "startAt": start,
            "maxResults": size,
            "total": len(found),
            "issues": issues,
        }
        if schema.warnings and validate == "warn":
            answer["warningMessages"] = schema.warnings
        return SimResponse(200, answer)

    def _picker(self, request: SimRequest) -> SimResponse:
        text = request.params.get("query", "").strip()
        current_jql = request.params.get("currentJQL", "")
        exclude = request.params.get("currentIssueKey", "").upper()
        project_id = request.params.get("currentProjectId", "")
        try:
            with self.lock:
                query, schema = self._query(current_jql, strict=False)
                pool = run(query, schema, list(self.catalog.issues.values()))
                pool = [
                    i
                    for i in pool
                    if i.key != exclude
                    and (not project_id or self.catalog.projects[i.project].id == project_id)
                    and _picked(i, text)
                ]
                by_id = {i.id: i for i in pool}
                recent = [by_id[i] for i in self.history if i in by_id]
                sections = [
                    self._section("History Search", "hs", recent, text),
                    self._section("Current Search", "cs", pool, text),
                ]
        except JqlError as err:
            return error(400, [err.message])
        return SimResponse(200, {"sections": sections})

    def _section(self, label: str, ident: str, issues: list[Issue], text: str) -> dict[str, Any]:
        shown = issues[:PICKER_LIMIT]
        section: dict[str, Any] = {"label": label, "id": ident, "issues": []}
        if shown:
            section["sub"] = f"Showing {len(shown)} of {len(issues)} matching issues"
        else:
            section["msg"] = "No matching issues found"
        for issue in shown:
            section["issues"].append(
                {
                    "id": issue.id,
                    "key": issue.key,
                    "keyHtml": issue.key,
                    "img": f"{AVATAR}/{issue.issuetype}?size=medium",
                    "summary": _highlight(issue.summary, text),
                    "summaryText": issue.summary,
                }
            )
        return section


def _picked(issue: Issue, text: str) -> bool:
    if not text:
        return True
    if issue.key.lower().startswith(text.lower()):
        return True
    terms = " ".join(f"{t.rstrip('*')}*" for t in re.findall(r"[\w'-]+", text))
    return bool(terms) and text_matches(issue.summary, terms)


def _highlight(summary: str, text: str) -> str:
    escaped = html.escape(summary)
    for term in sorted(set(re.findall(r"[\w'-]+", text)), key=len, reverse=True):
        escaped = re.sub(
            rf"\b({re.escape(html.escape(term))}\w*)", r"<b>\1</b>", escaped, flags=re.IGNORECASE
        )
    return escaped
