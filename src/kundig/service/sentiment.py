"""A simple sentiment flag for short German and English texts (social posts).

Word lists, not a model: a post counts as **negative** when its angry or
disappointed words outweigh its happy ones, **positive** the other way round,
else **neutral**. A negation just before a word ("nicht gut", "not happy",
"kein Problem") turns it around; shouting (several "!" or words in capitals)
weighs on the negative side. It is a flag to sort angry posts first, not an
analysis; a person reads every ticket.
"""

from __future__ import annotations

import re

from .choices import Sentiment

NEGATIVE = {
    # German
    "ärgerlich", "abzocke", "betrug", "betrüger", "defekt", "enttäuscht",
    "enttäuschend", "enttäuschung", "frechheit", "furchtbar", "katastrophe",
    "katastrophal", "kaputt", "lächerlich", "mies", "miserabel", "mangelhaft",
    "nervig", "peinlich", "reklamation", "sauer", "schlecht", "schlechteste",
    "schlimm", "schrott", "skandal", "unverschämt", "unzuverlässig",
    "unfreundlich", "verärgert", "warten", "wartet", "wütend", "zumutung",
    "beschwerde", "unmöglich", "ignoriert", "warte",
    # English
    "angry", "annoyed", "awful", "bad", "broken", "complaint", "disappointed",
    "disappointing", "disgusting", "fraud", "furious", "hate", "horrible",
    "joke", "never", "poor", "ridiculous", "rude", "scam", "terrible",
    "unacceptable", "unreliable", "useless", "waiting", "worst", "ignored",
}  # fmt: skip
POSITIVE = {
    # German
    "begeistert", "bestens", "danke", "empfehlen", "empfehlenswert", "freundlich",
    "froh", "genial", "gut", "hervorragend", "klasse", "lob", "perfekt", "prima",
    "schnell", "spitze", "super", "toll", "top", "zufrieden", "glücklich",
    # English
    "amazing", "awesome", "excellent", "fantastic", "fast", "friendly", "good",
    "great", "happy", "love", "lovely", "perfect", "recommend", "thanks",
    "thank", "wonderful",
}  # fmt: skip
NEGATIONS = {"nicht", "kein", "keine", "keinen", "nie", "niemals", "not", "no",
             "never", "don't", "didn't", "isn't", "wasn't", "won't"}  # fmt: skip
# Phrases that are one feeling, whatever their words say alone.
PHRASES = {
    "nie wieder": -2, "never again": -2, "geld zurück": -1, "money back": -1,
    "kein problem": 1, "no problem": 1, "vielen dank": 1, "thank you": 1,
}  # fmt: skip

_WORD = re.compile(r"[\w'’]+", re.UNICODE)


def score(text: str) -> int:
    """Positive words less negative ones, negations and shouting counted."""
    lowered = (text or "").lower()
    total = 0
    for phrase, weight in PHRASES.items():
        count = lowered.count(phrase)
        total += weight * count
        lowered = lowered.replace(phrase, " ")
    words = _WORD.findall(lowered)
    for index, word in enumerate(words):
        value = 1 if word in POSITIVE else -1 if word in NEGATIVE else 0
        if not value:
            continue
        if index and words[index - 1] in NEGATIONS:
            value = -value
        total += value
    shouting = sum(1 for w in _WORD.findall(text or "") if len(w) > 3 and w.isupper())
    if (text or "").count("!") >= 3 or shouting >= 2:
        total -= 1
    return total


def sentiment(text: str) -> str:
    """``negative``, ``neutral`` or ``positive`` for ``text``."""
    value = score(text)
    if value < 0:
        return Sentiment.NEGATIVE
    if value > 0:
        return Sentiment.POSITIVE
    return Sentiment.NEUTRAL
