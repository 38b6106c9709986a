"""Fixtures of the scheduling tests that start real processes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from replicas import scratch_database


@pytest.fixture
def scratch_url(db_url: str) -> Iterator[str]:
    """An empty, unmigrated database of its own for the processes of one test to share."""
    if not db_url.startswith("postgresql"):
        pytest.skip("processes share work through PostgreSQL only")
    with scratch_database(db_url, "supportbot_processes") as url:
        yield url
