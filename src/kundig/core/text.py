"""Text normalisation for search: one spelling for Müller, Mueller and MÜLLER."""

from __future__ import annotations

import re
import unicodedata

_FOLD = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "oe", "å": "aa"}
)
_STRIP = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})
_NON_WORD = re.compile(r"[^a-z0-9@.]+")
_SPLIT = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lower-case, spell umlauts out (ü -> ue, ß -> ss), drop other accents."""
    text = unicodedata.normalize("NFC", (text or "").lower()).translate(_FOLD)
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c))


def search_words(*parts: str) -> list[str]:
    """Return the distinct searchable words of ``parts``, folded."""
    words: dict[str, None] = {}
    for part in parts:
        for word in _SPLIT.split(fold(part or "")):
            if word:
                words.setdefault(word, None)
    return list(words)


def _umlaut_variants(*parts: str) -> list[str]:
    """Return words with umlauts dropped ("Müller" -> "muller"), as typed in a hurry."""
    variants = []
    for part in parts:
        lowered = (part or "").lower()
        if any(c in lowered for c in "äöüß"):
            variants += search_words(lowered.translate(_STRIP))
    return variants


def search_key(*parts: str) -> str:
    """Return the folded search text for a record built from ``parts``.

    Words are separated by single spaces; emails are kept whole as well as
    split into their words, so "anna.mueller@web.de" matches as a whole and
    "mueller" alone.
    """
    words = search_words(*parts) + _umlaut_variants(*parts)
    for part in parts:
        folded = fold(part or "")
        if "@" in folded:
            for token in folded.split():
                if "@" in token:
                    words.append(_NON_WORD.sub("", token))
    return " ".join(dict.fromkeys(w for w in words if w))


def query_words(query: str) -> list[str]:
    """Return the folded words of a search query, at most eight."""
    return search_words(query)[:8]


def trigrams(word: str) -> set[str]:
    """Return pg_trgm-style trigrams of one word (two spaces before, one after)."""
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def word_similarity(query_word: str, text: str) -> float:
    """Return the best trigram similarity of ``query_word`` to any word of ``text``.

    A close relative of PostgreSQL's ``word_similarity``: the share of the
    query's trigrams found in the best-matching word, so "Mueler" still finds
    "mueller" and "Schmitt" finds "schmidt".
    """
    wanted = trigrams(query_word)
    if not wanted:
        return 0.0
    best = 0.0
    for word in text.split():
        if query_word in word:
            return 1.0
        got = trigrams(word)
        score = len(wanted & got) / len(wanted | got) if got else 0.0
        best = max(best, score)
    return best


def sort_name(last_name: str, first_name: str) -> str:
    """Return the key contacts sort by: "Müller, Jürgen" as "mueller juergen"."""
    return " ".join(fold(f"{last_name} {first_name}").split())[:210]


# C0 controls except tab, line feed and carriage return, plus DEL and C1.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def has_control_characters(text: str) -> bool:
    """Return whether ``text`` holds characters no database or sheet should get."""
    return bool(_CONTROL.search(text or ""))


def strip_control_characters(text: str) -> str:
    return _CONTROL.sub("", text or "")


def one_line(text) -> str:
    """``text`` on one line, without control characters.

    Every run of whitespace (CR and LF included) becomes one space: a value
    cleaned here cannot break a summary, a title or a mail header.
    """
    return " ".join(strip_control_characters(str(text or "")).split())
