"""The one Settings object: read from the environment and `.env`, validated once, passed down."""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.render.times import WEEKDAYS, parse_clock, parse_day

SLACK_API_DEFAULT = "https://slack.com/api/"
FIX_PLACEHOLDERS = ("key", "summary", "resolution", "fix_version")
DEFAULT_FIX_TEMPLATE = (
    "Good news: the problem behind your request ({summary}) is fixed in version "
    "{fix_version}. Thank you for your patience!"
)

_EXAMPLES: dict[str, str] = {
    "SLACK_BOT_TOKEN": "xoxb-1234-5678-abcdef",
    "SLACK_SIGNING_SECRET": "8f7e6d5c4b3a29181716151413121110",
    "SLACK_APP_TOKEN": "xapp-1-A0123-456-abcdef",
    "SLACK_API_URL": SLACK_API_DEFAULT,
    "DATABASE_URL": "postgresql://supportbot@db.internal/supportbot",
    "JIRA_URL": "https://acme.atlassian.net",
    "JIRA_EMAIL": "supportbot@acme.com",
    "JIRA_PROJECT_KEY": "SUP",
    "ZENDESK_URL": "https://acme.zendesk.com",
    "ZENDESK_EMAIL": "supportbot@acme.com",
    "SUPPORT_CHANNEL": "C0123ABCD",
    "DIGEST_CHANNEL": "C0456LEADS",
    "DIGEST_DAY": "mon",
    "DIGEST_TIME": "09:00",
    "SUPPORT_LEADS": "U0123ABCD,U0456EFGH or S0123LEADS",
    "PRODUCT_OWNERS": "U0123ABCD or S0123PRODUCT",
    "PORT": "3000",
    "PUBLIC_URL": "https://supportbot.acme.com",
    "TIMEZONE": "Europe/Berlin",
    "LOG_LEVEL": "INFO",
    "LOG_FORMAT": "json",
    "SCHEDULER_TICK_SECONDS": "30",
    "OUTBOX_MAX_ATTEMPTS": "8",
    "OUTBOX_CHANNEL_RATE": "1.0",
    "OUTBOX_STALL_SECONDS": "300",
    "ACCESS_LOG": "true",
    "HELPDESK_CALLBACK_URL": "https://desk.acme.com/supportbot/callback",
    "CUSTOMER_FIX_TEMPLATE": "Fixed in {fix_version}: {summary}",
}

_SLACK_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_GROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")


