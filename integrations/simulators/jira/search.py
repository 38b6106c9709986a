"""Issue search for the Jira simulator: Cloud's `/search/jql`, and the removed `/search`.

Cloud's enhanced search (`GET|POST /rest/api/2/search/jql`, see developer.atlassian.com/cloud/
jira/platform/rest/v2/api-group-issue-search/) pages with an opaque `nextPageToken` and answers
`{issues, nextPageToken?, isLast}` without a total; it refuses unbounded queries and by default
returns issue ids only. Its documented ceiling is 5000 issues per page when only ids/keys are
asked for; with fields the page is smaller (100 here, as users report). A key that does not exist
fails the whole query: "An issue with key 'X-9' does not exist for field 'key'". The JQL it reads
is in `integrations.simulators.jira.jql`. The old `/search` answers 410, as on Cloud since its
removal (developer.atlassian.com/changelog/#CHANGE-2046).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from integrations.simulators.base import SimRequest, SimResponse
from integrations.simulators.jira.catalog import JiraCatalog
from integrations.simulators.jira.jql import JqlError, parse, run
from integrations.simulators.jira.render import field_selector

MAX_IDS_PAGE = 5000
MAX_FIELDS_PAGE = 100
LEGACY_GONE = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)


def error(
    status: int, messages: list[str] | None = None, errors: dict[str, str] | None = None
) -> SimResponse:
    """A Jira error body: `{"errorMessages": [...], "errors": {...}}`."""
    return SimResponse(status, {"errorMessages": messages or [], "errors": errors or {}})


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
    """Search handlers, mixed into JiraSimulator (uses its catalog and lock)."""

    catalog: JiraCatalog
    lock: Any

    def _search_jql(self, request: SimRequest) -> SimResponse:
        body = request.json if request.method == "POST" and isinstance(request.json, dict) else {}
        args = body if request.method == "POST" else request.params
        jql = str(args.get("jql") or "")
        wanted = field_selector(_fields_param(request, body), "id")
        try:
            with self.lock:
                found = run(parse(jql, self.catalog), list(self.catalog.issues.values()))
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

    def _search_removed(self, request: SimRequest) -> SimResponse:
        return error(410, [LEGACY_GONE])
