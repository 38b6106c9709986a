"""Drive the app the way Slack does: signed slash commands, events and interactions over HTTP.

The driver signs each request (`X-Slack-Request-Timestamp`, `X-Slack-Signature`, per
https://api.slack.com/authentication/verifying-requests-from-slack), posts it to the app's
request URL, and follows what comes back into the Slack simulator: a command's ack body is
shown to the user, a view_submission's `response_action` changes the modal stack, and the
trigger ids and response_urls it hands out are the simulator's, so whatever the app does with
them is visible from the returned `DriverResponse`.

An app may keep working after it has answered (Bolt's lazy listeners open a modal or respond
right after the ack): `after_answer`, when given, is called once each answer has been followed
into the simulator, so a harness can wait for that work the way a person sees a modal appear a
moment after clicking. A driver without it sees the app exactly when its answer arrives.
"""

from __future__ import annotations

import base64
import json
import secrets
import string
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import requests

from integrations.signatures import sign_slack
from integrations.simulators.driver import payloads as shapes
from integrations.simulators.driver.interactions import SlackInteractions
from integrations.simulators.slack.server import SlackSimulator


@dataclass
class DriverResponse:
    """What the app answered, plus what the interaction caused in the simulator."""

    status: int
    headers: dict[str, str]
    text: str
    json: Any
    sim: SlackSimulator | None = field(default=None, repr=False)
    response_url: str | None = None
    trigger_id: str | None = None
    view_id: str | None = None
    user_id: str | None = None
    ack_text: str | None = None

    @property
    def ephemeral(self) -> list[str]:
        """Texts shown only to the user: the command's ack body, then response_url posts."""
        shown = [self.ack_text] if self.ack_text else []
        if self.sim is not None and self.response_url:
            for posted in self.sim.responses(self.response_url):
                if posted.get("response_type") != "in_channel" and not posted.get(
                    "delete_original"
                ):
                    shown.append(str(posted.get("text") or ""))
        return shown

    @property
    def view(self) -> dict[str, Any] | None:
        """The modal opened with this interaction's trigger_id (or left on top by its answer)."""
        if self.sim is None:
            return None
        if self.trigger_id:
            opened = self.sim.view_for_trigger(self.trigger_id)
            if opened is not None:
                return opened
        if self.view_id and self.user_id:
            return next((v for v in self.sim.views(self.user_id) if v["id"] == self.view_id), None)
        return None

    @property
    def errors(self) -> dict[str, str] | None:
        """The field errors of a view_submission answered with `response_action: errors`."""
        if isinstance(self.json, dict) and self.json.get("response_action") == "errors":
            return dict(self.json.get("errors") or {})
        return None

    @property
    def options(self) -> list[dict[str, Any]]:
        """The options of a block_suggestion answer (option groups flattened)."""
        if not isinstance(self.json, dict):
            return []
        found = list(self.json.get("options") or [])
        for group in self.json.get("option_groups") or []:
            found.extend(group.get("options") or [])
        return found


