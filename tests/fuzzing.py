"""Fuzzing the endpoints: real payloads mutated by Hypothesis, sent signed, and the app watched.

Profiles (HYPOTHESIS_PROFILE): `ci` (the default) is derandomized with a bounded number of
examples per endpoint; `long` draws many more, at random, for a local run (see README).
Every request sent is counted per endpoint and status; tests/conftest.py prints the counts.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Planted in every seed: no refusal line, warning or error may ever repeat it.
CANARY = "CANARY-b0d7"

_RELAXED = [
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.filter_too_much,
    HealthCheck.large_base_example,
    HealthCheck.function_scoped_fixture,
]
settings.register_profile(
    "ci",
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")),
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=_RELAXED,
    print_blob=False,
)
settings.register_profile(
    "long",
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "3000")),
    deadline=None,
    suppress_health_check=_RELAXED,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# (endpoint, status) -> requests sent, for the summary at the end of the run.
SENT: Counter[tuple[str, int]] = Counter()


def summary() -> list[str]:
    """One line per endpoint: requests sent, by status."""
    lines = []
    for endpoint in sorted({e for e, _ in SENT}):
        statuses = {s: n for (e, s), n in SENT.items() if e == endpoint}
        shown = ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items()))
        lines.append(f"{endpoint}: {sum(statuses.values())} requests ({shown})")
    return lines


def count(endpoint: str, status: int) -> int:
    """Note one request sent to `endpoint`; returns the status."""
    SENT[(endpoint, status)] += 1
    return status


# Slack refusing a call that names a stale or made-up trigger or view: what a mutated (or a
# replayed) interaction leads to; the app logs one line with Slack's error code and apologises.
STALE = re.compile(
    r"^slack\.call_failed .* error=(invalid_trigger_id|exchanged_trigger_id|expired_trigger_id"
    r"|invalid_arguments|not_found|hash_conflict)$"
)


# ---- what the app logged --------------------------------------------------------------------


class Watch(logging.Handler):
    """Collects log records while a fuzz run is on: refusals, and anything worse."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def take(self) -> list[logging.LogRecord]:
        """The records since the last call."""
        taken, self.records = self.records, []
        return taken


@contextmanager
def watching() -> Iterator[Watch]:
    """Record what the app logs (refusals at INFO; warnings and errors from everything)."""
    watch = Watch()
    refused = logging.getLogger("supportbot.refused")
    level = refused.level
    refused.setLevel(logging.INFO)
    roots = [logging.getLogger(), logging.getLogger("uvicorn"), logging.getLogger("uvicorn.error")]
    for logger in roots:
        logger.addHandler(watch)
    try:
        yield watch
    finally:
        for logger in roots:
            logger.removeHandler(watch)
        refused.setLevel(level)


def check_logs(watch: Watch, endpoint: str, status: int) -> None:
    """No traceback, warning or error; exactly one refusal line for a refused request, naming
    the endpoint and repeating nothing of the body."""
    records = watch.take()
    trouble = [
        r
        for r in records
        if (r.levelno >= logging.WARNING or r.exc_info) and not STALE.search(r.getMessage())
    ]
    assert not trouble, "the app logged:\n" + "\n".join(
        f"{r.levelname} {r.name}: {r.getMessage()[:300]}"
        + (f" [{r.exc_info[0].__name__}: {r.exc_info[1]}]" if r.exc_info and r.exc_info[0] else "")
        for r in trouble
    )
    refusals = [r.getMessage() for r in records if r.name == "supportbot.refused"]
    assert all(CANARY not in line for line in refusals), refusals
    if 400 <= status < 500:
        assert len(refusals) == 1, (status, refusals)
        assert f"endpoint={endpoint} status={status} " in refusals[0], refusals
    else:
        assert refusals == [], (status, refusals)


# ---- mutations ------------------------------------------------------------------------------

