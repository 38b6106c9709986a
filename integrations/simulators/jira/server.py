"""A Jira Cloud simulator that the pycontribs `jira` library works against over real HTTP.

Serves REST v2 under `/rest/api/2` (and `/rest/api/latest`) with basic auth (email + API
token), answers `serverInfo` with `deploymentType: "Cloud"` so the library takes its Cloud paths
(`/search/jql` paging by `nextPageToken`), keeps projects, workflow statuses and issues in memory,
and posts signed `jira:issue_updated` webhooks when an issue moves — through REST or through
the test-side helpers (`transition`, `close`, `reopen`, `add_comment`).

    sim = JiraSimulator(webhook_url="http://127.0.0.1:8000/jira/webhook", webhook_secret="s")
    sim.start()
    client = jira.JIRA(server=sim.url, basic_auth=(sim.email, sim.api_token), max_retries=0)
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from integrations.simulators.base import SimRequest, SimResponse, SimulatorServer
from integrations.simulators.jira.catalog import JiraCatalog
from integrations.simulators.jira.issues import JiraIssues
from integrations.simulators.jira.meta import JiraMeta
from integrations.simulators.jira.model import Project, Status
from integrations.simulators.jira.rest import JiraRest
from integrations.simulators.jira.search import JiraSearch
from integrations.simulators.jira.webhooks import WebhookAttempt, WebhookDelivery, WebhookSender

Event = tuple[str, dict[str, Any]]


class JiraSimulator(JiraMeta, JiraRest, JiraIssues, JiraSearch, SimulatorServer):
    """Jira Cloud REST v2 + admin webhooks, in memory, on a loopback port."""

    name = "jira"
    poll_interval = 0.05

    def __init__(
        self,
        *,
        email: str = "bot@example.com",
        api_token: str = "jira-token",  # noqa: S107 - a test credential
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        clock: Callable[[], float] = time.time,
        display_name: str = "Supportbot",
        webhook_events: Iterable[str] = ("jira:issue_updated",),
        admin: bool = False,
    ) -> None:
        super().__init__(clock)
        self.email = email
        self.admin = admin  # whether the API user is a Jira administrator
        self.api_token = api_token
        self.display_name = display_name
        self.catalog = JiraCatalog(lambda: self.url)
        self.webhooks = WebhookSender(webhook_url, webhook_secret, clock, tuple(webhook_events))
        self._down: tuple[bool, int | None] = (False, None)
        self._throttle: list[int] = [0, 1]  # remaining 429s, Retry-After seconds
        self._next_link = 10000
        self._next_comment = 10000
        self._next_history = 10100
        self.add_project("SUP", "Support", components=("Backend", "Frontend", "Billing", "Mobile"))
        self._routes_setup()

    # ---- wiring ------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The site URL to give `jira.JIRA(server=...)`."""
        return self.base_url

    def browse_url(self, key: str) -> str:
        """The human link to an issue."""
        return f"{self.url}/browse/{key}"

    def _routes_setup(self) -> None:
        api: list[tuple[str, str, str, Callable[[SimRequest], SimResponse]]] = [
            ("GET", "serverInfo", "serverInfo", self._server_info),
            ("GET", "myself", "myself", self._myself),
            ("GET", "project", "project.list", self._projects),
            ("GET", "project/{key}", "project.get", self._project_get),
            ("GET", "project/{key}/components", "project.components", self._project_components),
            ("GET", "project/{key}/versions", "project.versions", self._project_versions),
            ("GET", "project/{key}/statuses", "project.statuses", self._project_statuses),
            ("GET", "priority", "priority.list", self._named_list("priority")),
            ("GET", "issuetype", "issuetype.list", self._named_list("issuetype")),
            ("GET", "resolution", "resolution.list", self._named_list("resolution")),
            ("GET", "status", "status.list", self._statuses),
            ("GET", "statuscategory", "statuscategory.list", self._status_categories),
            ("GET", "field", "field.list", self._fields),
            (
                "GET",
                "issue/createmeta/{key}/issuetypes",
                "createmeta.issuetypes",
                self._createmeta_types,
            ),
            (
                "GET",
                "issue/createmeta/{key}/issuetypes/{type_id}",
                "createmeta.fields",
                self._createmeta_fields,
            ),
            ("POST", "issue", "issue.create", self._issue_create),
            ("GET", "issue/{key}", "issue.get", self._issue_get),
            ("PUT", "issue/{key}", "issue.edit", self._issue_edit),
            ("DELETE", "issue/{key}", "issue.delete", self._issue_delete),
            ("GET", "issue/{key}/comment", "comment.list", self._comment_list),
            ("POST", "issue/{key}/comment", "comment.create", self._comment_create),
            ("GET", "issue/{key}/remotelink", "remotelink.list", self._link_list),
            ("POST", "issue/{key}/remotelink", "remotelink.create", self._link_create),
            ("DELETE", "issue/{key}/remotelink", "remotelink.delete", self._link_delete),
            ("GET", "issue/{key}/remotelink/{link_id}", "remotelink.get", self._link_get),
            ("DELETE", "issue/{key}/remotelink/{link_id}", "remotelink.delete", self._link_delete),
            ("GET", "issue/{key}/transitions", "transitions.list", self._transition_list),
            ("POST", "issue/{key}/transitions", "transitions.do", self._transition_do),
            ("GET", "search/jql", "search.jql", self._search_jql),
            ("POST", "search/jql", "search.jql", self._search_jql),
            ("GET", "search", "search", self._search_removed),
            ("POST", "search", "search", self._search_removed),
        ]
        for version in ("2", "latest"):
            for method, path, route, handler in api:
                self.route(method, f"/rest/api/{version}/{path}", route, handler)
        self.route(
            "GET", "/rest/applinks/latest/listApplicationlinks", "applinks.list", self._applinks
        )

    def authenticate(self, request: SimRequest, route: str) -> SimResponse | None:
        """Outage, then rate limit, then basic auth (serverInfo may be read anonymously)."""
        down, retry_after = self._down
        if down:
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            return SimResponse(
                503, {"errorMessages": ["Service Unavailable"], "errors": {}}, headers
            )
        with self.lock:
            throttled = self._throttle[0] > 0
            if throttled:
                self._throttle[0] -= 1
        if throttled:
            return self._rate_limited(self._throttle[1])
        header = request.header("authorization")
        expected = base64.b64encode(f"{self.email}:{self.api_token}".encode()).decode()
        if header == f"Basic {expected}" or (not header and route == "serverInfo"):
            return None
        # Cloud's answer to missing or bad credentials: plain text plus the Seraph reason header.
        return SimResponse(
            401,
            "Client must be authenticated to access this resource.",
            {
                "X-Seraph-LoginReason": "AUTHENTICATED_FAILED",
                "WWW-Authenticate": f'OAuth realm="{self.url}"',
            },
            content_type="text/plain;charset=UTF-8",
        )

    def _rate_limited(self, retry_after: int) -> SimResponse:
        # developer.atlassian.com/cloud/jira/platform/rate-limiting/: Retry-After in seconds,
        # X-RateLimit-Reset as ISO 8601 `yyyy-MM-ddTHH:mmZ`, RateLimit-Reason names the limit.
        reset = datetime.fromtimestamp(self.clock() + retry_after, UTC).strftime("%Y-%m-%dT%H:%MZ")
        headers = {
            "Retry-After": str(retry_after),
            "X-RateLimit-Limit": "100",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset,
            "RateLimit-Reason": "jira-burst-based",
        }
        return SimResponse(429, {"errorMessages": ["Rate limit exceeded."], "errors": {}}, headers)

    # ---- failure modes and counters ----------------------------------------------------------
    def rate_limit(self, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next `times` requests (any route) with 429 and `Retry-After`."""
        with self.lock:
            self._throttle = [times, retry_after]

    def set_down(self, down: bool = True, retry_after: int | None = None) -> None:
        """Answer every request with 503 until `set_down(False)`."""
        self._down = (down, retry_after)

    @property
    def request_count(self) -> int:
        """How many requests the simulator answered (any status) since the last `reset_calls`."""
        with self.lock:
            return len(self.calls)

    # ---- webhooks ------------------------------------------------------------------------------
    @property
    def deliver(self) -> str:
        """Webhook delivery mode: `sync` (POST now), `queue` (until `flush`), `drop` (lost)."""
        return self.webhooks.mode

    @deliver.setter
    def deliver(self, mode: str) -> None:
        if mode not in ("sync", "queue", "drop"):
            raise ValueError(f"unknown delivery mode {mode!r}")
        self.webhooks.mode = mode

    @property
    def webhook_log(self) -> list[WebhookAttempt]:
        """Every POST attempted to the webhook URL, oldest first."""
        return list(self.webhooks.log)

    @property
    def pending_webhooks(self) -> list[WebhookDelivery]:
        """Deliveries held in `queue` mode."""
        return list(self.webhooks.pending)

    @property
    def deliveries(self) -> list[WebhookDelivery]:
        """Every webhook event produced (including dropped ones)."""
        return list(self.webhooks.deliveries.values())

    def flush(self) -> list[WebhookAttempt]:
        """Deliver the queued webhooks."""
        return self.webhooks.flush()

    def redeliver(self, identifier: str) -> WebhookAttempt:
        """Re-send a delivery as a Jira retry (same identifier, `X-Atlassian-Webhook-Retry`)."""
        return self.webhooks.redeliver(identifier)

    def retry_failed(self) -> list[WebhookAttempt]:
        """Retry deliveries that Jira would retry (408/409/425/429/5xx or no answer)."""
        return self.webhooks.retry_failed()

    def _emit(self, events: list[Event], deliver: str | None = None) -> WebhookDelivery | None:
        last = None
        for event, payload in events:
            last = self.webhooks.emit(event, payload, deliver) or last
        return last

    # ---- catalog builders --------------------------------------------------------------------
    def add_project(
        self,
        key: str,
        name: str,
        *,
        components: Iterable[str] = (),
        versions: Iterable[str] = (),
        required_fields: Iterable[str] = (),
        issue_types: Iterable[str] = ("Task", "Bug", "Story"),
    ) -> Project:
        """Add a project (components, versions, fields its create screen requires)."""
        with self.lock:
            types = [self.catalog.by_name(self.catalog.issue_types, t) or t for t in issue_types]
            project = Project(self.catalog.new_id("project"), key.upper(), name, issue_types=types)
            project.required_fields = set(required_fields)
            self.catalog.projects[project.key] = project
        for component in components:
            self.add_component(key, component)
        for version in versions:
            self.add_version(key, version)
        return project

    def add_component(self, project: str, name: str) -> str:
        """Add a component to a project; returns its id."""
        with self.lock:
            ident = self.catalog.new_id("component")
            self.catalog.projects[project.upper()].components[ident] = name
            return ident

    def add_version(self, project: str, name: str) -> str:
        """Add a version (for `fixVersions`) to a project; returns its id."""
        with self.lock:
            ident = self.catalog.new_id("version")
            self.catalog.projects[project.upper()].versions[ident] = name
            return ident

    def add_resolution(self, name: str) -> str:
        """Add a resolution (as a Jira admin can); returns its id."""
        with self.lock:
            ident = str(10004 + len(self.catalog.resolutions))
            self.catalog.resolutions[ident] = name
            return ident

    def set_required_fields(self, project: str, fields: Iterable[str]) -> None:
        """Make fields (e.g. `components`, `priority`) required on a project's create screen."""
        with self.lock:
            self.catalog.projects[project.upper()].required_fields = set(fields)

    def add_status(self, name: str, category: str, ident: str | None = None) -> str:
        """Add a workflow status in a category (`new`, `indeterminate`, `done`)."""
        with self.lock:
            ident = ident or str(10002 + len(self.catalog.statuses))
            self.catalog.statuses[ident] = Status(ident, name, category)
            return ident

    def set_status_names(
        self, names: Mapping[str, str] | None = None, *, categories: Mapping[str, str] | None = None
    ) -> None:
        """Localize: rename statuses (`{"Done": "Fertig"}`) and category names (`{"done": ...}`)."""
        with self.lock:
            for old, new in (names or {}).items():
                status = self.catalog.status_by_name(old)
                if status is None:
                    raise KeyError(old)
                status.name = new
            self.catalog.category_names.update(categories or {})

    def add_user(self, name: str, email: str | None = None) -> dict[str, Any]:
        """Register a user; returns the user JSON (its `accountId` can be assigned)."""
        return self.catalog.user_json(name, email)

    def api_user(self) -> dict[str, Any]:
        """The user the API token belongs to."""
        return self.catalog.user_json(self.display_name, self.email)
