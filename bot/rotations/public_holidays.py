"""Public holidays by country (and subdivision) from the `holidays` package.

A rotation names a calendar as an ISO 3166 code, `DE`, or with an ISO 3166-2 subdivision,
`DE-BY`; no shift is planned on those days, on top of the rotation's explicit dates.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date

import holidays


def split(code: str) -> tuple[str, str | None]:
    """(country, subdivision or None) of `DE` or `DE-BY`."""
    country, _, subdiv = code.strip().partition("-")
    return country.upper(), (subdiv or None)


def problem(code: str) -> str | None:
    """Why `code` names no holiday calendar, or None when it does."""
    country, subdiv = split(code)
    supported = holidays.list_supported_countries()
    if country not in supported:
        return (
            f"unknown holiday calendar {code!r}: give an ISO 3166 country code like DE, "
            "optionally with a subdivision like DE-BY"
        )
    if subdiv is not None:
        known = {s.upper(): s for s in supported[country]}
        if subdiv.upper() not in known:
            listed = ", ".join(supported[country][:20]) or "none"
            return (
                f"unknown subdivision {subdiv!r} of {country} in holiday calendar {code!r} "
                f"(known: {listed})"
            )
    return None


@functools.lru_cache(maxsize=256)
def _year(code: str, year: int) -> frozenset[date]:
    country, subdiv = split(code)
    if subdiv is not None:
        subdiv = next(
            s for s in holidays.list_supported_countries()[country] if s.upper() == subdiv.upper()
        )
    return frozenset(holidays.country_holidays(country, subdiv=subdiv, years=year).keys())


def days(code: str | None, years: Iterable[int]) -> set[date]:
    """The public holidays of the calendar in the given years (empty without a calendar)."""
    if not code:
        return set()
    found: set[date] = set()
    for year in years:
        found |= _year(code, year)
    return found
