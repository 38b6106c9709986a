"""JQL values for the Jira simulator: dates and periods, `~` text matching, and JQL errors.

Dates take Jira's formats (`"yyyy-MM-dd HH:mm"`, `"yyyy/MM/dd"`, ...) or periods like `-5m`,
`-2d`, `4w 2d`, read in UTC; `~` matches every word (stemmed, `abc*` as a prefix) or a quoted
phrase.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

PERIOD = re.compile(r"^([-+]?)\s*((?:\d+\s*[wdhm]\s*)+)$")
DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")
UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60}


class JqlError(Exception):
    """A query Jira would refuse with 400; `message` goes into `errorMessages`."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_date(value: str, name: str, now: float) -> float:
    """A JQL date or period as Unix seconds (minute precision, UTC)."""
    period = PERIOD.match(value.strip())
    if period:
        seconds = sum(
            int(n) * UNIT_SECONDS[u] for n, u in re.findall(r"(\d+)\s*([wdhm])", period.group(2))
        )
        return now - seconds if period.group(1) == "-" else now + seconds
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value.strip(), fmt).replace(tzinfo=UTC).timestamp()
        except ValueError:
            continue
    raise JqlError(
        f"Date value '{value}' for field '{name}' is invalid. Valid formats include: "
        "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format "
        "e.g. '-5d', '4w 2d'."
    )


def search_terms(value: str) -> list[str]:
    """The words (and `*`/`?` wildcards) of a `~` operand, lower-cased."""
    return re.findall(r"[\w'*?-]+", value.lower())


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def text_matches(haystack: str, needle: str) -> bool:
    """Jira-like `~`: every word must occur (stemmed, `abc*` as prefix); `"..."` is a phrase."""
    needle = needle.strip()
    if len(needle) >= 2 and needle[0] == needle[-1] == '"':
        return needle[1:-1].lower() in haystack.lower()
    words = set(re.findall(r"[\w'-]+", haystack.lower()))
    stems = {_stem(w) for w in words}
    for term in search_terms(needle):
        if term.endswith("*"):
            if not any(w.startswith(term.rstrip("*")) for w in words):
                return False
        elif term not in words and _stem(term) not in stems:
            return False
    return True
