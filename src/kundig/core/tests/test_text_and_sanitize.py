import pytest

from kundig.core.exports import neutralise
from kundig.core.sanitize import sanitize_html, text_or_html_to_safe_html
from kundig.core.text import fold, search_key, word_similarity


@pytest.mark.parametrize(
    ("raw", "folded"),
    [("Müller", "mueller"), ("Weiß", "weiss"), ("ÖZLEM", "oezlem"), ("José", "jose")],
)
def test_fold_spells_umlauts_out_and_drops_accents(raw, folded):
    assert fold(raw) == folded


def test_search_key_holds_both_umlaut_spellings_and_whole_emails():
    key = search_key("Jürgen", "Müller", "j.mueller@web.de").split()

    assert {"juergen", "jurgen", "mueller", "muller", "j.mueller@web.de"} <= set(key)


def test_word_similarity_tolerates_one_typo():
    assert word_similarity("mueler", "juergen mueller") > 0.6
    assert word_similarity("zzz", "juergen mueller") == 0


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<script>alert(1)</script>Hallo", "Hallo"),
        (
            '<a href="javascript:alert(1)">x</a>',
            '<a rel="noopener noreferrer nofollow">x</a>',
        ),
        ('<img src=x onerror="alert(1)">', ""),
        ("<b onclick='x()'>fett</b>", "<b>fett</b>"),
        (
            '<a href="https://example.de">Shop</a>',
            '<a href="https://example.de" rel="noopener noreferrer nofollow">Shop</a>',
        ),
    ],
)
def test_html_is_reduced_to_the_allowlist(dirty, clean):
    assert sanitize_html(dirty) == clean


def test_plain_text_keeps_its_lines_and_is_escaped():
    assert (
        text_or_html_to_safe_html("Zeile 1\nZeile 2 & 3 < 4")
        == "<p>Zeile 1<br>Zeile 2 &amp; 3 &lt; 4</p>"
    )


@pytest.mark.parametrize(
    "value", ["=1+1", "+49 30 1234", "-2", "@SUM(A1)", "\tx", "\rx"]
)
def test_spreadsheet_formulas_are_neutralised(value):
    assert neutralise(value) == "'" + value


def test_ordinary_text_is_left_alone():
    assert neutralise("Müller") == "Müller"
