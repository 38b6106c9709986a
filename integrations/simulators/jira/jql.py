"""The JQL the Jira simulator reads: the clauses the app sends, joined by AND.

    key in (SUP-1, SUP-2)                                         the poll's status batches
    project = "SUP" AND labels = "zd-42" ORDER BY created DESC    a filing that already landed
    text ~ "refund butt*" ORDER BY updated DESC                   the Link to bug search

`key` (also `issuekey`, `id`, `issue`), `project` and `labels` take `=` or `IN`; `text ~` looks
in the summary, description and comments. Keywords and field names are case-insensitive;
ORDER BY without ASC/DESC sorts ascending; without ORDER BY issues come newest first.

Queries Jira itself refuses get its answers (400, `{"errorMessages": [...], "errors": {}}`):
unbounded queries, unknown fields and projects, missing or malformed issue keys, syntax errors.
Valid JQL outside this subset (OR, NOT, other fields, operators or functions) is refused with a
400 that says so, so a test never passes on a query the simulator did not really evaluate.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from integrations.simulators.jira.catalog import JiraCatalog
from integrations.simulators.jira.model import FIELDS, Issue

KEY_NAMES = set(FIELDS["issuekey"][1])
KNOWN = {name.lower() for _, names, _ in FIELDS.values() for name in names} | {"text"}
KEYWORDS = {"and", "or", "not", "in", "is", "empty", "null", "order", "by", "asc", "desc"}
OPERATORS = ("!=", "!~", ">=", "<=", "=", "~", ">", "<")
KEY_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]*-\d+$", re.IGNORECASE)
UNBOUNDED = (
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
)
SUBSET = (
    "The Jira simulator does not support {} (it reads key, project and labels with = or IN, "
    "text ~, joined by AND, then ORDER BY created or updated)."
)

Predicate = Callable[[Issue], bool]


class JqlError(Exception):
    """A query Jira would refuse with 400; `message` goes into `errorMessages`."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Token:
    """One lexeme with its 1-based character position."""

    kind: str  # word, string, op, (, ), ",", eof
    text: str
    pos: int

    def is_kw(self, *words: str) -> bool:
        """True for an unquoted keyword among `words`."""
        return self.kind == "word" and self.text.lower() in words

    def shown(self) -> str:
        """The token as Jira quotes it in syntax errors."""
        return "the end of the query" if self.kind == "eof" else f"'{self.text}'"


@dataclass
class Query:
    """A parsed query: clauses that must all hold, and an optional (field, descending) order."""

    clauses: list[Predicate]
    order: tuple[str, bool] | None


def tokenize(jql: str) -> list[Token]:
    """Split JQL into words, quoted strings (backslash escapes), operators and punctuation."""
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
                j += 1 if jql[j] == "\\" and j + 1 < len(jql) else 0
                chars.append(jql[j])
                j += 1
            if j >= len(jql):
                raise _syntax(f"The quoted string starting at character {i + 1} is not closed.")
            tokens.append(Token("string", "".join(chars), i + 1))
            i = j + 1
        elif op := next((o for o in OPERATORS if jql.startswith(o, i)), None):
            tokens.append(Token("op", op, i + 1))
            i += len(op)
        else:
            j = i
            while j < len(jql) and not jql[j].isspace() and jql[j] not in "(),\"'=!~<>":
                j += 1
            if j == i:
                raise _syntax(f"The character '{ch}' is a reserved JQL character.", i + 1)
            tokens.append(Token("word", jql[i:j], i + 1))
            i = j
    return [*tokens, Token("eof", "", len(jql) + 1)]


def _syntax(detail: str, pos: int | None = None) -> JqlError:
    where = f" (line 1, character {pos})" if pos is not None else ""
    return JqlError(f"Error in the JQL Query: {detail}{where}")


def _field(token: Token) -> str:
    """A clause or sort field name; Jira's answer for names it does not know."""
    if token.kind not in ("word", "string") or token.is_kw(*KEYWORDS):
        raise _syntax(f"Expecting a field name but got {token.shown()}.", token.pos)
    if token.text.lower() not in KNOWN:
        raise JqlError(
            f"Field '{token.text}' does not exist or you do not have permission to view it."
        )
    return token.text.lower()