class Settings(BaseSettings):
    """Every setting the app reads. Field names are the environment variable names."""

    # An empty value (`SLACK_APP_TOKEN=` as in .env.example) means "not set": the default.
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        env_ignore_empty=True,
    )

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = SLACK_API_DEFAULT
    database_url: str = "sqlite:///supportbot.db"
    jira_url: str | None = None
    jira_email: str | None = None
    jira_api_token: SecretStr | None = None
    jira_project_key: str | None = None
    jira_webhook_secret: SecretStr | None = None
    zendesk_url: str | None = None
    zendesk_email: str | None = None
    zendesk_api_token: SecretStr | None = None
    zendesk_webhook_secret: SecretStr | None = None
    helpdesk_webhook_secret: SecretStr | None = None
    # Where notes and public replies for tickets from /webhooks/helpdesk are POSTed (signed
    # with HELPDESK_WEBHOOK_SECRET); unset: those tickets take nothing from Slack.
    helpdesk_callback_url: str | None = None
    # The public reply prefilled when agents tell customers a bug is fixed (placeholders:
    # {key} {summary} {resolution} {fix_version}).
    customer_fix_template: str = DEFAULT_FIX_TEMPLATE
    # Zendesk's Update Ticket endpoint allows 100 requests a minute per account; notes and
    # public replies are paced to this budget.
    zendesk_update_rate: int = Field(default=100, ge=1, le=10000)
    support_channel: str | None = None
    # The weekly digest (bot/digest.py): channel (SUPPORT_CHANNEL when unset), day, local time.
    digest_channel: str | None = None
    digest_day: str = "mon"
    digest_time: str = "09:00"
    support_leads: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Emerging patterns (bot/insights/patterns.py): where they are raised (else DMs to the
    # leads), and how many tickets in 24 hours, at how many times the daily baseline, count.
    leads_channel: str | None = None
    pattern_min_tickets: int = Field(default=5, ge=1, le=10000)
    pattern_factor: float = Field(default=3.0, gt=0, le=1000)
    product_owners: Annotated[list[str], NoDecode] = Field(default_factory=list)
    show_requester_contact: bool = False
    # A new ticket's thread lists earlier tickets scoring at least this (0-1; 1 turns it off).
    similar_tickets_min_score: float = Field(default=0.35, ge=0, le=1)
    zendesk_backfill_hours: float = Field(default=24.0, ge=0, le=24 * 90)
    # Where people reach this server's HTTP routes (links to calendar feeds).
    public_url: str | None = None
    host: str = "0.0.0.0"  # noqa: S104 - a server listens on all interfaces by default
    port: int = Field(default=3000, ge=1, le=65535)
    timezone: str = "UTC"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    scheduler_tick_seconds: float = Field(default=30.0, gt=0, le=3600)
    outbox_max_attempts: int = Field(default=8, ge=1, le=100)
    outbox_channel_rate: float = Field(default=1.0, ge=0)
    outbox_batch_size: int = Field(default=100, ge=1, le=1000)
    # /readyz fails when the oldest undelivered Slack message has waited longer than this.
    outbox_stall_seconds: float = Field(default=300.0, gt=0)
    # One log line per HTTP request (method, path, status, duration).
    access_log: bool = False
    # `supportbot work` processes beside the one serving (PostgreSQL; unset: one per core beyond
    # the first, up to 3; 0: everything in one process). See scheduling/worker_processes.py.
    worker_processes: int | None = Field(default=None, ge=0, le=16)

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("customer_fix_template")
    @classmethod
    def _fix_template(cls, value: str) -> str:
        return check_fix_template(value)

    @field_validator("jira_url", "zendesk_url", "public_url", "helpdesk_callback_url")
    @classmethod
    def _service_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return absolute_database_url(value)

    @field_validator("support_channel", "digest_channel", "leads_channel")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not _SLACK_ID.match(value):
            raise ValueError("must be a Slack channel id like C0123ABCD (not a #name)")
        return value

    @field_validator("support_leads", "product_owners", mode="before")
    @classmethod
    def _people(cls, value: object) -> list[str]:
        if value is None or value == "":
            return []
        items = value.split(",") if isinstance(value, str) else list(value)  # type: ignore[arg-type]
        ids = [str(item).strip() for item in items if str(item).strip()]
        bad = [i for i in ids if not (_USER_ID.match(i) or _GROUP_ID.match(i))]
        if bad:
            raise ValueError(f"{', '.join(bad)} is not a Slack user id (U…) or user group id (S…)")
        if sum(1 for i in ids if _GROUP_ID.match(i)) > 1:
            raise ValueError("at most one user group id")
        return ids

    @field_validator("digest_day")
    @classmethod
    def _weekday(cls, value: str) -> str:
        try:
            return parse_day(value)
        except ValueError:
            raise ValueError(f"must be a day of the week: {', '.join(WEEKDAYS)}") from None

    @field_validator("digest_time")
    @classmethod
    def _clock(cls, value: str) -> str:
        try:
            return parse_clock(value)
        except ValueError:
            raise ValueError("must be a 24-hour time HH:MM") from None

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name") from None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    # ---- derived ----------------------------------------------------------------------------
    @property
    def socket_mode(self) -> bool:
        """True when an app-level token is set: connect through Socket Mode."""
        return self.slack_app_token is not None

    @property
    def jira_configured(self) -> bool:
        """True when every Jira setting needed to call the API is present."""
        return bool(self.jira_url and self.jira_email and self.jira_api_token)

    @property
    def zendesk_configured(self) -> bool:
        """True when every Zendesk setting needed to call the API is present."""
        return bool(self.zendesk_url and self.zendesk_email and self.zendesk_api_token)

    @property
    def helpdesk_callback_configured(self) -> bool:
        """True when tickets from the generic helpdesk can take notes and replies."""
        return bool(self.helpdesk_callback_url and self.helpdesk_webhook_secret)

    def secret(self, name: str) -> str:
        """The plain value of a secret setting, or '' when unset."""
        value = getattr(self, name)
        return value.get_secret_value() if value is not None else ""

    def incomplete(self) -> list[str]:
        """Lines naming settings that are set in part: a service half configured, a webhook
        that cannot be verified."""
        problems = []
        for service, names in (
            ("Jira", ("jira_url", "jira_email", "jira_api_token")),
            ("Zendesk", ("zendesk_url", "zendesk_email", "zendesk_api_token")),
        ):
            given = [n.upper() for n in names if getattr(self, n)]
            missing = [n.upper() for n in names if not getattr(self, n)]
            if given and missing:
                problems.append(
                    f"{', '.join(given)} set but not {', '.join(missing)}: {service} stays off "
                    "until all three are set"
                )
        if self.jira_configured and self.jira_webhook_secret is None:
            problems.append(
                "JIRA_WEBHOOK_SECRET not set: /webhooks/jira refuses Jira's webhooks, so bug "
                "changes arrive only with the 5-minute poll"
            )
        if self.helpdesk_callback_url and self.helpdesk_webhook_secret is None:
            problems.append(
                "HELPDESK_CALLBACK_URL set but not HELPDESK_WEBHOOK_SECRET: callbacks are signed "
                "with it, so the generic helpdesk takes no notes or replies until it is set"
            )
        if self.zendesk_configured and self.zendesk_webhook_secret is None:
            problems.append(
                "ZENDESK_WEBHOOK_SECRET not set: /webhooks/zendesk refuses Zendesk's webhooks, "
                "so tickets arrive only with reconciliation"
            )
        if self.worker_processes and self.database_url.startswith("sqlite"):
            problems.append(
                f"WORKER_PROCESSES={self.worker_processes} with a SQLite DATABASE_URL: SQLite "
                "runs in one process, so `supportbot run` refuses it; leave it empty or 0"
            )
        return problems

    def missing_for_run(self) -> list[str]:
        """Lines naming the settings `supportbot run` needs but does not have."""
        problems = []
        if self.slack_bot_token is None:
            problems.append(
                "SLACK_BOT_TOKEN: not set; the Bot User OAuth Token from your app's "
                "OAuth & Permissions page (example: SLACK_BOT_TOKEN=xoxb-1234-5678-abcdef)"
            )
        if self.slack_signing_secret is None and not self.socket_mode:
            problems.append(
                "SLACK_SIGNING_SECRET: not set; the Signing Secret from your app's Basic "
                "Information page (or set SLACK_APP_TOKEN=xapp-… to use Socket Mode)"
            )
        return problems


def check_fix_template(value: str) -> str:
    """A customer fix template whose placeholders are all known (ValueError names the rest)."""
    if not value.strip():
        raise ValueError("must not be empty")
    try:
        fields = [f for _, f, spec, conv in string.Formatter().parse(value) if f is not None]
        odd = [f for _, f, spec, conv in string.Formatter().parse(value) if spec or conv]
    except ValueError as err:
        raise ValueError(f"{err}; write {{{{ and }}}} for literal braces") from None
    unknown = sorted({f for f in fields if f not in FIX_PLACEHOLDERS})
    if unknown:
        names = ", ".join("{" + f + "}" for f in unknown)
        known = ", ".join("{" + f + "}" for f in FIX_PLACEHOLDERS)
        raise ValueError(f"unknown placeholder {names}; use {known}")
    if odd:
        raise ValueError("placeholders take no format spec or conversion, like {summary}")
    return value


def absolute_database_url(value: str) -> str:
    """Check a database URL; a relative SQLite path becomes absolute (from the working
    directory), so every command of one deployment opens the same file."""
    if not value.startswith(("sqlite", "postgresql", "postgres://")):
        raise ValueError("must be a sqlite:/// or postgresql:// URL")
    try:
        url = make_url(value.replace("postgres://", "postgresql://", 1))
        _ = url.port
    except (ArgumentError, ValueError):
        raise ValueError("is not a valid URL (scheme://user:password@host:port/name)") from None
    if url.get_backend_name() != "sqlite":
        if not url.database:
            raise ValueError("names no database (postgresql://user@host:5432/supportbot)")
        return value
    path = url.database or ""
    if path in ("", ":memory:") or path.startswith("file:") or Path(path).is_absolute():
        return value
    return url.set(database=str(Path(path).resolve())).render_as_string(hide_password=False)


def describe_errors(error: ValidationError) -> list[str]:
    """One line per invalid setting: which variable, what is wrong, and an example."""
    lines = []
    for item in error.errors():
        name = str(item["loc"][0]).upper() if item["loc"] else "SETTINGS"
        message = str(item["msg"]).removeprefix("Value error, ")
        example = _EXAMPLES.get(name)
        hint = f" (example: {name}={example})" if example else ""
        lines.append(f"{name}: {message}{hint}")
    return lines


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment and `.env`; raises ValidationError when invalid."""
    return Settings(**overrides)  # type: ignore[arg-type]
