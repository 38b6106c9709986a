"""Slack's external file upload: files.getUploadURLExternal, the upload itself, and
files.completeUploadExternal sharing the file into a conversation.

https://docs.slack.dev/reference/methods/files.getUploadURLExternal — `filename` and `length`
(bytes) are required, `alt_txt` (at most 1,000 characters) and `snippet_type` optional; the
answer is `upload_url` and `file_id`. The client POSTs the bytes (raw or multipart) to the
URL, then https://docs.slack.dev/reference/methods/files.completeUploadExternal takes
`files=[{"id", "title"}]` (JSON), optional `channel_id`, `thread_ts` and `initial_comment`,
and shares the file there. Both need `files:write`.

What the simulator checks beyond the documented errors (Slack processes uploads
asynchronously and is vaguer): a file completed before its bytes arrived, or with a different
size than announced, is refused with `file_not_found` / `invalid_file_size` and recorded as a
warning; completing the same file twice is `file_not_found` as well (it is no longer pending).
"""

from __future__ import annotations

import json
from typing import Any

from integrations.simulators.base import SimRequest, SimResponse
from integrations.simulators.slack.chat import require_scope, visible_channel
from integrations.simulators.slack.state import SlackFault, SlackState

ALT_TEXT_LIMIT = 1000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _files(state: SlackState) -> dict[str, dict[str, Any]]:
    return state.files


def with_uploads(sim: Any, methods: dict[str, Any]) -> dict[str, Any]:
    """A SlackSimulator's methods plus the two upload methods (the upload URL points at the
    simulator, known once started); adds the route that receives the bytes."""

    def upload(request: SimRequest) -> SimResponse:
        with sim.lock:
            status, text = receive(sim.state, request.path_args["file_id"], request.body)
        return SimResponse(status, text, content_type="text/plain; charset=utf-8")

    sim.route("POST", "/upload/{file_id}", "file_upload", upload)
    return {
        **methods,
        "files.getUploadURLExternal": lambda state, args: get_upload_url(state, args, sim.base_url),
        "files.completeUploadExternal": complete,
    }


def get_upload_url(state: SlackState, args: dict[str, Any], base_url: str) -> dict[str, Any]:
    """files.getUploadURLExternal"""
    require_scope(state, "files:write")
    filename = str(args.get("filename") or "")
    try:
        length = int(args.get("length") or 0)
    except (TypeError, ValueError):
        raise SlackFault("invalid_arguments") from None
    if not filename or length <= 0:
        raise SlackFault("missing_argument")  # "typically only when `length` is 0"
    alt = args.get("alt_txt")
    if alt is not None and len(str(alt)) > ALT_TEXT_LIMIT:
        raise SlackFault("alt_txt_too_large")
    file_id = state.next_id("F")
    _files(state)[file_id] = {
        "id": file_id,
        "name": filename,
        "length": length,
        "alt_txt": None if alt is None else str(alt),
        "snippet_type": args.get("snippet_type"),
        "content": None,
        "state": "pending",
        "created": int(state.clock()),
    }
    return {"upload_url": f"{base_url}/upload/{file_id}", "file_id": file_id}


def receive(state: SlackState, file_id: str, body: bytes) -> tuple[int, str]:
    """The POST of a file's bytes to its upload URL: (HTTP status, body text)."""
    found = _files(state).get(file_id)
    if found is None or found["state"] != "pending":
        return 404, "not found"
    found["content"] = body
    return 200, f"OK - {len(body)}"


def complete(state: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """files.completeUploadExternal"""
    require_scope(state, "files:write")
    raw = args.get("files")
    try:
        entries = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        raise SlackFault("invalid_arguments") from None
    if not isinstance(entries, list) or not entries:
        raise SlackFault("invalid_arguments")
    known = _files(state)
    chosen = []
    for entry in entries:
        found = known.get(str((entry or {}).get("id") or ""))
        if found is None or found["state"] != "pending":
            raise SlackFault("file_not_found")
        if found["content"] is None:
            state.warn("file_completed_before_upload", file=found["id"])
            raise SlackFault("file_not_found")
        if len(found["content"]) != found["length"]:
            state.warn("file_size_mismatch", file=found["id"])
            raise SlackFault("invalid_file_size")
        chosen.append((found, str(entry.get("title") or found["name"])))
    channel = None
    if args.get("channel_id"):
        channel = visible_channel(state, args["channel_id"])
        if channel["is_archived"]:
            raise SlackFault("is_archived")
        if state.bot_user_id not in channel["members"]:
            raise SlackFault("not_in_channel")  # files:write has no `.public` variant
    shared = []
    for found, title in chosen:
        found.update(state="shared", title=title, channel=channel["id"] if channel else None)
        shared.append(_public(found))
    if channel is not None:
        thread_ts = str(args["thread_ts"]) if args.get("thread_ts") else None
        record = state.store_message(
            channel["id"],
            user=state.bot_user_id,
            text=str(args.get("initial_comment") or ""),
            thread_ts=thread_ts,
            extra={"files": shared, "upload": True},
        )
        for found, _ in chosen:
            found["ts"] = record["ts"]
    return {"files": [{"id": f["id"], "title": f["title"]} for f in shared]}


def _public(found: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": found["id"],
        "name": found["name"],
        "title": found.get("title") or found["name"],
        "size": found["length"],
        "alt_txt": found["alt_txt"],
        "mimetype": "image/png" if (found["content"] or b"").startswith(PNG_MAGIC) else "",
    }


def shared_files(state: SlackState) -> list[dict[str, Any]]:
    """Every shared file (for tests): what Slack shows, plus where and whether it is a PNG."""
    out = []
    for found in _files(state).values():
        if found["state"] == "shared":
            out.append(
                {
                    **_public(found),
                    "channel": found.get("channel"),
                    "ts": found.get("ts"),
                    "png": (found["content"] or b"").startswith(PNG_MAGIC),
                    "bytes": len(found["content"] or b""),
                }
            )
    return out
