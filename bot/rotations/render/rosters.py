"""Answers to `/support rotation|shifts|noshows|ooo`: schedules, records, lists (ephemeral)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.render.blocks import (
    SECTION_TEXT,
    Block,
    Message,
    context,
    escape,
    fallback,
    fit_blocks,
    header,
    section,
)
from bot.render.times import minutes_text, slack_span, slack_time
from bot.rotations.models import OutOfOffice, Rotation, ShiftAssignment
from bot.rotations.roster import OnShift, Report, RotationView, ShiftView, Tally


def _sections(lines: Sequence[str]) -> list[Block]:
    """Lines packed into as few sections as Slack's 3,000-character limit allows."""
    blocks: list[Block] = []
    chunk: list[str] = []
    size = 0
    for line in lines:
        if chunk and size + len(line) + 1 > SECTION_TEXT - 100:
            blocks.append(section("\n".join(chunk)))
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
    if chunk:
        blocks.append(section("\n".join(chunk)))
    return blocks


def seat_list(view: ShiftView, *, attendance: bool) -> str:
    """`<@U1> (checked in), <@U2>` for a shift's seats."""
    parts = []
    for item in view.seats:
        who = f"<@{item.seat.user_id}>" if item.seat.user_id else "_unfilled_"
        notes = []
        if attendance or item.label not in ("upcoming", "unfilled"):
            notes.append(item.label)
        if item.swapped_from:
            notes.append(f"swapped from <@{item.swapped_from}>")
        parts.append(f"{who} ({', '.join(notes)})" if notes else who)
    return ", ".join(parts) or "nobody"


def _pattern(rotation: Rotation) -> str:
    pattern = rotation.pattern or {}
    length = minutes_text(rotation.length_minutes or 0)
    if pattern.get("rrule"):
        return f"`{escape(pattern['rrule'])}` for {length}"
    if pattern.get("days"):
        every = pattern.get("every_weeks") or 1
        weeks = "every week" if every == 1 else f"every {every} weeks"
        return f"{', '.join(pattern['days'])} at {pattern.get('start')} for {length}, {weeks}"
    return "fixed shifts only"


def rotation_list(rotations: Sequence[Rotation]) -> Message:
    """Every rotation with its status, pattern and channel."""
    if not rotations:
        text = "No rotations yet. Create one with `/support rotation create`."
        return text, [section(text)]
    lines = [
        f"• *{escape(r.name)}* ({r.status}) — {_pattern(r)} ({escape(r.timezone)}), "
        f"{r.people_per_shift} per shift, posts in <#{r.channel}>"
        for r in rotations
    ]
    return fallback("Rotations: " + ", ".join(escape(r.name) for r in rotations)), fit_blocks(
        [header("Rotations"), *_sections(lines)]
    )


def rotation_saved(
    rotation: Rotation, created: bool, changed: Sequence[str], view: RotationView
) -> Message:
    """Confirmation DM after saving the modal: what changed and the next shifts."""
    if created:
        head = (
            f":white_check_mark: Rotation *{escape(rotation.name)}* created: {_pattern(rotation)}."
        )
    elif changed:
        head = (
            f":white_check_mark: Rotation *{escape(rotation.name)}* updated ({', '.join(changed)})."
        )
    else:
        head = f"Rotation *{escape(rotation.name)}* saved; nothing changed."
    tz = rotation.timezone
    lines = [
        f"• {slack_span(v.shift.starts_at, v.shift.ends_at, tz)}: {seat_list(v, attendance=False)}"
        for v in view.upcoming[:10]
    ]
    blocks = [section(head), *(_sections(["*Next shifts*", *lines]) if lines else [])]
    return fallback(head), fit_blocks(blocks)


def status_changed(rotation: Rotation, count: int) -> Message:
    """After pause, resume or archive."""
    if rotation.status == "active":
        text = f":arrow_forward: *{escape(rotation.name)}* resumed; {count} shift(s) planned."
    else:
        text = (
            f":double_vertical_bar: *{escape(rotation.name)}* is {rotation.status}; "
            f"{count} upcoming shift(s) cancelled."
        )
    return fallback(text), [section(text)]


def rotation_view(view: RotationView) -> Message:
    """On now, next, the upcoming schedule and recent attendance of one rotation."""
    rotation = view.rotation
    tz = rotation.timezone
    blocks: list[Block] = [
        header(f"{rotation.name} ({rotation.status})"),
        context(f"{_pattern(rotation)} ({escape(tz)}) · posts in <#{rotation.channel}>"),
    ]
    now_lines = [
        f"*On now* ({slack_span(v.shift.starts_at, v.shift.ends_at, tz)}): "
        f"{seat_list(v, attendance=True)}"
        for v in view.now
    ] or ["*On now*: nobody"]
    if view.upcoming:
        nxt = view.upcoming[0]
        when = slack_span(nxt.shift.starts_at, nxt.shift.ends_at, tz)
        now_lines.append(f"*Next* ({when}): {seat_list(nxt, attendance=False)}")
    blocks += _sections(now_lines)
    upcoming = [
        f"• #{v.shift.id} {slack_span(v.shift.starts_at, v.shift.ends_at, tz)}: "
        f"{seat_list(v, attendance=False)}"
        for v in view.upcoming
    ]
    if upcoming:
        blocks += _sections(["*Upcoming*", *upcoming])
    recent = [
        f"• {slack_span(v.shift.starts_at, v.shift.ends_at, tz)}: {seat_list(v, attendance=True)}"
        for v in view.recent
    ]
    if recent:
        blocks += _sections(["*Recent attendance*", *recent])
    return fallback(f"{escape(rotation.name)}: " + " ".join(now_lines)), fit_blocks(blocks)


