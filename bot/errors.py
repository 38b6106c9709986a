"""The one exception type for mistakes a user can fix."""

from __future__ import annotations


class UserError(Exception):
    """A message for the user (shown ephemerally or as a modal field error)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
