"""A JQL subset for the Jira simulator: lexer, parser and evaluator.

Supported: `key`/`issuekey`/`id`, `project`, `status`, `statusCategory`, `resolution`,
`priority`, `issuetype`/`type`, `component`, `fixVersion`, `labels` with `=`, `!=`, `IN`,
`NOT IN`, `IS [NOT] EMPTY`; `text`/`summary`/`description`/`comment` with `~` and `!~`;
`created`/`updated`/`resolved` with comparisons against `"yyyy-MM-dd HH:mm"`,
`"yyyy/MM/dd"`-style dates or periods like `-5m`, `-2d`, `4w 2d`; `AND`, `OR`, `NOT`,
parentheses and `ORDER BY f [ASC|DESC], ...`. Field names and keywords are case-insensitive.
Anything else is refused as Jira does: 400 with "Error in the JQL Query: ..." or a field/value
message. Dates are read in UTC (the simulated user's time zone).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from integrations.simulators.jira.jql_values import (
    JqlError,
    parse_date,
    search_terms,
    text_matches,
)

ENUM_FIELDS = {
    "key": "key", "issuekey": "key", "issue": "key", "id": "key",
    "project": "project", "status": "status", "statuscategory": "statusCategory",
    "resolution": "resolution", "priority": "priority", "issuetype": "issuetype",
    "type": "issuetype", "component": "component", "fixversion": "fixVersion",
    "labels": "labels",
}  # fmt: skip
TEXT_FIELDS = {
    "text": "text",
    "summary": "summary",
    "description": "description",
    "comment": "comment",
}
DATE_FIELDS = {
    "created": "created", "createddate": "created", "updated": "updated",
    "updateddate": "updated", "resolved": "resolved", "resolutiondate": "resolved",
}  # fmt: skip
SORTABLE = {
    "key", "project", "status", "priority", "issuetype",
    "created", "updated", "resolved", "summary",
}  # fmt: skip
KEYWORDS = {"and", "or", "not", "in", "is", "empty", "null", "order", "by", "asc", "desc"}
OPERATORS = ("!=", "!~", ">=", "<=", "=", "~", ">", "<")


Predicate = Callable[[Any], bool]


class JqlSchema(Protocol):
    """What the evaluator needs from the simulator's catalog."""

    def now(self) -> float:
        """The current time (Unix seconds)."""

    def lookup(self, field: str, value: str) -> set[str] | None:
        """Canonical ids a value names ("" = matches empty); None if it names nothing."""

    def values(self, issue: Any, field: str) -> list[str]:
        """An issue's canonical ids for an enumerated field."""

    def text(self, issue: Any, field: str) -> str:
        """An issue's text for a text field."""

    def date(self, issue: Any, field: str) -> float | None:
        """An issue's time for a date field."""

    def sort_value(self, issue: Any, field: str) -> Any:
        """A comparable value for ORDER BY (None sorts last)."""


@dataclass
class Token:
    """One lexeme with its 1-based character position."""

    kind: str  # word, string, op, (, ), ",", eof
    text: str
    pos: int

    def is_kw(self, *words: str) -> bool:
        """True for an unquoted keyword among `words`."""
        return self.kind == "word" and self.text.lower() in words


@dataclass
class Query:
    """A parsed query: a filter (None when unbounded) and ORDER BY terms."""

    predicate: Predicate | None
    order: list[tuple[str, bool]]  # (field, descending)


def tokenize(jql: str) -> list[Token]:
    """Split JQL into tokens."""
    tokens: list[Token] = []
    i = 0
    while i < len(jql):
        ch = jql[i]
        if ch.isspace():
            i += 1
        elif ch in "(),":
            tokens.append(Token(ch, ch, i + 1))
            i += 1
        elif ch in "\"'":
            j, chars = i + 1, []
            while j < len(jql) and jql[j] != ch:
                if jql[j] == "\\" and j + 1 < len(jql):
                    j += 1
                chars.append(jql[j])
                j += 1
            if j >= len(jql):
                raise _syntax(f"The quoted string starting at character {i + 1} is not closed.")
            tokens.append(Token("string", "".join(chars), i + 1))
            i = j + 1
        else:
            op = next((o for o in OPERATORS if jql.startswith(o, i)), None)
            if op:
                tokens.append(Token("op", op, i + 1))
                i += len(op)
                continue
            j = i
            while j < len(jql) and not jql[j].isspace() and jql[j] not in "(),\"'=!~<>":
                j += 1
            if j == i:
                raise _syntax(f"The character '{ch}' is a reserved JQL character.", i + 1)
            tokens.append(Token("word", jql[i:j], i + 1))
            i = j
    tokens.append(Token("eof", "", len(jql) + 1))
    return tokens


