"""The few Jira Cloud calls the app makes, with errors it can act on.

Issues, comments, remote links, projects and priorities go through the `jira` library's public
API. Auth is basic auth with the account's email and an API token; the library's own retries are
off (`max_retries=0`) because pending calls and the poll retry on their own schedule, and a 429's
`Retry-After` pauses this client for every caller
(https://developer.atlassian.com/cloud/jira/platform/rate-limiting/). Errors never carry
credentials, request headers or bodies: `str(JIRAError)` can include all three, so only the
HTTP status and Jira's `errorMessages` / `errors` fields are kept.

Search posts to Cloud's `POST /rest/api/2/search/jql` itself, on its own session with the same
credentials and timeout
(https://developer.atlassian.com/cloud/jira/platform/rest/v2/api-group-issue-search/). The
library's `enhanced_search_issues` works only once the client has read `serverInfo` (its Cloud
check), and each client's first search through it reads the whole field list to translate JQL
names the app never uses: two more requests per client, which take the poll of 5,000 bugs
(bench/bug_poll.py) over its 50 requests and put three round trips before the first answer to
an issue search that Slack waits 3 seconds for.

`add_remote_link` first lists the site's application links, which only a Jira administrator
may do; for the bot's account that request fails, the library warns and goes on to add the
link, so the warning is silenced here.
"""

from __future__ import annotations

import re
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import requests
from jira import JIRA
from jira.exceptions import JIRAError

# Expected for an account that is not a Jira administrator (see the module docstring).
warnings.filterwarnings(
    "ignore", message="Unable to gather applicationlinks", category=Warning, module=r"jira\.client"
)

PERMANENT = frozenset({400, 401, 403, 404, 405, 410, 413, 422})
FIELDS = [
    "summary",
    "status",
    "resolution",
    "fixVersions",
    "statuscategorychangedate",
    "updated",
    "components",
    "created",
]
PAGE = 100  # Cloud pages searches that return fields at 100 issues
MISSING = re.compile(
    r"An issue with key '([^']+)' does not exist|The issue key '([^']+)' for field 'key' is invalid"
)
KEY = re.compile(r"^[A-Z][A-Z0-9_]*-\d+$")
REASONS = {
    0: "cannot reach Jira",
    401: "Jira refused the bot's credentials (check JIRA_EMAIL and JIRA_API_TOKEN)",
    403: "the bot's Jira account may not do that",
    404: "not found in Jira",
    429: "Jira is rate limiting the bot",
    503: "Jira is unavailable",
}

T = TypeVar("T")


class JiraError(Exception):
    """A failed call: status (0 without an answer), a safe reason, field errors, Retry-After."""

    def __init__(
        self,
        status: int,
        reason: str,
        *,
        retry_after: float | None = None,
        field_errors: dict[str, str] | None = None,
        messages: Sequence[str] = (),
    ) -> None:
        super().__init__(f"Jira answered {status}: {reason}" if status else reason)
        self.status = status
        self.reason = reason
        self.retry_after = retry_after
        self.field_errors = dict(field_errors or {})
        self.messages = list(messages)

    @property
    def permanent(self) -> bool:
        """True when retrying the same call cannot succeed."""
        return self.status in PERMANENT


