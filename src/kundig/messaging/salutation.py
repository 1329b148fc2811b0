"""The greeting line of a message, in German or English, formal or informal.

"Sehr geehrte Frau Dr. Weber", "Sehr geehrter Herr Schulz", "Guten Tag Alex
Meyer" where no salutation is known, "Hallo Anna" for the informal "du"; and
"Dear Ms Weber", "Dear Mr Schulz", "Dear Alex Meyer", "Hi Anna" in English.
The line has no trailing comma: the template decides the punctuation.
"""

from __future__ import annotations

FORMAL_DE = {"frau": "Sehr geehrte Frau", "herr": "Sehr geehrter Herr"}
FORMAL_EN = {"frau": "Dear Ms", "herr": "Dear Mr"}


def salutation(
    *,
    salutation: str = "",
    title: str = "",
    first_name: str = "",
    last_name: str = "",
    informal: bool = False,
    language: str = "de",
) -> str:
    title = " ".join(title.split())
    first_name = " ".join(first_name.split())
    last_name = " ".join(last_name.split())
    english = language == "en"
    if informal and first_name:
        return f"{'Hi' if english else 'Hallo'} {first_name}"
    if english:
        if last_name and title:
            # English letters put the title in place of Mr or Ms.
            return f"Dear {title} {last_name}"
        if last_name and salutation in FORMAL_EN:
            return f"{FORMAL_EN[salutation]} {last_name}"
        name = " ".join(p for p in (title, first_name, last_name) if p)
        return f"Dear {name}" if name else "Hello"
    if last_name and salutation in FORMAL_DE:
        return " ".join(p for p in (FORMAL_DE[salutation], title, last_name) if p)
    name = " ".join(p for p in (title, first_name, last_name) if p)
    return f"Guten Tag {name}" if name else "Guten Tag"
