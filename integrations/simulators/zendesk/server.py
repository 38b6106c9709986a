"""A Zendesk Support simulator: the Ticketing REST API subset the app uses, plus ticket webhooks.

Speaks real HTTP on loopback with API-token basic auth, Zendesk's JSON shapes and error bodies,
the cursor-based incremental ticket export (with its one-minute lag and 10/min limit), and
signed event-subscribed ticket webhooks (`zendesk_events`). Tests build state with the builder
methods of `ZendeskAccount` (`zendesk_state`); every change bumps `updated_at` on the simulator
clock and emits webhook events.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from integrations.simulators.base import SimError, SimRequest, SimResponse, SimulatorServer
from integrations.simulators.zendesk.events import (
    DELIVERY_MODES,
    DeliveryMode,
    RateWindow,
    WebhookDelivery,
    WebhookOutbox,
    decode_cursor,
    encode_cursor,
)
from integrations.simulators.zendesk.state import ZendeskAccount
from integrations.simulators.zendesk.tickets import MAX_COMMENTS, UPDATABLE, ZendeskValidationError

EXPORT_PAGE_MAX = 1000
NOT_FOUND = {"error": "RecordNotFound", "description": "Not found"}
# 429 bodies as captured from real accounts: JSON for the export endpoints, and plain text
# (Content-Length 50) for the account-wide limit.
EXPORT_THROTTLED = {"error": "APIRateLimitExceeded",
                    "description": "Number of allowed incremental export API requests per minute exceeded"}  # fmt: skip  # noqa: E501
ACCOUNT_THROTTLED = "Number of allowed API requests per minute exceeded"


class ZendeskSimulator(ZendeskAccount, SimulatorServer):
    """In-memory Zendesk account served over loopback HTTP, with webhook delivery to the app."""

    name = "zendesk"

    def __init__(
        self,
        *,
        email: str = "agent@example.com",
        api_token: str = "zd-token",  # noqa: S107 - a test credential, not a secret
        subdomain: str = "acme",
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        clock: Callable[[], float] = time.time,
        deliver: DeliveryMode = "sync",
        webhook_retries: int = 0,
        rate_limits: bool = False,
        requests_per_minute: int = 700,
        update_requests_per_minute: int = 100,
        account_id: int = 22129848,
    ) -> None:
        SimulatorServer.__init__(self, clock)
        self.email, self.api_token, self.subdomain = email, api_token, subdomain
        self.account_id = account_id
        self.rate_limits = rate_limits
        self.account_limit = RateWindow(requests_per_minute, clock)
        # Incremental export endpoints: 10 requests per minute (incremental_exports reference).
        self.export_limit = RateWindow(10, clock)
        # Update Ticket: 100 requests per minute per account, apart from the account limit
        # (developer.zendesk.com/api-reference/introduction/rate-limits/, "Endpoint rate limits").
        self.update_limit = RateWindow(update_requests_per_minute, clock)
        self.webhooks = WebhookOutbox(
            url=webhook_url,
            secret=webhook_secret or secrets.token_urlsafe(24),
            clock=clock,
            deliver=deliver,
            retries=webhook_retries,
        )
        self._init_account(email, MAX_COMMENTS)
        self._register_routes()

    # ---- addresses ----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The base URL the app uses as ZENDESK_URL (`http://127.0.0.1:PORT`)."""
        return self.base_url

    def ticket_url(self, ticket_id: int) -> str:
        """The agent-facing URL of a ticket."""
        return f"{self.url}/agent/tickets/{ticket_id}"

    def _root(self) -> str:
        return self.base_url if self._server else super()._root()

    # ---- webhooks -----------------------------------------------------------------------------
    @property
    def webhook_url(self) -> str | None:
        """Where webhooks go; settable once the app's port is known."""
        return self.webhooks.url

    @webhook_url.setter
    def webhook_url(self, value: str | None) -> None:
        self.webhooks.url = value

    @property
    def deliver(self) -> DeliveryMode:
        """How webhooks go out: "sync" (POST now), "queue" (until `flush()`) or "drop"."""
        return self.webhooks.deliver

    @deliver.setter
    def deliver(self, value: DeliveryMode) -> None:
        if value not in DELIVERY_MODES:
            raise ValueError(f"deliver must be one of {DELIVERY_MODES}")
        self.webhooks.deliver = value

    @property
    def webhook_retries(self) -> int:
        """Most retries of one failed delivery, within Zendesk's own per-status caps."""
        return self.webhooks.retries

    @webhook_retries.setter
    def webhook_retries(self, value: int) -> None:
        self.webhooks.retries = value

    @property
    def webhook_secret(self) -> str:
        """The signing secret of the simulated webhook."""
        return self.webhooks.secret

    @property
    def webhook_log(self) -> list[WebhookDelivery]:
        """Every delivery attempt and every dropped event, oldest first."""
        return self.webhooks.log

    @property
    def pending_webhooks(self) -> list[dict[str, Any]]:
        """Payloads held back in "queue" mode."""
        return self.webhooks.pending

    def flush(self) -> list[WebhookDelivery]:
        """Deliver every queued webhook; returns the last attempt of each."""
        return self.webhooks.flush()

    def replay(self, event_id: str) -> WebhookDelivery:
        """Send an event again: same id and body, fresh timestamp and signature."""
        return self.webhooks.replay(event_id)

    def payloads_for(self, ticket_id: int) -> list[dict[str, Any]]:
        """Every webhook payload emitted for a ticket, oldest first."""
        return self.webhooks.payloads_for(ticket_id)

    def lost_webhooks(self) -> list[dict[str, Any]]:
        """Payloads dropped on purpose in "drop" mode."""
        return self.webhooks.lost()

    # ---- HTTP ---------------------------------------------------------------------------------
    def _register_routes(self) -> None:
        orgs = self._shower("organization", self.organizations)
        table: list[tuple[str, str, str, Callable[[SimRequest], SimResponse]]] = [
            ("GET", "/api/v2/tickets/show_many", "tickets.show_many", self._http_show_many),
            ("GET", "/api/v2/tickets/{id}/comments", "tickets.comments", self._http_comments),
            ("GET", "/api/v2/tickets/{id}", "tickets.show", self._http_ticket),
            ("PUT", "/api/v2/tickets/{id}", "tickets.update", self._http_update),
            ("POST", "/api/v2/tickets", "tickets.create", self._http_create),
            ("GET", "/api/v2/users/me", "users.me", self._http_me),
            ("GET", "/api/v2/users/show_many", "users.show_many", self._http_users_many),
            ("GET", "/api/v2/users/{id}", "users.show", self._shower("user", self.users)),
            ("GET", "/api/v2/organizations/{id}", "organizations.show", orgs),
            ("GET", "/api/v2/groups/{id}", "groups.show", self._shower("group", self.groups)),
            ("GET", "/api/v2/brands/{id}", "brands.show", self._shower("brand", self.brands)),
            ("GET", "/api/v2/incremental/tickets/cursor", "incremental.tickets", self._http_export),
        ]
        for method, path, name, handler in table:
            self.route(method, path + ".json", name, self._headed(handler))
            self.route(method, path, name, self._headed(handler))

    def _headed(self, handler: Callable[[SimRequest], SimResponse]) -> Callable[..., SimResponse]:
        def run(request: SimRequest) -> SimResponse:
            try:
                response = handler(request)
            except SimError as err:
                response = err.response
            except ValueError as err:  # a malformed query parameter
                response = SimResponse(400, {"error": "InvalidValue", "description": str(err)})
            if self.rate_limits:
                response.headers.setdefault("X-Rate-Limit", str(self.account_limit.limit))
                response.headers.setdefault(
                    "X-Rate-Limit-Remaining", str(self.account_limit.remaining())
                )
            return response

        return run

    def authenticate(self, request: SimRequest, route: str) -> SimResponse | None:
        """API-token basic auth (`{email}/token:{api_token}`), then the rate limits if on."""
        scheme, _, encoded = request.header("authorization").partition(" ")
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            user = password = ""
        if scheme.lower() != "basic" or (user, password) != (f"{self.email}/token", self.api_token):
            return SimResponse(401, {"error": "Couldn't authenticate you"})
        if not self.rate_limits:
            return None
        if route == "incremental.tickets":
            wait = self.export_limit.take()
            headers = {"Retry-After": str(wait)}
            return None if wait is None else SimResponse(429, dict(EXPORT_THROTTLED), headers)
        if route == "tickets.update":
            wait = self.update_limit.take()
            if wait is not None:
                headers = {"Retry-After": str(wait)}
                return SimResponse(429, ACCOUNT_THROTTLED, headers, "text/plain; charset=utf-8")
        wait = self.account_limit.take()
        if wait is None:
            return None
        headers = {"Retry-After": str(wait), "X-Rate-Limit": str(self.account_limit.limit),
                   "X-Rate-Limit-Remaining": "0"}  # fmt: skip
        return SimResponse(429, ACCOUNT_THROTTLED, headers, "text/plain; charset=utf-8")

    def _ok(self, key: str, obj: dict[str, Any], status: int = 200) -> SimResponse:
        return SimResponse(status, {key: self._render(obj)})

    def _render(self, obj: dict[str, Any]) -> dict[str, Any]:
        out = dict(sorted(obj.items()))
        if "url" in out:
            out["url"] = self._root() + out["url"][out["url"].index("/api/v2/") :]
        return out

    def _lookup(self, table: dict[int, dict[str, Any]], raw: str) -> dict[str, Any]:
        with self.lock:
            found = table.get(int(raw)) if raw.isdigit() else None
            if found is None or found.get("status") == "deleted":
                raise SimError(SimResponse(404, dict(NOT_FOUND)))
            return dict(found)

    def _shower(self, key: str, table: dict[int, dict[str, Any]]) -> Callable[..., SimResponse]:
        return lambda request: self._ok(key, self._lookup(table, request.path_args["id"]))

    def _http_me(self, request: SimRequest) -> SimResponse:
        return self._ok("user", self.me)

    def _http_ticket(self, request: SimRequest) -> SimResponse:
        return self._ok("ticket", self._lookup(self.tickets, request.path_args["id"]))

    def _many(self, request: SimRequest, key: str, table: dict[int, dict[str, Any]]) -> SimResponse:
        ids = [int(i) for i in request.params.get("ids", "").split(",") if i.strip().isdigit()]
        with self.lock:
            found = [
                self._render(table[i])
                for i in ids[:100]
                if i in table and table[i].get("status") != "deleted"
            ]
        return SimResponse(
            200, {key: found, "next_page": None, "previous_page": None, "count": len(found)}
        )

    def _http_show_many(self, request: SimRequest) -> SimResponse:
        return self._many(request, "tickets", self.tickets)

    def _http_users_many(self, request: SimRequest) -> SimResponse:
        return self._many(request, "users", self.users)

    def _invalid(self, err: ZendeskValidationError) -> SimError:
        body = {"error": "RecordInvalid", "description": "Record validation errors",
                "details": err.details}  # fmt: skip
        return SimError(SimResponse(422, body))

    def _http_create(self, request: SimRequest) -> SimResponse:
        data = (request.json or {}).get("ticket") or {}
        comment = data.get("comment") or {}
        requester = data.get("requester_id")
        if requester is None and isinstance(data.get("requester"), dict):
            requester = self._user_by_email(data["requester"])
        fields = {k: data[k] for k in UPDATABLE + ("brand_id",) if k in data}
        fields["tags"] = list(data.get("tags") or [])
        try:
            ticket, audit = self._create(
                fields,
                comment,
                actor_id=self.me["id"],
                requester_id=requester or self.me["id"],
                submitter_id=data.get("submitter_id") or self.me["id"],
                via="api",
                client=request.header("user-agent"),
            )
        except ZendeskValidationError as err:
            raise self._invalid(err) from None
        body = {"ticket": self._render(ticket), "audit": audit}
        return SimResponse(201, body, {"Location": self._render(ticket)["url"]})

    def _user_by_email(self, spec: dict[str, Any]) -> int:
        with self.lock:
            for user in self.users.values():
                if spec.get("email") and user["email"] == spec["email"]:
                    return user["id"]
        user = self.add_user(spec.get("name") or spec.get("email") or "", email=spec.get("email"))
        return user["id"]

    def _http_update(self, request: SimRequest) -> SimResponse:
        ticket = self._lookup(self.tickets, request.path_args["id"])
        data = (request.json or {}).get("ticket") or {}
        fields = {k: data[k] for k in (*UPDATABLE, "additional_tags", "remove_tags") if k in data}
        try:
            updated, audit = self._change(
                ticket["id"],
                fields,
                data.get("comment"),
                actor_id=self.me["id"],
                via="api",
                client=request.header("user-agent"),
            )
        except ZendeskValidationError as err:
            raise self._invalid(err) from None
        return SimResponse(200, {"ticket": self._render(updated), "audit": audit})

    def _http_comments(self, request: SimRequest) -> SimResponse:
        ticket = self._lookup(self.tickets, request.path_args["id"])
        p = request.params
        with self.lock:
            items = list(self.comments[ticket["id"]])
        if p.get("sort_order") == "desc" or p.get("sort") == "-created_at":
            items.reverse()
        base = f"{self._root()}/api/v2/tickets/{ticket['id']}/comments.json"
        if "page[size]" in p or "page[after]" in p:  # cursor pagination
            size = max(1, min(int(p.get("page[size]") or 100), 100))
            start = int(base64.b64decode(p["page[after]"]).decode()) if p.get("page[after]") else 0
            page, more = items[start : start + size], start + size < len(items)
            after = base64.b64encode(str(start + len(page)).encode()).decode() if more else None
            after_url = f"{base}?page[size]={size}&page[after]={after}" if more else None
            meta = {"has_more": more, "after_cursor": after, "before_cursor": None}
            body = {"comments": page, "meta": meta, "links": {"next": after_url, "prev": None}}
            return SimResponse(200, body)
        per_page = max(1, min(int(p.get("per_page") or 100), 100))
        number = max(1, int(p.get("page") or 1))
        start = (number - 1) * per_page
        later, earlier = start + per_page < len(items), number > 1
        return SimResponse(200, {
            "comments": items[start : start + per_page], "count": len(items),
            "next_page": f"{base}?page={number + 1}&per_page={per_page}" if later else None,
            "previous_page": f"{base}?page={number - 1}&per_page={per_page}" if earlier else None,
        })  # fmt: skip

    def _http_export(self, request: SimRequest) -> SimResponse:
        p = request.params
        if p.get("cursor"):
            position = decode_cursor(p["cursor"])
        elif p.get("start_time", "").isdigit():
            position = (int(p["start_time"]), 0)
        else:
            position = None
        if position is None:  # error body not confirmed against a real account
            return SimResponse(
                400,
                {
                    "error": "InvalidPaginationParameter",
                    "description": "start_time or a valid cursor is required",
                },
            )
        per_page = max(1, min(int(p.get("per_page") or EXPORT_PAGE_MAX), EXPORT_PAGE_MAX))
        # Since 2024-10-28 changes from the minute before the request are left out (support
        # article 8143500919322); the cursor stops short of them so they come next time.
        horizon = self.clock() - 60
        skip_deleted = p.get("exclude_deleted") == "true"
        with self.lock:
            rows = sorted(
                (t["generated_timestamp"], t["id"])
                for t in self.tickets.values()
                if (t["generated_timestamp"], t["id"]) > position
                and t["generated_timestamp"] <= horizon
                and not (skip_deleted and t["status"] == "deleted")
            )
            page = [self._render(self.tickets[i]) for _, i in rows[:per_page]]
        after = encode_cursor(*(rows[len(page) - 1] if page else position))
        extra = f"&per_page={per_page}" if "per_page" in p else ""
        return SimResponse(
            200,
            {
                "tickets": page,
                "after_url": f"{self._root()}/api/v2/incremental/tickets/cursor.json"
                f"?cursor={quote(after, safe='')}{extra}",
                "after_cursor": after,
                "before_url": None,
                "before_cursor": None,
                "end_of_stream": len(rows) <= per_page,
            },
        )