class _Parser:
    def __init__(self, jql: str, catalog: JiraCatalog) -> None:
        self.tokens = tokenize(jql)
        self.i = 0
        self.catalog = catalog

    def take(self) -> Token:
        self.i += 1
        return self.tokens[self.i - 1]

    def query(self) -> Query:
        clauses: list[Predicate] = []
        if not self.tokens[0].is_kw("order") and self.tokens[0].kind != "eof":
            clauses.append(self.clause())
            while self.tokens[self.i].is_kw("and"):
                self.take()
                clauses.append(self.clause())
        order = None
        if self.tokens[self.i].is_kw("order"):
            self.take()
            if not self.take().is_kw("by"):
                raise _syntax("Expecting 'by' after 'order'.", self.tokens[self.i - 1].pos)
            name = _field(self.take())
            descending = self.tokens[self.i].is_kw("asc", "desc") and self.take().is_kw("desc")
            order = (name, descending)
        rest = self.tokens[self.i]
        if (rest.kind == "," and order) or (rest.is_kw("or") and not order):
            raise JqlError(SUBSET.format(f"'{rest.text}' here"))
        if rest.kind != "eof":
            expected = "',' or the end of the query" if order else "either 'OR' or 'AND'"
            raise _syntax(f"Expecting {expected} but got {rest.shown()}.", rest.pos)
        if not clauses:
            raise JqlError(UNBOUNDED)
        if order and order[0] not in ("created", "updated"):
            raise JqlError(SUBSET.format(f"ORDER BY {order[0]}"))
        return Query(clauses, order)

    def clause(self) -> Predicate:
        first = self.tokens[self.i]
        if first.kind == "(" or first.is_kw("not"):
            raise JqlError(SUBSET.format(f"'{first.text}' here"))
        name = _field(self.take())
        op_token = self.take()
        op = op_token.text.lower()
        if op_token.is_kw("in"):
            values = self.values()
        elif op_token.kind == "op":
            values = [self.value()]
        elif op_token.is_kw("is", "not"):
            raise JqlError(SUBSET.format(f"'{op_token.text}' here"))
        else:
            raise _syntax(
                f"Expecting operator but got {op_token.shown()}. The valid operators are '=', "
                "'!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'.",
                op_token.pos,
            )
        if ("~" in op) != (name == "text"):
            raise JqlError(f"The operator '{op}' is not supported by the '{name}' field.")
        if name == "text" and op == "~":
            return self.text_clause(values[0])
        if name in KEY_NAMES | {"project", "labels"} and op in ("=", "in"):
            return self.id_clause(name, values)
        raise JqlError(SUBSET.format(f"'{name} {op_token.text}'"))

    def value(self) -> str:
        token = self.take()
        if token.is_kw("empty", "null"):
            raise JqlError(SUBSET.format(f"'{token.text}' here"))
        if token.kind not in ("word", "string") or token.is_kw(*KEYWORDS):
            raise _syntax(
                f"Expecting either a value, list or function but got {token.shown()}.", token.pos
            )
        if token.kind == "word" and self.tokens[self.i].kind == "(":
            raise JqlError(SUBSET.format(f"the function '{token.text}()'"))
        return token.text

    def values(self) -> list[str]:
        if self.take().kind != "(":
            raise _syntax("Expecting '(' to start a list of values.", self.tokens[self.i - 1].pos)
        found = [self.value()]
        while self.tokens[self.i].kind == ",":
            self.take()
            found.append(self.value())
        if self.take().kind != ")":
            raise _syntax("Expecting ')' to end the list of values.", self.tokens[self.i - 1].pos)
        return found

    def id_clause(self, name: str, values: list[str]) -> Predicate:
        if name == "labels":
            labels = set(values)
            return lambda issue: bool(labels & set(issue.labels))
        if name == "project":
            projects = {self.project(value) for value in values}
            return lambda issue: issue.project in projects
        keys = {self.key(name, value) for value in values}
        return lambda issue: issue.key in keys

    def project(self, value: str) -> str:
        found = self.catalog.project(value)
        if found is None:
            raise JqlError(f"The value '{value}' does not exist for the field 'project'.")
        return found.key

    def key(self, name: str, value: str) -> str:
        found = self.catalog.issue(value)
        if found is not None:
            return found.key
        if not value.isdigit() and not KEY_PATTERN.match(value):
            raise JqlError(f"The issue key '{value}' for field '{name}' is invalid.")
        raise JqlError(f"An issue with key '{value.upper()}' does not exist for field '{name}'.")

    def text_clause(self, value: str) -> Predicate:
        if not _terms(value):
            raise JqlError("The field 'text' does not support searching for an empty string.")
        return lambda issue: text_matches(_text(issue), value)


def _text(issue: Issue) -> str:
    """What `text ~` searches: summary, description and comments."""
    comments = [c["body"] for c in issue.comments]
    return "\n".join([issue.summary, issue.description or "", *comments])


def _terms(value: str) -> list[str]:
    return re.findall(r"[\w'*-]+", value.lower())


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def text_matches(haystack: str, needle: str) -> bool:
    """Jira-like `~`: every term must occur, stemmed; `abc*` matches words starting with abc."""
    words = set(re.findall(r"[\w'-]+", haystack.lower()))
    stems = {_stem(w) for w in words}
    for term in _terms(needle):
        if term.endswith("*"):
            if not any(w.startswith(term.rstrip("*")) for w in words):
                return False
        elif term not in words and _stem(term) not in stems:
            return False
    return True


def parse(jql: str, catalog: JiraCatalog) -> Query:
    """Parse a query and resolve its values against the catalog; raise JqlError as Jira would."""
    return _Parser(jql, catalog).query()


def run(query: Query, issues: list[Issue]) -> list[Issue]:
    """The issues every clause accepts, in the query's order."""
    found = [i for i in issues if all(clause(i) for clause in query.clauses)]
    if query.order is None:
        return sorted(found, key=lambda i: (i.created, int(i.key.rsplit("-", 1)[1])), reverse=True)
    field, descending = query.order
    return sorted(found, key=lambda i: getattr(i, field), reverse=descending)
