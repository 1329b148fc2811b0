"""The plain-text part made once per template reads as the one made per mail."""

import pytest

from kundig.automation.defaults import TEMPLATES
from kundig.messaging import rendering
from kundig.privacy.defaults import DOI_TEMPLATE

SOURCES = {
    **{key: contents for key, (_name, _purpose, contents) in TEMPLATES.items()},
    DOI_TEMPLATE[0]: DOI_TEMPLATE[2],
}


def per_mail(html: str, context: dict, language: str) -> str:
    body = rendering._render(rendering._html_env, html, context, "html")
    document = rendering.mail_html(body, language=language, title="x")
    return rendering.html_to_text(document)


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("key", sorted(SOURCES))
def test_the_text_part_is_the_same_either_way(key, language):
    _subject, html = SOURCES[key][language]
    context = rendering.sample_context(language)
    derived = rendering.text_template_from_html(html)
    if derived is None:  # a tag inside markup or a table: made per mail
        assert key == "order-confirmation"
        return
    made = rendering._tidy(
        rendering._render(rendering._text_env, derived, context, "text")
    )
    assert made == per_mail(html, context, language)


def test_a_tag_inside_markup_falls_back_to_converting_each_mail():
    html = '<p><a {% if sender.name %}href="https://x.example/"{% endif %}>x</a></p>'
    assert rendering.text_template_from_html(html) is None


def test_braces_written_as_entities_stay_text_in_the_plain_part():
    html = "<p>{{ salutation }}: &#123;&#123; 7 * 7 &#125;&#125;</p>"
    assert rendering.text_template_from_html(html) is None
    rendered = rendering.render(
        subject="x", html=html, text="", context={"salutation": "Hallo"},
        language="de",
    )  # fmt: skip
    assert "{{ 7 * 7 }}" in rendered.text and "49" not in rendered.text
