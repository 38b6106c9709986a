"""What a listener does after Slack has its ack: Bolt lazy listeners, on a pool that says when
it is idle.

The Bolt app runs with `process_before_response=True` (events are stored before Slack sees
the 200), so Bolt writes the HTTP answer, or the Socket Mode envelope's ack, only once the
listener function has returned: a network call anywhere in it delays the ack however early it
calls `ack()` (https://slack.dev/bolt-python/concepts#lazy-listeners). A listener that must
talk to Slack after acking (views.open with the trigger_id, respond, users.info) is therefore
registered with `ack_then(work)`: its ack function does only database work and acks, and Bolt
starts `work` on this pool as soon as that returns, before the answer goes out. A trigger_id
is good for 3 seconds, and the follow-up starts right away.

Whatever can be stored before the ack is, so a click is never lost between the ack and the
work; only work that needs a network answer first (reading a user the directory cache does not
know) waits for the follow-up. `ack_then_reply` is the common case: store, ack, then tell the
user by response_url.
"""

from __future__ import annotations

import functools
import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk.errors import SlackApiError

from handlers.slack.errors import apology

log = logging.getLogger("supportbot.slack")

T = TypeVar("T")
# The context key under which an ack function leaves the text to tell the user afterwards
# (Bolt copies the context, custom keys included, for the follow-up).
REPLY = "supportbot_reply"


class Followups(ThreadPoolExecutor):
    """Bolt's listener executor, counting the work queued or running so `wait` can wait for it."""

    def __init__(self, workers: int = 8) -> None:
        super().__init__(max_workers=workers, thread_name_prefix="slack-followup")
        self._busy = 0
        self._changed = threading.Condition()

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        """Queue `fn`, counted until it has run."""
        with self._changed:
            self._busy += 1
        try:
            future = super().submit(fn, *args, **kwargs)
        except BaseException:
            self._finished(None)
            raise
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _future: Future[Any] | None) -> None:
        with self._changed:
            self._busy -= 1
            if self._busy == 0:
                self._changed.notify_all()

    def wait(self, timeout: float = 10.0) -> bool:
        """Wait until nothing is queued or running; False if `timeout` seconds passed first."""
        with self._changed:
            return self._changed.wait_for(lambda: self._busy == 0, timeout)


def ack_only(ack: Ack) -> None:
    """Acknowledge, and nothing else (the work, if any, follows the ack)."""
    ack()


def ack_then(work: Callable[..., None], ack: Callable[..., None] = ack_only) -> dict[str, Any]:
    """Bolt's `(ack=…, lazy=[…])` for a listener whose network calls come after its ack."""
    return {"ack": ack, "lazy": [_reported(work)]}


def ack_then_reply(ack: Callable[..., None]) -> dict[str, Any]:
    """For an ack function that stores its work and leaves `context[REPLY]`: the reply goes
    out ephemerally by response_url right after the ack."""
    return ack_then(_reply, ack=ack)


def _reply(context: BoltContext, respond: Respond) -> None:
    text = context.get(REPLY)
    if text:
        respond(text=text, response_type="ephemeral", replace_original=False)


def _reported(work: Callable[..., None]) -> Callable[..., None]:
    """A follow-up that fails is logged with an id and the user is told, as the error handler
    does for listeners (Bolt itself would log only the exception's text)."""

    @functools.wraps(work)  # Bolt injects the arguments `work` names
    def run(**kwargs: Any) -> None:
        try:
            work(**kwargs)
        except SlackApiError as err:
            # Slack refused (an expired trigger_id, a view that is gone): one line, its code.
            error_id = uuid.uuid4().hex[:8]
            code = str(err.response.get("error") or err.response.status_code)[:60]
            log.warning(
                "slack.call_failed error_id=%s work=%s error=%s", error_id, work.__name__, code
            )
            _apologise(kwargs, error_id)
        except Exception:
            error_id = uuid.uuid4().hex[:8]
            log.exception("slack.followup_failed error_id=%s work=%s", error_id, work.__name__)
            _apologise(kwargs, error_id)

    return run


def _apologise(kwargs: dict[str, Any], error_id: str) -> None:
    """Tell the user, where there is a response_url (App Home and modals have none)."""
    respond = kwargs.get("respond")
    if respond is not None:
        try:
            respond(text=apology(error_id), response_type="ephemeral")
        except (SlackApiError, OSError, ValueError) as err:
            log.warning("slack.apology_failed error_id=%s error=%s", error_id, type(err).__name__)