def _syntax(detail: str, pos: int | None = None) -> JqlError:
    where = f" (line 1, character {pos})" if pos is not None else ""
    return JqlError(f"Error in the JQL Query: {detail}{where}")


def _got(token: Token) -> str:
    return "the end of the query" if token.kind == "eof" else f"'{token.text}'"


class _Parser:
    def __init__(self, jql: str, schema: JqlSchema) -> None:
        self.tokens = tokenize(jql)
        self.i = 0
        self.schema = schema

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def query(self) -> Query:
        predicate = None
        if self.tok.kind != "eof" and not self.tok.is_kw("order"):
            predicate = self.or_expr()
        order: list[tuple[str, bool]] = []
        if self.tok.is_kw("order"):
            self.take()
            if not self.take().is_kw("by"):
                raise _syntax("Expecting 'by' after 'order'.", self.tokens[self.i - 1].pos)
            order.append(self.sort_term())
            while self.tok.kind == ",":
                self.take()
                order.append(self.sort_term())
        if self.tok.kind != "eof":
            raise _syntax(f"Expecting either 'OR' or 'AND' but got {_got(self.tok)}.", self.tok.pos)
        return Query(predicate, order)

    def sort_term(self) -> tuple[str, bool]:
        token = self.take()
        name = token.text.lower()
        field = ENUM_FIELDS.get(name) or TEXT_FIELDS.get(name) or DATE_FIELDS.get(name)
        if token.kind not in ("word", "string") or field is None:
            raise JqlError(
                f"Field '{token.text}' does not exist or you do not have permission to view it."
            )
        if field not in SORTABLE:
            raise JqlError(f"Field '{token.text}' does not support sorting.")
        descending = False
        if self.tok.is_kw("asc", "desc"):
            descending = self.take().text.lower() == "desc"
        return field, descending

    def or_expr(self) -> Predicate:
        parts = [self.and_expr()]
        while self.tok.is_kw("or"):
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else (lambda issue: any(p(issue) for p in parts))

    def and_expr(self) -> Predicate:
        parts = [self.not_expr()]
        while self.tok.is_kw("and"):
            self.take()
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else (lambda issue: all(p(issue) for p in parts))

    def not_expr(self) -> Predicate:
        if self.tok.is_kw("not"):
            self.take()
            inner = self.not_expr()
            return lambda issue: not inner(issue)
        if self.tok.kind == "(":
            self.take()
            inner = self.or_expr()
            if self.tok.kind != ")":
                raise _syntax(f"Expecting ')' but got {_got(self.tok)}.", self.tok.pos)
            self.take()
            return inner
        return self.clause()

    def value(self) -> Token:
        token = self.take()
        if token.kind not in ("word", "string") or (
            token.kind == "word" and token.is_kw(*KEYWORDS)
        ):
            raise _syntax(
                f"Expecting either a value, list or function but got {_got(token)}.", token.pos
            )
        if self.tok.kind == "(" and token.kind == "word":
            raise JqlError(f"Unable to find JQL function '{token.text}()'.")
        return token

    def clause(self) -> Predicate:
        token = self.take()
        if token.kind not in ("word", "string") or token.is_kw(*KEYWORDS):
            raise _syntax(f"Expecting a field name but got {_got(token)}.", token.pos)
        name = token.text
        if self.tok.is_kw("is"):
            self.take()
            negate = self.tok.is_kw("not")
            if negate:
                self.take()
            if not self.take().is_kw("empty", "null"):
                raise _syntax(
                    "Expecting 'EMPTY' or 'NULL' after 'IS'.", self.tokens[self.i - 1].pos
                )
            return self.empty_clause(name, negate)
        if self.tok.is_kw("not", "in"):
            negate = self.take().is_kw("not")
            if negate and not self.take().is_kw("in"):
                raise _syntax("Expecting 'IN' after 'NOT'.", self.tokens[self.i - 1].pos)
            if self.take().kind != "(":
                raise _syntax(
                    "Expecting '(' to start a list of values.", self.tokens[self.i - 1].pos
                )
            values = [self.value().text]
            while self.tok.kind == ",":
                self.take()
                values.append(self.value().text)
            if self.take().kind != ")":
                raise _syntax(
                    "Expecting ')' to end the list of values.", self.tokens[self.i - 1].pos
                )
            return self.enum_clause(name, "not in" if negate else "in", values)
        if self.tok.kind != "op":
            raise _syntax(
                f"Expecting operator but got {_got(self.tok)}. The valid operators are '=', '!=', "
                "'<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'.",
                self.tok.pos,
            )
        op = self.take().text
        if op in ("=", "!=") and self.tok.is_kw("empty", "null"):
            self.take()
            return self.empty_clause(name, negate=op == "!=")
        value = self.value().text
        lowered = name.lower()
        if lowered in TEXT_FIELDS:
            return self.text_clause(name, op, value)
        if lowered in DATE_FIELDS:
            return self.date_clause(name, op, value)
        return self.enum_clause(name, op, [value])

    def _field(self, name: str, table: dict[str, str]) -> str:
        lowered = name.lower()
        if lowered in table:
            return table[lowered]
        if lowered in ENUM_FIELDS or lowered in TEXT_FIELDS or lowered in DATE_FIELDS:
            return ""
        raise JqlError(f"Field '{name}' does not exist or you do not have permission to view it.")

    def enum_clause(self, name: str, op: str, raw: list[str]) -> Predicate:
        field = self._field(name, ENUM_FIELDS)
        if not field or op not in ("=", "!=", "in", "not in"):
            raise JqlError(f"The operator '{op}' is not supported by the '{name}' field.")
        wanted: set[str] = set()
        for value in raw:
            found = self.schema.lookup(field, value)
            if found is None:
                raise JqlError(f"The value '{value}' does not exist for the field '{name}'.")
            wanted |= found
        positive = op in ("=", "in")

        def match(issue: Any) -> bool:
            have = self.schema.values(issue, field)
            if positive:
                return bool(wanted & set(have)) or ("" in wanted and not have)
            return bool(have) and not (wanted & set(have)) and not ("" in wanted and not have)

        return match

    def empty_clause(self, name: str, negate: bool) -> Predicate:
        lowered = name.lower()
        if lowered in TEXT_FIELDS:
            field = TEXT_FIELDS[lowered]
            return lambda issue: bool(self.schema.text(issue, field).strip()) == negate
        if lowered in DATE_FIELDS:
            field = DATE_FIELDS[lowered]
            return lambda issue: (self.schema.date(issue, field) is not None) == negate
        field = self._field(name, ENUM_FIELDS)
        return lambda issue: bool(self.schema.values(issue, field)) == negate

    def text_clause(self, name: str, op: str, value: str) -> Predicate:
        field = TEXT_FIELDS[name.lower()]
        if op not in ("~", "!~"):
            raise JqlError(f"The operator '{op}' is not supported by the '{name}' field.")
        if not search_terms(value):
            raise JqlError(f"The field '{name}' does not support searching for an empty string.")
        if op == "~":
            return lambda issue: text_matches(self.schema.text(issue, field), value)
        return lambda issue: not text_matches(self.schema.text(issue, field), value)

    def date_clause(self, name: str, op: str, value: str) -> Predicate:
        field = DATE_FIELDS[name.lower()]
        if op in ("~", "!~"):
            raise JqlError(f"The operator '{op}' is not supported by the '{name}' field.")
        limit = parse_date(value, name, self.schema.now())
        compare: dict[str, Callable[[float], bool]] = {
            "=": lambda t: t == limit, "!=": lambda t: t != limit,
            ">": lambda t: t > limit, ">=": lambda t: t >= limit,
            "<": lambda t: t < limit, "<=": lambda t: t <= limit,
        }  # fmt: skip
        check = compare[op]

        def match(issue: Any) -> bool:
            when = self.schema.date(issue, field)
            return when is not None and check(when)

        return match


def parse(jql: str, schema: JqlSchema) -> Query:
    """Parse and validate a query against the schema; raise JqlError as Jira would."""
    return _Parser(jql or "", schema).query()


def run(query: Query, schema: JqlSchema, issues: list[Any]) -> list[Any]:
    """Filter and order issues (without ORDER BY: newest first, like `ORDER BY created DESC`)."""
    found = [i for i in issues if query.predicate is None or query.predicate(i)]
    found.sort(
        key=lambda i: (schema.sort_value(i, "created"), schema.sort_value(i, "key")), reverse=True
    )
    for field, descending in reversed(query.order):
        found.sort(
            key=lambda issue, f=field: _none_last(schema.sort_value(issue, f), descending),
            reverse=descending,
        )
    return found


def _none_last(value: Any, descending: bool) -> tuple[bool, Any]:
    missing = value is None
    return (not missing if descending else missing, value if not missing else 0)
