"""The shape of a Slack request that Bolt and our listeners rely on, checked before dispatch.

A signed body is parsed exactly as Bolt will parse it (JSON when the content type says so or
the body starts with `{`; else a form, whose `payload` field is JSON), decoded under the limits
of handlers.limits, and checked field by field: the ids, timestamps and objects Bolt reads to
build its context and pick a listener, and those the listeners read (`user.id`,
`actions[].action_id`, `view.state.values`, `container`, our modals' `private_metadata`, …).
What does not hold is a `BodyError` naming the field, never repeating its value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from bot.ids import View
from handlers.limits import BodyError, decode_json

Check = Callable[[Any, str], None]

_ID = re.compile(r"[A-Z0-9]{1,32}")
_TS = re.compile(r"\d{1,10}\.\d{1,6}")
NAME_MAX = 255  # action_id, block_id, callback_id (Block Kit's limit)
VALUE_MAX = 3000  # plain_text_input's max_length
TEXT_MAX = 40_000  # a message's text


def parse(body: bytes, content_type: str) -> tuple[dict[str, Any], str]:
    """The body as Bolt will see it, decoded and checked, and the text to hand Bolt; BodyError
    when it is not a Slack request of a shape the app handles.

    Bolt reads any form whose text contains the word "payload" as an interaction, so a slash
    command such as `/support help payload` would reach it as an empty body: there, one letter
    of the word is percent-encoded, which the form decodes back.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyError("body is not UTF-8") from None
    if content_type.split(";")[0] == "application/json" or text.startswith("{"):
        parsed = decode_json(text)
        if not isinstance(parsed, dict):
            raise BodyError("JSON body must be an object")
        check(parsed)
        return parsed, text
    fields = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" in fields and "payload" in text:
        parsed = decode_json(fields["payload"])
        if not isinstance(parsed, dict):
            raise BodyError("'payload' must be a JSON object")
        check(parsed)
        return parsed, text
    if "payload" in fields or not fields.keys() & {"command", "ssl_check"}:
        raise BodyError("expected a slash command, an interaction payload or an event")
    check(fields)
    return fields, text.replace("payload", "%70ayload")


def check(body: dict[str, Any]) -> None:
    """Raise BodyError unless the body has the shape Bolt and our listeners rely on."""
    if "ssl_check" in body and "command" not in body:
        return
    _context(body, "")
    if "command" in body:
        _command(body)
        return
    kind = body.get("type")
    if not isinstance(kind, str):
        raise BodyError("'type' must be a string")
    shape = _BY_TYPE.get(kind)
    if shape is None:
        raise BodyError("unsupported payload type")
    shape(body)


# ---- field checks -----------------------------------------------------------------------------


def _fail(where: str, what: str) -> BodyError:
    return BodyError(f"'{where}' must be {what}")


def _text(limit: int) -> Check:
    def check(value: Any, where: str) -> None:
        if not isinstance(value, str) or len(value) > limit:
            raise _fail(where, f"a string of at most {limit} characters")

    return check


def _pattern(pattern: re.Pattern[str], what: str) -> Check:
    def check(value: Any, where: str) -> None:
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise _fail(where, what)

    return check


slack_id = _pattern(_ID, "a Slack id")
ts = _pattern(_TS, "a Slack timestamp")
name = _text(NAME_MAX)
value_text = _text(VALUE_MAX)
message_text = _text(TEXT_MAX)