ODD_STRINGS = [
    "",
    " ",
    "\x00",
    "\ud800",
    "a\udfffb",
    "\u202eevil",
    "<!channel>",
    "%s%n%x",
    "'; DROP TABLE tickets; --",
    "1e400",
    "NaN",
    "-1",
    "0",
    "²",
    "９９",
    "99999999999999999999999",
    "null",
    "{}",
    "[]",
    '{"ticket": "x"}',
    "U0AGENT",
    "C0SUPPORT",
    "1700000000.000100",
    "99999999999.999999",
    "zen:ticket:1",
    "zen:event-type:ticket.created",
    "SUP-1",
    "2026-13-45T99:99:99Z",
    "2026-01-01T10:00:00Z",
    "\n\t\r",
    CANARY,
]
TEXT = st.one_of(
    st.sampled_from(ODD_STRINGS),
    st.text(max_size=30),
    st.text(alphabet=st.characters(codec=None, categories=["Cs", "Cc", "Nd", "No"]), max_size=8),
    st.builds(
        lambda ch, n: ch * n,
        st.sampled_from(["x", "é", "<", "9"]),
        st.sampled_from([256, 3_001, 40_001, 200_000]),
    ),
    st.sampled_from(["😀" * 300, "x" * 1_100_000]),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**31), max_value=2**31),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(),
    TEXT,
)
VALUES = st.recursive(
    SCALARS,
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(TEXT, kids, max_size=3),
    max_leaves=6,
)


@dataclass(frozen=True)
class Deep:
    """A value nested `depth` levels deep, written out only as JSON text (Python's own
    encoder, like its decoder, would recurse out of stack)."""

    depth: int
    kind: str

    def text(self) -> str:
        """The JSON text."""
        if self.kind == "list":
            return "[" * self.depth + "1" + "]" * self.depth
        return '{"a":' * self.depth + "1" + "}" * self.depth


DEEP = st.builds(
    Deep, st.sampled_from([10, 70, 900, 3_000, 20_000]), st.sampled_from(["list", "dict"])
)

Path = tuple[Any, ...]