class JiraClient:
    """Create issues, remote links and comments; read issue states, search, and metadata."""

    def __init__(
        self,
        server: str,
        email: str,
        api_token: str,
        *,
        timeout: float | tuple[float, float] = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.server = server.rstrip("/")
        self._jira = JIRA(
            server=self.server,
            basic_auth=(email, api_token),
            max_retries=0,
            timeout=timeout,
            get_server_info=False,
        )
        self._timeout = timeout
        self._http = requests.Session()
        self._http.auth = (email, api_token)
        self._http.headers.update({"Accept": "application/json"})
        self._clock = clock
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def browse_url(self, key: str) -> str:
        """The human link to an issue."""
        return f"{self.server}/browse/{key}"

    # ---- plumbing ---------------------------------------------------------------------------
    def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with self._lock:
            wait = self._paused_until - self._clock()
        if wait > 0:
            raise JiraError(429, REASONS[429], retry_after=wait)
        try:
            return fn(*args, **kwargs)
        except JIRAError as err:
            raise self._failure(int(err.status_code or 0), err.response) from None
        except requests.RequestException as err:
            raise JiraError(0, f"{REASONS[0]} ({type(err).__name__})") from None

    def _failure(self, status: int, response: requests.Response | None) -> JiraError:
        body: Any = None
        if response is not None:
            try:
                body = response.json()
            except ValueError:
                body = None
        messages: list[str] = []
        fields: dict[str, str] = {}
        if isinstance(body, dict):
            messages = [str(m)[:300] for m in body.get("errorMessages") or []]
            raw = body.get("errors")
            if isinstance(raw, dict):
                fields = {str(k): str(v)[:300] for k, v in raw.items()}
        retry_after = _retry_after(response) if status in (429, 503) else None
        if status == 429 and retry_after is None:
            retry_after = 10.0
        if retry_after is not None:
            with self._lock:
                self._paused_until = max(self._paused_until, self._clock() + retry_after)
        parts = [*messages, *(f"{k}: {v}" for k, v in fields.items())]
        reason = "; ".join(parts) or REASONS.get(status, f"HTTP {status}")
        return JiraError(
            status, reason[:500], retry_after=retry_after, field_errors=fields, messages=messages
        )

    # ---- issues -------------------------------------------------------------------------------
    def create_issue(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Create an issue from `{"key"}`/`{"name"}` references; returns its REST JSON."""
        issue = self._call(self._jira.create_issue, fields=fields, prefetch=False)
        return self.issue(issue.key)

    def issue(self, key: str) -> dict[str, Any]:
        """An issue's key and status fields."""
        return dict(self._call(self._jira.issue, key, fields=",".join(FIELDS)).raw)

    def find_filed(self, project: str, label: str, summary: str) -> dict[str, Any] | None:
        """An issue created earlier for this label and summary (a retried create that landed)."""
        jql = (
            f'project = "{_quoted(project)}" AND labels = "{_quoted(label)}" ORDER BY created DESC'
        )
        for issue in self._search(jql, limit=50):
            if (issue.get("fields") or {}).get("summary") == summary:
                return dict(issue)
        return None

    def add_remote_link(self, key: str, *, url: str, title: str, global_id: str) -> None:
        """Add (or, by `global_id`, update) a link from the issue to a page outside Jira."""
        self._call(
            self._jira.add_remote_link,
            key,
            {"url": url, "title": title[:255]},
            globalId=global_id,
        )

    def delete_remote_link(self, key: str, global_id: str) -> bool:
        """Remove a remote link by its global id; False when it was not there."""
        try:
            self._call(self._jira.delete_remote_link, key, global_id=global_id)
        except JiraError as err:
            if err.status == 404:
                return False
            raise
        return True

    def add_comment(self, key: str, body: str) -> str:
        """Comment on an issue as the bot's account; returns the comment id."""
        return str(self._call(self._jira.add_comment, key, body).id)

    # ---- search ---------------------------------------------------------------------------------
    def _search_page(self, body: dict[str, Any]) -> dict[str, Any]:
        response = self._http.post(
            f"{self.server}/rest/api/2/search/jql", json=body, timeout=self._timeout
        )
        if not response.ok:
            raise self._failure(response.status_code, response)
        try:
            page = response.json()
        except ValueError:
            raise JiraError(response.status_code, "the answer was not JSON") from None
        if not isinstance(page, dict):
            raise JiraError(response.status_code, "the answer was not a search result")
        return page

    def _search(self, jql: str, *, limit: int, fields: list[str] | None = None) -> list[dict]:
        found: list[dict[str, Any]] = []
        token: str | None = None
        while len(found) < limit:
            body: dict[str, Any] = {
                "jql": jql,
                "fields": fields or FIELDS,
                "maxResults": min(PAGE, limit - len(found)),
            }
            if token:
                body["nextPageToken"] = token
            page = self._call(self._search_page, body)
            found.extend(page.get("issues") or [])
            token = page.get("nextPageToken")
            if page.get("isLast", True) or not token:
                break
        return found

    def statuses(self, keys: Sequence[str]) -> tuple[list[dict[str, Any]], list[str]]:
        """The status fields of up to 100 issues in one request, and the keys Jira lacks.

        One unknown key fails a whole `key in (...)` query with 400 "An issue with key 'X' does
        not exist"; those keys are dropped and the query is asked again.
        """
        wanted = [k for k in dict.fromkeys(k.upper() for k in keys) if KEY.match(k)]
        missing = [k for k in keys if k.upper() not in wanted]
        for _ in range(5):
            if not wanted:
                return [], missing
            try:
                return self._search(f"key in ({', '.join(wanted)})", limit=len(wanted)), missing
            except JiraError as err:
                gone = {g.upper() for m in err.messages for g in _missing_keys(m)}
                if err.status != 400 or not gone & set(wanted):
                    raise
                missing += [k for k in wanted if k in gone]
                wanted = [k for k in wanted if k not in gone]
        raise JiraError(400, "too many issues are missing from Jira")

    def search(self, text: str, *, limit: int = 20) -> list[dict[str, Any]]:
        """Issues for an external select: the issue with that key, then a text search."""
        query = text.strip()
        found: list[dict[str, Any]] = []
        if KEY.match(query.upper()):
            try:
                found.append(self.issue(query.upper()))
            except JiraError as err:
                if err.status not in (400, 404):
                    raise
        words = re.findall(r"\w+", query)
        if words:
            terms = " ".join(words[:-1] + [words[-1] + "*"])
            jql = f'text ~ "{_quoted(terms)}" ORDER BY updated DESC'
            seen = {i.get("key") for i in found}
            found += [i for i in self._search(jql, limit=limit) if i.get("key") not in seen]
        return found[:limit]

    # ---- metadata for the modal -----------------------------------------------------------------
    def metadata(self, default_project: str | None, *, most: int = 10) -> dict[str, Any]:
        """Projects (issue types, components) and priorities, the default project first."""
        projects = self._call(self._jira.projects)
        keys = [p.key for p in projects]
        if default_project and default_project in keys:
            keys.remove(default_project)
            keys.insert(0, default_project)
        shown = []
        for key in keys[:most]:
            raw = self._call(self._jira.project, key).raw
            shown.append(
                {
                    "key": raw["key"],
                    "name": raw.get("name") or raw["key"],
                    "issue_types": [
                        t["name"] for t in raw.get("issueTypes") or [] if not t.get("subtask")
                    ],
                    "components": [c["name"] for c in raw.get("components") or []],
                }
            )
        priorities = [p.name for p in self._call(self._jira.priorities)]
        return {"projects": shown, "priorities": priorities}

    def myself(self) -> dict[str, Any]:
        """The API user (a connection check)."""
        return dict(self._call(self._jira.myself))


def _missing_keys(message: str) -> list[str]:
    return [a or b for a, b in MISSING.findall(message)]


def _quoted(value: str) -> str:
    """A value safe inside a double-quoted JQL string."""
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _retry_after(response: Any) -> float | None:
    if response is None:
        return None
    try:
        return max(float(response.headers.get("Retry-After", "")), 1.0)
    except (TypeError, ValueError):
        return None