def overview(views: Sequence[OnShift]) -> Message:
    """Who is on now and next in every active rotation."""
    if not views:
        text = "No active rotations. Leads create one with `/support rotation create`."
        return text, [section(text)]
    lines = []
    for view in views:
        tz = view.rotation.timezone
        now = "; ".join(seat_list(v, attendance=True) for v in view.now) or "nobody"
        nxt = (
            f"{seat_list(view.next, attendance=False)} "
            f"({slack_span(view.next.shift.starts_at, view.next.shift.ends_at, tz)})"
            if view.next
            else "nothing planned"
        )
        lines.append(f"• *{escape(view.rotation.name)}* — on now: {now} · next: {nxt}")
    blocks = [
        header("Who is on support"),
        *_sections(lines),
        context("`/support shifts <rotation>` shows a schedule; `/support shifts me` yours."),
    ]
    return fallback("Who is on support: " + " ".join(lines)), fit_blocks(blocks)


def my_shifts(seats: Sequence[tuple[ShiftAssignment, Rotation]], tz: str, now: datetime) -> Message:
    """The caller's current and upcoming shifts, with the numbers `/support swap` takes."""
    if not seats:
        text = "You have no upcoming shifts."
        return text, [section(text)]
    lines = []
    for seat, rotation in seats:
        current = " — *on now*" if seat.starts_at <= now else ""
        state = "" if seat.state == "scheduled" else f" ({seat.state.replace('_', ' ')})"
        when = slack_span(seat.starts_at, seat.ends_at, tz)
        lines.append(f"• #{seat.shift_id} *{escape(rotation.name)}* {when}{state}{current}")
    blocks = [
        header("Your shifts"),
        *_sections(lines),
        context("Times are in your time zone. `/support swap <#>` offers one to colleagues."),
    ]
    return fallback("Your shifts: " + " ".join(lines)), fit_blocks(blocks)


def _tally(name: str, tally: Tally) -> str:
    return (
        f"• {name}: {tally.shifts} shift(s), {tally.no_shows} no-show(s) "
        f"({tally.rate(tally.no_shows)}), {tally.late} late ({tally.rate(tally.late)})"
    )


def noshow_report(report: Report, team_names: dict[str, str]) -> Message:
    """No-shows and late check-ins per person and per team, with rates."""
    scope = f"*{escape(report.rotation.name)}*" if report.rotation else "all rotations"
    title = f"No-shows in {scope}, {slack_time(report.since)} – {slack_time(report.until)}"
    people = sorted(report.people.items(), key=lambda kv: (-kv[1].no_shows, -kv[1].late, kv[0]))
    person_lines = [_tally(f"<@{user}>", t) for user, t in people if t.shifts]
    team_lines = [
        _tally(escape(team_names.get(team, team)), t) for team, t in sorted(report.teams.items())
    ]
    if not person_lines:
        text = f"{title}: no finished shifts in that period."
        return fallback(text), [section(text)]
    blocks = [
        section(title),
        *_sections(["*Per person*", *person_lines]),
        *_sections(["*Per team*", *team_lines]),
        context("A no-show never checked in (covered or not); late checked in after the window."),
    ]
    return fallback(title), fit_blocks(blocks)


def ooo_added(
    entry: OutOfOffice, moved: Sequence[ShiftAssignment], kept: Sequence[ShiftAssignment], tz: str
) -> Message:
    """After `/support ooo add`: the range, and what happened to shifts in it."""
    lines = [f":palm_tree: Out of office #{entry.id} recorded: {_days(entry)}."]
    lines += [
        f"• handed on: shift #{s.shift_id} {slack_span(s.starts_at, s.ends_at, tz)}" for s in moved
    ]
    lines += [
        f"• nobody else is free for shift #{s.shift_id} {slack_span(s.starts_at, s.ends_at, tz)}: "
        f"`/support swap {s.shift_id}` or ask your lead"
        for s in kept
    ]
    return fallback(lines[0]), fit_blocks(_sections(lines))


def ooo_list(entries: Sequence[OutOfOffice]) -> Message:
    """The caller's current and future time away."""
    if not entries:
        text = (
            "You have no out-of-office time recorded. Add some with `/support ooo add <from> <to>`."
        )
        return text, [section(text)]
    lines = [f"• #{e.id} {_days(e)}{' — ' + escape(e.note) if e.note else ''}" for e in entries]
    return fallback("Out of office: " + " ".join(lines)), fit_blocks(
        [
            *_sections(["*Your time away*", *lines]),
            context("`/support ooo remove <#>` deletes one."),
        ]
    )


def _days(entry: OutOfOffice) -> str:
    if entry.first_day == entry.last_day:
        return entry.first_day.isoformat()
    return f"{entry.first_day.isoformat()} to {entry.last_day.isoformat()}"


def calendar_link(url: str, rotation: str | None) -> Message:
    """The private feed link, shown once (only its hash is kept)."""
    what = f"*{escape(rotation)}*'s shifts" if rotation else "your shifts in every rotation"
    text = (
        f":calendar: Your private calendar link for {what}: <{url}>\n"
        "Subscribe to it from Google Calendar (Other calendars → From URL), Outlook "
        "(Add calendar → Subscribe from web) or Apple Calendar (File → New Calendar "
        "Subscription); it follows swaps and covers. Anyone with the link sees these shifts: "
        "`/support calendar reset` revokes every link you were given. Earlier links keep "
        "working until then."
    )
    return fallback(text), [section(text)]


def calendar_revoked(count: int) -> Message:
    """After `/support calendar reset`."""
    if not count:
        text = "You had no calendar links to revoke."
    else:
        text = (
            f":lock: Revoked {count} calendar link{'s' if count != 1 else ''}; they now show "
            "nothing. `/support calendar` gives you a new one."
        )
    return fallback(text), [section(text)]