def paths(tree: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every path into a JSON tree (the root included)."""
    yield prefix
    if isinstance(tree, dict):
        for key, child in tree.items():
            yield from paths(child, (*prefix, key))
    elif isinstance(tree, list):
        for index, child in enumerate(tree):
            yield from paths(child, (*prefix, index))


def _at(tree: Any, path: Path) -> Any:
    for step in path:
        tree = tree[step]
    return tree


def _replace(tree: Any, path: Path, value: Any) -> Any:
    if not path:
        return value
    _at(tree, path[:-1])[path[-1]] = value
    return tree


def _drop(tree: Any, path: Path) -> Any:
    if not path:
        return {}
    parent = _at(tree, path[:-1])
    del parent[path[-1]]
    return tree


@st.composite
def mutated(draw: st.DrawFn, seed: Any, max_changes: int = 3) -> Any:
    """A real payload with one to `max_changes` changes: fields dropped, values replaced by
    other types, odd or huge strings, deep nesting, extra keys, or a part moved elsewhere."""
    tree = copy.deepcopy(seed)
    for _ in range(draw(st.integers(1, max_changes))):
        path = draw(st.sampled_from(list(paths(tree))[1:] or [()]))
        op = draw(st.sampled_from(["drop", "value", "text", "deep", "add", "empty", "move"]))
        if op == "drop":
            tree = _drop(tree, path)
        elif op == "value":
            tree = _replace(tree, path, draw(VALUES))
        elif op == "text":
            tree = _replace(tree, path, draw(TEXT))
        elif op == "deep":
            tree = _replace(tree, path, draw(DEEP))
        elif op == "empty":
            tree = _replace(tree, path, draw(st.sampled_from([{}, [], "", None, 0])))
        elif op == "move":
            other = draw(st.sampled_from(list(paths(tree))))
            tree = _replace(tree, path, copy.deepcopy(_at(tree, other)))
        else:
            target = _at(tree, path)
            if isinstance(target, dict):
                target[draw(TEXT)] = draw(VALUES)
            elif isinstance(target, list):
                target.append(draw(VALUES))
            else:
                tree = _replace(tree, path, [target, draw(VALUES)])
    return tree


def dumps(value: Any, ascii_only: bool = True) -> bytes:
    """JSON text of a value (NaN and Infinity as Python writes them; unpaired surrogates
    escaped, or written raw as invalid UTF-8 when not `ascii_only`)."""
    deep: dict[str, str] = {}

    def placeholder(item: Any) -> str:
        if not isinstance(item, Deep):
            raise TypeError(type(item).__name__)
        token = f"@@deep{len(deep)}@@"
        deep[f'"{token}"'] = item.text()
        return token

    text = json.dumps(value, ensure_ascii=ascii_only, default=placeholder)
    for token, nested in deep.items():
        text = text.replace(token, nested, 1)
    return text.encode("utf-8", "surrogatepass")


@st.composite
def broken(draw: st.DrawFn, good: bytes) -> bytes:
    """A correct body broken as raw bytes: cut short, bad bytes, not JSON at all, deep."""
    kind = draw(
        st.sampled_from(["cut", "bytes", "bom", "empty", "scalar", "deep", "dupe", "padding"])
    )
    if kind == "cut":
        return good[: draw(st.integers(0, max(len(good) - 1, 0)))]
    if kind == "bytes":
        at = draw(st.integers(0, len(good)))
        junk = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"%", b"%zz"]))
        return good[:at] + junk + good[at:]
    if kind == "bom":
        return b"\xef\xbb\xbf" + good
    if kind == "empty":
        return b""
    if kind == "scalar":
        return draw(st.sampled_from([b"null", b"[]", b"1", b'"x"', b"NaN", b"1e999", b"true"]))
    if kind == "deep":
        depth = draw(st.sampled_from([100, 5_000, 100_000]))
        return b"[" * depth + b"]" * depth
    if kind == "dupe":
        return b'{"type": 1, ' + good.lstrip()[1:] if good.startswith(b"{") else good + good
    return b" " * draw(st.integers(1, 2_000)) + good


def json_bodies(seeds: list[Any]) -> st.SearchStrategy[bytes]:
    """Mutated JSON bodies from real payloads, mostly well-formed JSON, some broken bytes."""
    seed = st.sampled_from(seeds)
    return st.one_of(
        seed.flatmap(mutated).map(dumps),
        seed.flatmap(mutated).map(dumps),
        seed.flatmap(mutated).map(dumps),
        st.builds(dumps, seed.flatmap(mutated), st.just(False)),
        seed.map(dumps).flatmap(broken),
    )


# ---- running --------------------------------------------------------------------------------


def healthy(app: Any) -> None:
    """The app still answers /healthz with 200."""
    answer = requests.get(f"{app.url}/healthz", timeout=10)
    assert answer.status_code == 200, answer.text


# A good request goes after every this many fuzzed ones (and after the last).
GOOD_EVERY = 5


def run(
    app: Any,
    endpoint: str,
    bodies: st.SearchStrategy[Any],
    send: Callable[[Any], int],
    good: Callable[[], None],
) -> None:
    """Send every drawn body; each must get 2xx or 4xx, leave no trace in the logs but one
    refusal line, leave the app healthy, and a good request afterwards must still work."""

    with watching() as watch:

        @given(bodies)
        def one(body: Any) -> None:
            status = send(body)
            assert status < 500, f"{endpoint} answered {status}"
            app.settle()
            check_logs(watch, endpoint, status)
            healthy(app)
            sent[0] += 1
            if sent[0] % GOOD_EVERY == 0:
                works()

        def works() -> None:
            good()
            app.settle()
            check_logs(watch, endpoint, 200)

        sent = [0]
        one()
        works()
