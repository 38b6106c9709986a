"""Interactivity requests for the Slack driver: block actions, shortcuts, modals, options.

Each is a form body `payload=<json>` signed like every Slack request; the payload shapes are
in `driver_payloads`.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from integrations.simulators.driver import payloads as shapes

if TYPE_CHECKING:
    from integrations.simulators.driver.client import DriverResponse
    from integrations.simulators.slack.server import SlackSimulator


class SlackInteractions:
    """Mixin for SlackDriver: the interaction payloads Slack posts to an app."""

    sim: SlackSimulator

    def _base(self, kind: str, user_id: str) -> dict[str, Any]:
        raise NotImplementedError

    def _interaction(self, payload: dict[str, Any], **signing: Any) -> DriverResponse:
        raise NotImplementedError

    def _action_ts(self) -> str:
        raise NotImplementedError

    def _message_context(
        self, payload: dict[str, Any], user_id: str, message: dict[str, Any] | None, channel: str
    ) -> str:
        """Fill channel/container/message fields; returns the interaction's response_url."""
        conversation = self.sim.conversation(channel)
        cid = conversation["id"]
        ephemeral = message is None
        ts = self._action_ts() if message is None else message["ts"]
        response_url = self.sim.new_response_url(
            cid, user_id, message_ts=None if ephemeral else ts, is_ephemeral=ephemeral
        )
        payload["container"] = {
            "type": "message",
            "message_ts": ts,
            "channel_id": cid,
            "is_ephemeral": ephemeral,
        }
        payload["channel"] = {"id": cid, "name": shapes.channel_name(conversation)}
        if message is not None:
            payload["message"] = shapes.public(message)
        payload["response_url"] = response_url
        return response_url

    def block_action(
        self,
        user_id: str,
        action_id: str,
        *,
        value: Any = None,
        block_id: str | None = None,
        message: dict[str, Any] | None = None,
        channel_id: str | None = None,
        view: dict[str, Any] | None = None,
        selected_option: Any = None,
        action_type: str = "button",
        timestamp: int | None = None,
        sign: bool = True,
        signature: str | None = None,
    ) -> DriverResponse:
        """A click or selection in a message (or an ephemeral one) or in a modal/Home view."""
        payload = self._base("block_actions", user_id)
        trigger_id = self.sim.new_trigger_id(user_id)
        payload["trigger_id"] = trigger_id
        source = view if view is not None else message or {}
        found_block, element = shapes.find_element(source.get("blocks"), action_id, block_id)
        response_url = None
        if view is not None:
            payload["container"] = {"type": "view", "view_id": view["id"]}
            payload["view"] = copy.deepcopy(view)
        else:
            channel = channel_id or (message or {}).get("channel")
            if not channel:
                raise ValueError("block_action needs a message, a channel_id or a view")
            response_url = self._message_context(payload, user_id, message, channel)
            payload["state"] = {"values": {}}
        payload["actions"] = [
            shapes.action(
                element,
                action_id=action_id,
                block_id=found_block,
                action_type=action_type,
                value=value,
                selected_option=selected_option,
                action_ts=self._action_ts(),
            )
        ]
        resp = self._interaction(payload, timestamp=timestamp, sign=sign, signature=signature)
        resp.trigger_id, resp.response_url, resp.user_id = trigger_id, response_url, user_id
        return resp

    def message_shortcut(
        self,
        callback_id: str,
        *,
        user_id: str,
        channel_id: str,
        message: dict[str, Any],
        timestamp: int | None = None,
        sign: bool = True,
        signature: str | None = None,
    ) -> DriverResponse:
        """A message shortcut (`message_action`) on `message`."""
        payload = self._base("message_action", user_id)
        trigger_id = self.sim.new_trigger_id(user_id)
        payload.update(callback_id=callback_id, trigger_id=trigger_id, action_ts=self._action_ts())
        response_url = self._message_context(payload, user_id, message, channel_id)
        payload.pop("container")
        payload["message_ts"] = message["ts"]
        resp = self._interaction(payload, timestamp=timestamp, sign=sign, signature=signature)
        resp.trigger_id, resp.response_url, resp.user_id = trigger_id, response_url, user_id
        return resp

    def global_shortcut(
        self,
        callback_id: str,
        *,
        user_id: str,
        timestamp: int | None = None,
        sign: bool = True,
        signature: str | None = None,
    ) -> DriverResponse:
        """A global shortcut (`shortcut`), which carries no channel and no response_url."""
        payload = self._base("shortcut", user_id)
        trigger_id = self.sim.new_trigger_id(user_id)
        payload.update(callback_id=callback_id, trigger_id=trigger_id, action_ts=self._action_ts())
        resp = self._interaction(payload, timestamp=timestamp, sign=sign, signature=signature)
        resp.trigger_id, resp.user_id = trigger_id, user_id
        return resp

    def view_submission(
        self,
        user_id: str,
        view: dict[str, Any],
        values: dict[str, Any],
        *,
        timestamp: int | None = None,
        sign: bool = True,
        signature: str | None = None,
    ) -> DriverResponse:
        """Submit a modal with `values` (block_id -> value or {action_id: value}); follow the
        answer: `errors` keeps it open, `update`/`push`/`clear` change the stack, empty closes.
        """
        payload = self._base("view_submission", user_id)
        trigger_id = self.sim.new_trigger_id(user_id)
        submitted = copy.deepcopy(view)
        submitted["state"] = {"values": shapes.state_values(view, values)}
        payload.update(trigger_id=trigger_id, view=submitted, response_urls=[])

        def answered(resp: DriverResponse) -> None:
            resp.trigger_id, resp.user_id = trigger_id, user_id
            if resp.status == 200:
                answer = resp.json if isinstance(resp.json, dict) else {}
                action = answer.get("response_action")
                top = self.sim.apply_view_response(user_id, view["id"], action, answer.get("view"))
                resp.view_id = top if action in ("update", "push", "errors") else None

        return self._interaction(
            payload, timestamp=timestamp, sign=sign, signature=signature, follow=answered
        )

    def view_closed(
        self,
        user_id: str,
        view: dict[str, Any],
        *,
        timestamp: int | None = None,
        sign: bool = True,
        signature: str | None = None,
    ) -> DriverResponse:
        """The user dismisses a modal (sent when the view has `notify_on_close`)."""
        self.sim.close_view(user_id, view["id"])
        payload = self._base("view_closed", user_id)
        payload.update(view=copy.deepcopy(view), is_cleared=False)
        resp = self._interaction(payload, timestamp=timestamp, sign=sign, signature=signature)
        resp.user_id = user_id
        return resp

    def options(
        self,
        action_id: str,
        value: str,
        *,
        user_id: str,
        block_id: str | None = None,
        view: dict[str, Any] | None = None,
        message: dict[str, Any] | None = None,
        timestamp: int | None = None,
        sign: bool = True,
        signature: str | None = None,
    ) -> DriverResponse:
        """A `block_suggestion` for an external select; read the answer's `.options`."""
        payload = self._base("block_suggestion", user_id)
        source = view if view is not None else message or {}
        found_block, _ = shapes.find_element(source.get("blocks"), action_id, block_id)
        payload.update(action_id=action_id, block_id=found_block, value=value)
        if view is not None:
            payload["container"] = {"type": "view", "view_id": view["id"]}
            payload["view"] = copy.deepcopy(view)
        elif message is not None:
            payload["container"] = {
                "type": "message",
                "message_ts": message["ts"],
                "channel_id": message.get("channel"),
                "is_ephemeral": False,
            }
            payload["channel"] = {"id": message.get("channel")}
            payload["message"] = shapes.public(message)
        resp = self._interaction(payload, timestamp=timestamp, sign=sign, signature=signature)
        resp.user_id = user_id
        return resp