class SlackDriver(SlackInteractions):
    """Sends Slack-signed requests to the app and follows the answers into the simulator."""

    def __init__(
        self,
        app_url: str,
        signing_secret: str,
        sim: SlackSimulator,
        *,
        path: str = "/slack/events",
        clock: Callable[[], float] = time.time,
        verification_token: str = "sim-verification-token",  # noqa: S107 - deprecated, inert
        after_answer: Callable[[], object] | None = None,
    ) -> None:
        self.url = app_url.rstrip("/") + path
        self.after_answer = after_answer
        self.signing_secret = signing_secret
        self.sim = sim
        self.clock = clock
        self.verification_token = verification_token
        self.session = requests.Session()

    def close(self) -> None:
        """Close the keep-alive session."""
        self.session.close()

    def __enter__(self) -> SlackDriver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- transport ------------------------------------------------------------------------
    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        headers: dict[str, str] | None = None,
        timestamp: int | None = None,
        sign: bool = True,
        signature: str | None = None,
        follow: Callable[[DriverResponse], None] | None = None,
    ) -> DriverResponse:
        """POST a raw body to the app, signed unless `sign=False`; `follow` carries the answer
        into the simulator before `after_answer` runs."""
        sent = {
            "Content-Type": content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        sent.update(headers or {})
        if sign:
            stamp = str(int(self.clock()) if timestamp is None else timestamp)
            sent["X-Slack-Request-Timestamp"] = stamp
            sent["X-Slack-Signature"] = signature or sign_slack(self.signing_secret, stamp, body)
        answer = self.session.post(self.url, data=body, headers=sent, timeout=30)
        try:
            parsed = answer.json() if answer.content else None
        except ValueError:
            parsed = None
        resp = DriverResponse(
            answer.status_code, dict(answer.headers), answer.text, parsed, sim=self.sim
        )
        if follow is not None:
            follow(resp)
        if self.after_answer is not None:
            self.after_answer()
        return resp

    def _form(self, fields: dict[str, Any], **signing: Any) -> DriverResponse:
        return self.post(urlencode(fields).encode(), "application/x-www-form-urlencoded", **signing)

    def _interaction(self, payload: dict[str, Any], **signing: Any) -> DriverResponse:
        return self._form({"payload": json.dumps(payload)}, **signing)

    def _json(self, payload: dict[str, Any], **signing: Any) -> DriverResponse:
        return self.post(json.dumps(payload).encode(), "application/json", **signing)

    # ---- shared payload pieces --------------------------------------------------------------
    def _team(self) -> dict[str, str]:
        return {"id": self.sim.state.team_id, "domain": self.sim.state.team_domain}

    def _base(self, kind: str, user_id: str) -> dict[str, Any]:
        return {
            "type": kind,
            "team": self._team(),
            "user": shapes.user_ref(self.sim.user(user_id)),
            "api_app_id": self.sim.state.app_id,
            "token": self.verification_token,
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _action_ts(self) -> str:
        return f"{self.clock():.6f}"

    # ---- slash commands and events -----------------------------------------------------------
    def command(
        self,
        command: str,
        text: str = "",
        *,
        user_id: str,
        channel_id: str,
        timestamp: int | None = None,
        sign: bool = True,
        signature: str | None = None,
    ) -> DriverResponse:
        """A slash command, form-encoded as Slack sends it; the ack body is shown to the user."""
        user = self.sim.user(user_id)
        conversation = self.sim.conversation(channel_id)
        response_url = self.sim.new_response_url(conversation["id"], user_id)
        trigger_id = self.sim.new_trigger_id(user_id)
        fields = {
            "token": self.verification_token,
            "team_id": self.sim.state.team_id,
            "team_domain": self.sim.state.team_domain,
            "channel_id": conversation["id"],
            "channel_name": shapes.channel_name(conversation),
            "user_id": user_id,
            "user_name": user["name"],
            "command": command,
            "text": text,
            "api_app_id": self.sim.state.app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }

        def acked(resp: DriverResponse) -> None:
            resp.response_url, resp.trigger_id, resp.user_id = response_url, trigger_id, user_id
            if resp.status == 200 and resp.text:
                body = resp.json if isinstance(resp.json, dict) else {"text": resp.text}
                self.sim.deliver_ack(conversation["id"], user_id, body)
                if body.get("response_type") != "in_channel":
                    resp.ack_text = str(body.get("text") or "")

        return self._form(fields, timestamp=timestamp, sign=sign, signature=signature, follow=acked)

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        event_time: int | None = None,
        timestamp: int | None = None,
        sign: bool = True,
        signature: str | None = None,
    ) -> DriverResponse:
        """An Events API `event_callback` delivery (a retry when `retry_num` is given)."""
        state = self.sim.state
        context = json.dumps({"tid": state.team_id, "aid": state.app_id}).encode()
        envelope = {
            "token": self.verification_token,
            "team_id": state.team_id,
            "context_team_id": state.team_id,
            "context_enterprise_id": None,
            "api_app_id": state.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id
            or "Ev"
            + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(9)),
            "event_time": int(self.clock()) if event_time is None else event_time,
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": state.team_id,
                    "user_id": state.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": "4-" + base64.urlsafe_b64encode(context).decode().rstrip("="),
        }
        headers = {}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        return self.post(
            json.dumps(envelope).encode(),
            "application/json",
            headers=headers,
            timestamp=timestamp,
            sign=sign,
            signature=signature,
        )

    def url_verification(
        self, challenge: str, *, timestamp: int | None = None, sign: bool = True
    ) -> DriverResponse:
        """The Events API request URL handshake."""
        body = {
            "token": self.verification_token,
            "challenge": challenge,
            "type": "url_verification",
        }
        return self._json(body, timestamp=timestamp, sign=sign)

    def user_message(
        self, user: str, channel: str, text: str, *, thread_ts: str | None = None
    ) -> tuple[dict[str, Any], DriverResponse]:
        """A person posts (stored in the simulator) and the `message` event is delivered."""
        message = self.sim.post_as_user(user, channel, text, thread_ts=thread_ts)
        conversation = self.sim.conversation(message["channel"])
        event = {
            "client_msg_id": message["client_msg_id"],
            "type": "message",
            "text": text,
            "user": user,
            "ts": message["ts"],
            "blocks": message["blocks"],
            "team": self.sim.state.team_id,
            "channel": message["channel"],
            "event_ts": message["ts"],
            "channel_type": shapes.channel_type(conversation),
        }
        if message.get("thread_ts") and message["thread_ts"] != message["ts"]:
            event["thread_ts"] = message["thread_ts"]
            event["parent_user_id"] = message.get("parent_user_id")
        return message, self.event(event)

    def app_home_opened(self, user: str, tab: str = "home") -> DriverResponse:
        """The user opens the app's Home (or Messages) tab."""
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user,
            "channel": self.sim.open_dm(user),
            "tab": tab,
            "event_ts": self._action_ts(),
        }
        home = self.sim.home(user)
        if tab == "home" and home is not None:
            event["view"] = home
        return self.event(event)
