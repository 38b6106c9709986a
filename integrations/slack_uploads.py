"""Sharing a chart into Slack for one outbox row: draw it, files.getUploadURLExternal, POST the
bytes to the upload URL, files.completeUploadExternal into the conversation.

https://docs.slack.dev/reference/methods/files.getUploadURLExternal and
https://docs.slack.dev/reference/methods/files.completeUploadExternal. A row whose earlier
attempt may have shared the file (a crash or timeout after completing) is first looked up in
the conversation by its unique filename, so a chart is not shared twice.
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from slack_sdk import WebClient

from bot import delivery
from integrations import charts

log = logging.getLogger("supportbot.delivery")

UPLOAD_TIMEOUT = 10.0


def share(client: WebClient, channel: str, row: delivery.Claimed) -> delivery.Outcome:
    """Upload the row's chart and share it in `channel` (a conversation id)."""
    payload = row.payload
    if row.uncertain:
        found = find_shared(client, channel, row)
        if found is not None:
            log.info("outbox.reconciled key=%s channel=%s ts=%s", row.key, channel, found)
            return delivery.Outcome(row.id, sent=True, channel=channel, ts=found)
    png = charts.render(payload["chart"])
    slot = client.files_getUploadURLExternal(
        filename=payload["filename"], length=len(png), alt_txt=payload["alt_text"]
    )
    sent = requests.post(
        slot["upload_url"],
        data=png,
        headers={"Content-Type": "application/octet-stream"},
        timeout=UPLOAD_TIMEOUT,
    )
    if sent.status_code != 200:
        # Retried with a new upload URL: nothing was shared yet.
        raise ConnectionError(f"the upload answered HTTP {sent.status_code}")
    args: dict[str, Any] = {}
    if row.thread_ts:
        args["thread_ts"] = row.thread_ts
    client.files_completeUploadExternal(
        files=[{"id": slot["file_id"], "title": payload["title"]}], channel_id=channel, **args
    )
    return delivery.Outcome(row.id, sent=True, channel=channel)


def find_shared(client: WebClient, channel: str, row: delivery.Claimed) -> str | None:
    """The ts of the message that shared this row's file (by filename), or None."""
    oldest = row.created_at.timestamp() - 120
    page = client.conversations_history(channel=channel, oldest=f"{oldest:.6f}", limit=200)
    for message in page.get("messages", []):
        if row.payload["filename"] in {f.get("name") for f in message.get("files") or []}:
            return str(message["ts"])
    return None
