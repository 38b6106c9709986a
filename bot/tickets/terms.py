"""The words of a ticket that say what it is about, for finding similar tickets.

Pure text rules shared by the index and the search: contact details, links and markup are
removed first (the index never holds an email address or a phone number), stop words and
support small talk are dropped, and the rest is weighed (subject and tags count more than the
description). A light suffix stripper folds plurals and verb endings so that "emails" and
"email", "crashing" and "crashes" compare equal; the index holds these stems (not the
database's own stemming), so the search, the common-word counts and the scoring of
candidates all speak of the same terms on SQLite and PostgreSQL.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable, Mapping, Sequence

MAX_TERMS = 12  # the words a search asks for and a profile keeps: bounded work per ticket
MIN_TERMS = 2  # fewer significant words than this: too little to compare
DESCRIPTION_CHARS = 4000  # only the start of a long description says what it is about
INDEX_TOKENS = 400  # words kept per ticket in the index
SUBJECT_WEIGHT = 3.0
TAG_WEIGHT = 2.0
LONGEST = 30  # longer "words" are hashes, base64 or unbroken text in scripts without spaces

# Runs are bounded so that no text makes these expressions backtrack for long.
_URL = re.compile(r"\b(?:https?|ftp)://\S+|\bwww\.\S+", re.IGNORECASE)
# Seven or more digits, possibly split by spaces, dots, dashes or brackets: phone numbers.
_PHONE = re.compile(r"\+?\(?\d[\d\s().-]{5,24}\d")
_MARKUP = re.compile(r"<[^>]{0,200}>|&[a-z]+;|&#\d+;")
_WORD = re.compile(r"[^\W_]+")

STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are aren as at be because been
    before being below between both but by can cannot could did didn do does doesn doing don
    down during each few for from further get gets got had has have having he her here hers
    herself him himself his how i if in into is isn it its itself just let me more most my
    myself no nor not now of off on once only or other ought our ours ourselves out over own
    same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was wasn we were weren what when where
    which while who whom why will with won would you your yours yourself yourselves
    hi hello hey dear thanks thank thx please pls regards best cheers kind team support
    help issue issues problem problems question ticket tickets customer customers user users
    still anyone someone something anything everything able unable cant wont isnt dont doesnt
    didnt im ive id one two use using used work works working worked see seems seem need needs
    try tried trying know today yesterday time times since ago again via etc ok okay yes
    """.split()
)


def clean(text: str, *, private: Sequence[str] = ()) -> str:
    """`text` without contact details (emails, phone numbers, the `private` strings), links
    and markup."""
    for value in private:
        if value:
            text = text.replace(value, " ")
    if "@" in text:  # any word with an @ in it may be an address: dropped whole
        text = " ".join(chunk for chunk in text.split() if "@" not in chunk)
    text = _URL.sub(" ", text)
    text = _MARKUP.sub(" ", text)
    return _PHONE.sub(" ", text)


def words(text: str) -> list[str]:
    """The significant words of already-cleaned text, lower-cased, in order."""
    found = []
    for word in _WORD.findall(text.lower()):
        if len(word) > LONGEST or word in STOPWORDS:
            continue
        if len(word) < 3 and not word.isdigit():
            continue
        if word.isdigit() and len(word) < 3:
            continue
        found.append(word)
    return found


def stem(word: str) -> str:
    """A light English suffix stripper (plurals, -ing, -ed): enough to compare tickets."""
    for suffix, keep in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + keep
            break
    else:
        if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
            word = word[:-1]
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


def _tag_text(tags: Iterable[str]) -> str:
    """Tags as words (`password_reset` is "password reset"), as long as a description at most."""
    return " ".join(t.replace("_", " ").replace("-", " ") for t in tags)[:DESCRIPTION_CHARS]


def weighed(
    subject: str, description: str, tags: Iterable[str], *, private: Sequence[str] = ()
) -> dict[str, tuple[float, str]]:
    """Each stem's weight and the first word it came from (subject and tags weigh more)."""
    found: dict[str, tuple[float, str]] = {}
    parts = (
        (subject[:DESCRIPTION_CHARS], SUBJECT_WEIGHT),
        (_tag_text(tags), TAG_WEIGHT),
        (description[:DESCRIPTION_CHARS], 1.0),
    )
    for text, weight in parts:
        for word in words(clean(text, private=private)):
            key = stem(word)
            before, surface = found.get(key, (0.0, word))
            found[key] = (before + weight, surface)
    return found


def top(
    found: Mapping[str, tuple[float, str]], drop: Collection[str] = ()
) -> list[tuple[str, float, str]]:
    """The MAX_TERMS heaviest (stem, weight, word) of `weighed`, without the stems in `drop`."""
    kept = [(key, weight, word) for key, (weight, word) in found.items() if key not in drop]
    return sorted(kept, key=lambda t: -t[1])[:MAX_TERMS]


def profile(found: Mapping[str, tuple[float, str]], drop: Collection[str] = ()) -> dict[str, float]:
    """The ticket's heaviest stems and their weights (damped, so one word said ten times does
    not drown the rest)."""
    return {key: 1.0 + math.log(weight) for key, weight, _ in top(found, drop)}


def similarity(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Cosine similarity of two profiles, from 0 (nothing shared) to 1 (the same words)."""
    shared = sum(weight * b[key] for key, weight in a.items() if key in b)
    if not shared:
        return 0.0
    norm = math.sqrt(sum(w * w for w in a.values())) * math.sqrt(sum(w * w for w in b.values()))
    return shared / norm


def document(
    subject: str, description: str, tags: Iterable[str], *, private: Sequence[str] = ()
) -> tuple[str, str]:
    """What the index keeps of a ticket: (subject and tags, description) as the stems of their
    significant words, without contact details."""
    title = words(clean(f"{subject[:DESCRIPTION_CHARS]} {_tag_text(tags)}", private=private))
    body = words(clean(description[:DESCRIPTION_CHARS], private=private))
    return (
        " ".join(stem(w) for w in title[:INDEX_TOKENS]),
        " ".join(stem(w) for w in body[:INDEX_TOKENS]),
    )
