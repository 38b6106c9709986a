"""Every Slack command, shortcut, event, action, block and callback id the app uses."""

from __future__ import annotations

from enum import StrEnum


class Command(StrEnum):
    """Slash commands."""

    SUPPORT = "/support"


class Event(StrEnum):
    """Events API event types the app subscribes to."""

    APP_HOME_OPENED = "app_home_opened"
    MESSAGE = "message"


class Shortcut(StrEnum):
    """Global and message shortcut callback ids."""

    SEND_TO_TICKET = "send_to_ticket"
    FILE_BUG = "file_bug"
    LINK_BUG = "link_bug"
    ASK_ENGINEER = "ask_engineer"


class Action(StrEnum):
    """Block action ids."""

    HOME_REFRESH = "home_refresh"
    TICKET_OPEN = "ticket_open"
    SHIFT_CHECKIN = "shift_checkin"
    SHIFT_CANT_MAKE_IT = "shift_cant_make_it"
    SHIFT_TAKE = "shift_take"
    BUG_FILE = "bug_file"
    BUG_LINK_INSTEAD = "bug_link_instead"
    BUG_UNLINK = "bug_unlink"
    BUG_LINK_SIMILAR = "bug_link_similar"
    BUG_OPEN = "bug_open"
    BUG_SEARCH = "bug_search"
    QUESTION_ASK = "question_ask"
    QUESTION_TAKE = "question_take"
    HANDOFF_OPEN = "handoff_open"
    PATTERN_FILE = "pattern_file"
    CUSTOMERS_TELL = "customers_tell"


class View(StrEnum):
    """Modal callback ids."""

    ROTATION_FORM = "rotation_form"
    BUG_FILE_FORM = "bug_file_form"
    BUG_LINK_FORM = "bug_link_form"
    QUESTION_FORM = "question_form"
    HANDOFF_FORM = "handoff_form"
    CUSTOMERS_FORM = "customers_form"


class RotationField(StrEnum):
    """Block ids (and action ids) of the rotation modal's inputs."""

    NAME = "rotation_name"
    CHANNEL = "rotation_channel"
    TIMEZONE = "rotation_timezone"
    DAYS = "rotation_days"
    START = "rotation_start"
    LENGTH = "rotation_length"
    EVERY_WEEKS = "rotation_every_weeks"
    RRULE = "rotation_rrule"
    PEOPLE = "rotation_people"
    TEAMS = "rotation_teams"
    USERS = "rotation_users"
    REMINDERS = "rotation_reminders"
    CHECKIN_BEFORE = "rotation_checkin_before"
    CHECKIN_AFTER = "rotation_checkin_after"
    LEADS = "rotation_leads"
    LEAD_GROUPS = "rotation_lead_groups"
    HOLIDAYS = "rotation_holidays"
    AREAS = "rotation_areas"
    ESCALATION = "rotation_escalation"
    USERGROUP = "rotation_usergroup"
    TOPIC = "rotation_topic"


class BugField(StrEnum):
    """Block ids (and action ids) of the File bug and Link to bug modals' inputs."""

    SUMMARY = "bug_summary"
    DESCRIPTION = "bug_description"
    PROJECT = "bug_project"
    ISSUE_TYPE = "bug_issue_type"
    PRIORITY = "bug_priority"
    COMPONENTS = "bug_components"
    LABELS = "bug_labels"
    MESSAGES = "bug_messages"
    PICK = "bug_pick"
    UNLINK = "bug_unlink_keys"


class CustomerField(StrEnum):
    """Block ids (and action ids) of the Tell the customers modal's inputs."""

    REPLY = "customers_reply"
    TICKETS = "customers_tickets"  # one block per 10 tickets: customers_tickets_0, _1, …
    OTHERS = "customers_others"
    STATUS = "customers_status"


class QuestionField(StrEnum):
    """Block ids (and action ids) of the Ask an engineer and Hand off modals' inputs."""

    AREA = "question_area"
    TEXT = "question_text"
    HANDOFF_NOTE = "handoff_note"