def _integer(value: Any, where: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _fail(where, "a whole number")


def _boolean(value: Any, where: str) -> None:
    if not isinstance(value, bool):
        raise _fail(where, "true or false")


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(where, "an object")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(where, "a list")
    return value


def _field(
    obj: dict[str, Any], key: str, check: Check, where: str, *, required: bool = False
) -> None:
    """Check `obj[key]` when present (null counts as absent), or insist on it."""
    value = obj.get(key)
    path = f"{where}{key}"
    if value is None:
        if required:
            raise BodyError(f"'{path}' is missing")
        return
    check(value, path)


def _id_or_object(value: Any, where: str) -> None:
    """A user, team, channel or enterprise: an id, or an object with an `id`."""
    if isinstance(value, str):
        slack_id(value, where)
    else:
        _field(_obj(value, where), "id", slack_id, f"{where}.")


def _person(value: Any, where: str) -> None:
    _field(_obj(value, where), "id", slack_id, f"{where}.", required=True)


def _each(check: Check) -> Check:
    def each(value: Any, where: str) -> None:
        for index, item in enumerate(_list(value, where)):
            check(item, f"{where}[{index}]")

    return each


# ---- what Bolt reads to build its context ----------------------------------------------------


def _context(body: dict[str, Any], where: str) -> None:
    for key in ("user", "team", "channel", "enterprise"):
        _field(body, key, _id_or_object, where)
    for key in ("user_id", "team_id", "channel_id", "enterprise_id", "api_app_id"):
        _field(body, key, slack_id, where)
    _field(body, "thread_ts", ts, where)
    _field(body, "is_ext_shared_channel", _boolean, where)
    _field(body, "authorizations", _each(_authorization), where)
    _field(body, "response_url", name, where)
    _field(body, "response_urls", _each(_response_url), where)
    _field(body, "trigger_id", name, where)
    for key in ("function_execution_id", "function_data", "bot_access_token"):
        if key in body:
            raise BodyError(f"'{where}{key}' is not supported")
    for key in ("event", "message", "previous_message", "item", "assistant_thread"):
        if body.get(key) is not None:
            _context(_obj(body[key], f"{where}{key}"), f"{where}{key}.")


def _authorization(value: Any, where: str) -> None:
    auth = _obj(value, where)
    _context(auth, f"{where}.")  # Bolt reads an authorization as it reads the body
    _field(auth, "is_enterprise_install", _boolean, f"{where}.")


def _response_url(value: Any, where: str) -> None:
    _field(_obj(value, where), "response_url", name, f"{where}.", required=True)


# ---- element values: in `actions[]` and in `view.state.values` -------------------------------


def _option(value: Any, where: str) -> None:
    _field(_obj(value, where), "value", value_text, f"{where}.", required=True)


ELEMENT_VALUES: dict[str, Check] = {
    "type": name,
    "value": value_text,
    "selected_option": _option,
    "selected_options": _each(_option),
    "selected_user": slack_id,
    "selected_users": _each(slack_id),
    "selected_conversation": slack_id,
    "selected_conversations": _each(slack_id),
    "selected_channel": slack_id,
    "selected_channels": _each(slack_id),
    "selected_date": name,
    "selected_time": name,
    "selected_date_time": _integer,
    "rich_text_value": _obj,
}


def _element(value: Any, where: str) -> dict[str, Any]:
    element = _obj(value, where)
    for key, check in ELEMENT_VALUES.items():
        _field(element, key, check, f"{where}.")
    return element


def _action(value: Any, where: str) -> None:
    action = _element(value, where)
    _field(action, "action_id", name, f"{where}.", required=True)
    _field(action, "block_id", name, f"{where}.")
    _field(action, "action_ts", ts, f"{where}.")


def _state(value: Any, where: str) -> None:
    values = _obj(_obj(value, where).get("values") or {}, f"{where}.values")
    for block_id, elements in values.items():
        name(block_id, f"{where}.values")
        for action_id, element in _obj(elements, f"{where}.values.{block_id}").items():
            name(action_id, f"{where}.values.{block_id}")
            _element(element, f"{where}.values.{block_id}.{action_id}")


# What our modals keep in `private_metadata` (a JSON object), by callback_id.
_BUG_META: dict[str, tuple[Check, bool]] = {
    "ticket": (_integer, True),
    "channel": (slack_id, True),
    "thread_ts": (ts, True),
}
METADATA: dict[str, dict[str, tuple[Check, bool]]] = {
    View.BUG_FILE_FORM: _BUG_META,
    View.BUG_LINK_FORM: _BUG_META,
    View.ROTATION_FORM: {"rotation_id": (_integer, False)},
}


def _view(value: Any, where: str, *, submitted: bool = False) -> None:
    view = _obj(value, where)
    _field(view, "id", slack_id, f"{where}.", required=True)
    _field(view, "callback_id", name, f"{where}.", required=submitted)
    _field(view, "state", _state, f"{where}.")
    _field(view, "private_metadata", value_text, f"{where}.")
    _field(view, "hash", name, f"{where}.")
    _field(view, "blocks", _list, f"{where}.")
    _field(view, "app_installed_team_id", slack_id, f"{where}.")
    fields = METADATA.get(view.get("callback_id") or "")
    if fields is None:
        return
    meta = decode_json(view.get("private_metadata") or "{}")
    meta = _obj(meta, f"{where}.private_metadata")
    for key, (check, required) in fields.items():
        _field(meta, key, check, f"{where}.private_metadata.", required=required)


# ---- one check per payload type --------------------------------------------------------------


def _command(body: dict[str, Any]) -> None:
    _field(body, "command", name, "", required=True)
    if not body["command"].startswith("/"):
        raise BodyError("'command' must start with /")
    _field(body, "user_id", slack_id, "", required=True)
    _field(body, "channel_id", slack_id, "", required=True)
    _field(body, "text", value_text, "")
    # Slack sends both with every command; answers after the ack and modals need them
    # (https://docs.slack.dev/interactivity/implementing-slash-commands).
    _field(body, "response_url", name, "", required=True)
    _field(body, "trigger_id", name, "", required=True)


def _event_callback(body: dict[str, Any]) -> None:
    event = _obj(body.get("event"), "event")
    _field(event, "type", name, "event.", required=True)
    _field(body, "event_id", name, "")
    _field(body, "event_time", _integer, "")
    for key in ("ts", "event_ts"):
        _field(event, key, ts, "event.")
    for key in ("subtype", "bot_id", "tab"):
        _field(event, key, name, "event.")
    _field(event, "text", message_text, "event.")
    if event["type"] == "app_home_opened":
        _field(event, "user", slack_id, "event.", required=True)
        _field(event, "view", _view, "event.")
    if event["type"] == "message" and event.get("thread_ts") is not None:
        _field(event, "ts", ts, "event.", required=True)
        _field(event, "channel", slack_id, "event.", required=True)


def _url_verification(body: dict[str, Any]) -> None:
    _field(body, "challenge", name, "", required=True)


def _interaction(body: dict[str, Any]) -> None:
    _field(body, "user", _person, "", required=True)
    _field(body, "container", _obj, "")
    _field(body, "view", _view, "")
    _field(body, "state", _state, "")
    _field(body, "channel", _person, "")
    _field(body, "message", _message, "")


def _message(value: Any, where: str) -> None:
    message = _obj(value, where)
    _field(message, "ts", ts, f"{where}.", required=True)
    _field(message, "text", message_text, f"{where}.")


def _block_actions(body: dict[str, Any]) -> None:
    _interaction(body)
    actions = _list(body.get("actions"), "actions")
    if not actions:
        raise BodyError("'actions' must not be empty")
    _each(_action)(actions, "actions")
    _field(body, "container", _obj, "", required=True)


def _block_suggestion(body: dict[str, Any]) -> None:
    _interaction(body)
    _field(body, "action_id", name, "", required=True)
    _field(body, "block_id", name, "")
    _field(body, "value", value_text, "")


def _view_payload(body: dict[str, Any]) -> None:
    _interaction(body)
    _field(body, "view", lambda v, w: _view(v, w, submitted=True), "", required=True)


def _shortcut(body: dict[str, Any]) -> None:
    _interaction(body)
    _field(body, "callback_id", name, "", required=True)


def _message_action(body: dict[str, Any]) -> None:
    _shortcut(body)
    _field(body, "channel", _person, "", required=True)
    _field(body, "message", _message, "", required=True)
    _field(body, "message_ts", ts, "")


_BY_TYPE: dict[str, Callable[[dict[str, Any]], None]] = {
    "event_callback": _event_callback,
    "url_verification": _url_verification,
    "block_actions": _block_actions,
    "block_suggestion": _block_suggestion,
    "view_submission": _view_payload,
    "view_closed": _view_payload,
    "shortcut": _shortcut,
    "message_action": _message_action,
}
