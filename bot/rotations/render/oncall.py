"""Who is on shift, as Slack shows it: the channel topic, and the leads' note when Slack refuses
to update the on-shift user group or topic."""

from __future__ import annotations

from collections.abc import Sequence

from bot.render.blocks import Message, escape, fallback, section
from bot.rotations.models import Rotation

# What each refusal means for a lead, and what to do (error codes of usergroups.users.update,
# usergroups.enable/disable and conversations.setTopic on https://docs.slack.dev/reference).
REASONS = {
    "missing_scope": "the app lacks the scope: add it from app_manifest.yml and reinstall",
    "no_such_subteam": "the user group no longer exists: pick another in the rotation",
    "permission_denied": (
        "this workspace lets only some people manage user groups: allow the app, "
        "or pick a group it may edit"
    ),
    "plan_upgrade_required": "user groups need a paid Slack plan",
    "invalid_users": "Slack refused someone on shift (deactivated?)",
    "failed_for_some_users": "someone on shift is not in this workspace",
    "not_in_channel": "invite the app to the channel",
    "channel_not_found": "the channel is gone or private without the app in it",
    "is_archived": "the channel is archived",
    "too_long": "the topic was too long",
}


def topic(names: Sequence[str]) -> str:
    """The channel topic: who is on support now (plain text; topics show no formatting)."""
    if not names:
        return "Nobody is on support right now."
    return "On support now: " + ", ".join(names)


def sync_refused(rotation: Rotation, target: str, ref: str, error: str) -> Message:
    """To the leads: Slack refused to update the on-shift group or topic (told once)."""
    what = f"<!subteam^{ref}>" if target == "usergroup" else f"the topic of <#{ref}>"
    why = REASONS.get(error, "see Slack's answer")
    text = (
        f":warning: I could not update {what} for *{escape(rotation.name)}* "
        f"(Slack said `{escape(error)}`: {why}). I will try again within the hour."
    )
    return fallback(text), [section(text)]
