"""Which fields a Jira request asked for (`fields=*all`, `*navigable`, names, `-name`, `id`)."""

from __future__ import annotations

from collections.abc import Callable

from integrations.simulators.jira.model import FIELDS


def field_selector(specs: list[str], default: str) -> Callable[[str], bool] | None:
    """Turn `fields` parameters (`*all`, `*navigable`, names, `-name`) into a predicate.

    Returns None for "ids only" (`fields=id`, the `/search/jql` default).
    """
    tokens = [t.strip() for spec in specs for t in spec.split(",") if t.strip()]
    positive = [t for t in tokens if not t.startswith("-")]
    excluded = {t[1:] for t in tokens if t.startswith("-")}
    if not positive:
        positive = [default]
    if positive == ["id"] and not excluded:
        return None
    every = "*all" in positive
    navigable = "*navigable" in positive
    named = set(positive)

    def wanted(field_id: str) -> bool:
        if field_id in excluded:
            return False
        if every or field_id in named:
            return True
        return navigable and FIELDS.get(field_id, ("", [], True))[2]

    return wanted
