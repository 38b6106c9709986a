"""The File bug and Link to bug modals, and the options of the Jira issue search.

Options come from the cached Jira metadata so the modal opens without calling Jira; with no
cache yet, the same fields are plain text inputs and Jira checks them. Limits: 100 options per
select, 75 characters of option text, 150 of option value, 3,000 of `private_metadata` and of a
plain text input (docs.slack.dev/reference/block-kit/block-elements).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.ids import Action, View
from bot.ids import BugField as F
from bot.render.blocks import (
    OPTION_TEXT,
    SURFACE_BLOCKS,
    Block,
    actions,
    button,
    context,
    cut,
    escape,
    plain,
)

MAX_OPTIONS = 100
ERROR_VALUE = "!error"
INPUT_LIMIT = 3000


@dataclass(frozen=True)
class Message:
    """A thread message offered for quoting."""

    ts: str
    author: str
    text: str


@dataclass(frozen=True)
class FileForm:
    """What the File bug modal starts with."""

    ticket_id: int
    ticket_label: str
    channel: str
    thread_ts: str
    summary: str
    description: str
    project: str | None
    issue_type: str = "Bug"
    priority: str | None = None
    components: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    chosen: list[str] = field(default_factory=list)
    meta: dict[str, Any] | None = None
    refused: str | None = None
    # One bug for all the tickets of an emerging pattern (its id), and how many they are.
    pattern: int | None = None
    pattern_tickets: int = 0


def _option(value: str, text: str, description: str | None = None) -> Block:
    option: Block = {"text": plain(text, OPTION_TEXT), "value": cut(value, 150, "")}
    if description:
        option["description"] = plain(description, OPTION_TEXT)
    return option


def _input(block_id: str, label: str, element: Block, *, optional: bool = False) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": {"action_id": block_id, **element},
        "optional": optional,
    }


def _text(initial: str | None, *, multiline: bool = False, limit: int = INPUT_LIMIT) -> Block:
    element: Block = {"type": "plain_text_input", "max_length": limit}
    if multiline:
        element["multiline"] = True
    if initial:
        element["initial_value"] = cut(initial, limit, "")
    return element


def _select(options: list[Block], initial: str | None) -> Block:
    element: Block = {"type": "static_select", "options": options[:MAX_OPTIONS]}
    chosen = next((o for o in element["options"] if o["value"] == initial), None)
    if chosen is not None:
        element["initial_option"] = chosen
    return element


def _metadata(form: FileForm | LinkForm) -> str:
    meta: dict[str, Any] = {
        "ticket": form.ticket_id,
        "channel": form.channel,
        "thread_ts": form.thread_ts,
    }
    if isinstance(form, FileForm) and form.pattern is not None:
        meta["pattern"] = form.pattern
    return json.dumps(meta)


def _modal(callback: str, title: str, submit: str, blocks: list[Block], meta: str) -> dict:
    return {
        "type": "modal",
        "callback_id": callback,
        "title": plain(title, 24),
        "submit": plain(submit, 24),
        "close": plain("Cancel", 24),
        "private_metadata": meta,
        "blocks": blocks[:SURFACE_BLOCKS],
    }


def file_form(form: FileForm) -> dict[str, Any]:
    """The File bug modal, prefilled from the ticket (or from a filing Jira refused)."""
    intro = f"Files a Jira issue for *{escape(form.ticket_label)}*; the thread gets its link, and "
    intro += "everyone linked hears when it is fixed."
    if form.pattern is not None:
        intro = (
            f"Files one Jira issue for all {form.pattern_tickets} tickets of this pattern: each "
            "is linked to it, each thread gets its link, and everyone hears when it is fixed."
        )
    blocks: list[Block] = [context(intro)]
    if form.refused:
        blocks.append(context(f":x: Jira refused the last attempt: {escape(form.refused)}"))
    blocks.append(_input(F.SUMMARY, "Summary", _text(form.summary, limit=255)))
    blocks.append(
        _input(F.DESCRIPTION, "Description", _text(form.description, multiline=True), optional=True)
    )
    if form.messages:
        options = [
            _option(m.ts, f"{m.author}: {m.text}".replace("\n", " ")) for m in form.messages[-10:]
        ]
        element: Block = {"type": "checkboxes", "options": options}
        initial = [o for o in options if o["value"] in form.chosen]
        if initial:
            element["initial_options"] = initial
        blocks.append(
            _input(F.MESSAGES, "Quote thread messages in the description", element, optional=True)
        )
    blocks += _jira_fields(form)
    blocks.append(
        _input(
            F.LABELS,
            "Labels (separated by spaces or commas)",
            _text(" ".join(form.labels), limit=500),
            optional=True,
        )
    )
    if form.pattern is None:
        blocks.append(
            actions(
                button("Link to an existing bug instead", Action.BUG_LINK_INSTEAD, value="link")
            )
        )
    return _modal(View.BUG_FILE_FORM, "File a Jira bug", "File bug", blocks, _metadata(form))


def _jira_fields(form: FileForm) -> list[Block]:
    """Project, issue type, priority and components: selects from the cache, else text."""
    projects = [p for p in (form.meta or {}).get("projects") or [] if p.get("key")]
    priorities = list((form.meta or {}).get("priorities") or [])
    if not projects:
        return [
            _input(F.PROJECT, "Jira project key", _text(form.project or "", limit=40)),
            _input(F.ISSUE_TYPE, "Issue type", _text(form.issue_type, limit=60)),
            _input(F.PRIORITY, "Priority", _text(form.priority, limit=60), optional=True),
            _input(
                F.COMPONENTS,
                "Components (separated by commas)",
                _text(", ".join(form.components), limit=500),
                optional=True,
            ),
        ]
    blocks = [
        _input(
            F.PROJECT,
            "Jira project",
            _select(
                [_option(p["key"], f"{p['key']} · {p.get('name') or p['key']}") for p in projects],
                form.project or projects[0]["key"],
            ),
        )
    ]
    types = list(dict.fromkeys(t for p in projects for t in p.get("issue_types") or []))
    blocks.append(
        _input(
            F.ISSUE_TYPE,
            "Issue type",
            _select([_option(t, t) for t in types], form.issue_type) if types else _text("Bug"),
        )
    )
    if priorities:
        blocks.append(
            _input(
                F.PRIORITY,
                "Priority",
                _select([_option(p, p) for p in priorities], form.priority),
                optional=True,
            )
        )
    groups = []
    room = MAX_OPTIONS
    for project in projects:
        names = list(project.get("components") or [])[:room]
        if names:
            options = [_option(f"{project['key']}:{n}", n) for n in names]
            groups.append({"label": plain(project["key"], 75), "options": options})
            room -= len(names)
    if groups:
        element: Block = {"type": "multi_static_select", "option_groups": groups}
        chosen = [o for g in groups for o in g["options"] if o["value"] in form.components]
        if chosen:
            element["initial_options"] = chosen
        blocks.append(_input(F.COMPONENTS, "Components", element, optional=True))
    return blocks


@dataclass(frozen=True)
class LinkForm:
    """What the Link to bug modal shows."""

    ticket_id: int
    ticket_label: str
    channel: str
    thread_ts: str
    linked: list[tuple[str, str, str | None]] = field(default_factory=list)  # key, summary, status


def link_form(form: LinkForm) -> dict[str, Any]:
    """Pick a Jira issue by key or words; unlink the ticket from bugs it is linked to."""
    blocks: list[Block] = [
        context(
            f"Links *{escape(form.ticket_label)}* to a Jira issue: the issue gets a link and a "
            "comment naming the ticket, and the thread hears when it is fixed."
        ),
        {
            "type": "input",
            "block_id": F.PICK,
            "label": plain("Jira issue", 2000),
            "optional": bool(form.linked),
            "element": {
                "type": "external_select",
                "action_id": Action.BUG_SEARCH,
                "placeholder": plain("A key like SUP-12, or words from its summary", 150),
                "min_query_length": 2,
            },
        },
    ]
    if form.linked:
        options = [
            _option(key, f"{key} · {summary}", status or None)
            for key, summary, status in form.linked[:MAX_OPTIONS]
        ]
        blocks.append(
            _input(
                F.UNLINK,
                "Unlink this ticket from",
                {"type": "checkboxes", "options": options[:10]}
                if len(options) <= 10
                else {"type": "multi_static_select", "options": options},
                optional=True,
            )
        )
    return _modal(View.BUG_LINK_FORM, "Link to a Jira bug", "Save", blocks, _metadata(form))


def search_options(issues: Sequence[tuple[str, str, str | None]]) -> list[Block]:
    """External select options: `KEY · summary` with the status as description."""
    return [
        _option(key, f"{key} · {summary}", status or None) for key, summary, status in issues[:100]
    ]


def search_failed(reason: str) -> list[Block]:
    """A single, unpickable-looking option saying why the search found nothing."""
    return [_option(ERROR_VALUE, f"⚠ Jira search failed: {reason}")]
