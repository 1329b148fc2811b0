import pytest

from kundig.messaging import rendering


def render(html, context=None, subject="Betreff", text=""):
    return rendering.render(
        subject=subject,
        html=html,
        text=text,
        context=context or rendering.sample_context("de"),
        language="de",
    )


def test_unknown_fields_syntax_errors_and_sandbox_escapes_are_refused_with_the_line():
    errors = rendering.check(
        subject="Ihre Bestellung {{ order.numbr }}",
        html="<p>{{ salutation }}</p>\n<p>{{ kunde.name }}</p>\n"
        "{% for line in order.lines %}{{ line.prize }}{% endfor %}\n"
        "{{ contact.__class__.__mro__ }}",
        text="{% if %}",
        language="de",
    )

    assert errors["subject"] == ["Line 1: Unknown merge field “order.numbr”."]
    assert "Line 2: Unknown merge field “kunde”." in errors["html"]
    assert "Line 3: Unknown merge field “line.prize”." in errors["html"]
    assert any("Line 4" in e and "__class__" in e for e in errors["html"])
    assert errors["text"][0].startswith("Line 1:")


def test_includes_and_imports_are_refused():
    errors = rendering.check(
        subject="x", html="{% include 'base.html' %}", text="", language="de"
    )
    assert "cannot include or import" in errors["html"][0]


def test_a_valid_template_passes_the_check_including_loops_and_sets():
    assert (
        rendering.check(
            subject="{{ salutation }}",
            html="{% set total = order.total %}{% for l in order.lines %}"
            "{{ loop.index }} {{ l.name }}{% endfor %}{{ total }}",
            text="",
            language="en",
        )
        == {}
    )


def test_merge_values_are_escaped_and_never_evaluated_a_second_time():
    context = rendering.sample_context("de")
    context["contact"]["first_name"] = "{{ 7*7 }}<script>alert(1)</script>"

    out = render("<p>Hallo {{ contact.first_name }}</p>", context)

    assert "{{ 7*7 }}" in out.html
    assert "49" not in out.html
    assert "<script>" not in out.html
    assert "&lt;script&gt;" in out.html


def test_the_sandbox_stops_attribute_tricks_at_render_time_too():
    with pytest.raises(rendering.RenderError, match=r"Not allowed|outside"):
        render("{{ ''.__class__.__mro__[1].__subclasses__() }}")


def test_a_missing_merge_value_stops_the_message_with_a_reason():
    context = rendering.sample_context("de")
    del context["shipment"]

    with pytest.raises(rendering.RenderError) as caught:
        render("<p>{{ shipment.tracking_url }}</p>", context)
    assert "missing" in str(caught.value)


def test_line_breaks_in_subjects_cannot_inject_headers():
    context = rendering.sample_context("de")
    context["contact"]["last_name"] = "Weber\r\nBcc: victim@example.com"

    out = render("<p>x</p>", context, subject="Hallo {{ contact.last_name }}")

    assert "\n" not in out.subject and "\r" not in out.subject
    assert out.subject == "Hallo Weber Bcc: victim@example.com"


def test_css_is_inlined_scripts_removed_and_plain_text_made():
    out = render(
        "<style>p.x{color:#c00}</style><p class='x'>Hallo</p>"
        "<script>alert(1)</script><a href='https://shop.example/t'>Verfolgen</a>"
    )

    assert 'style="color: #c00;"' in out.html
    assert "<script" not in out.html and "<style" not in out.html
    assert out.html.startswith("<!DOCTYPE html>")
    assert "Hallo" in out.text
    assert "Verfolgen (https://shop.example/t)" in out.text


def test_a_written_plain_text_part_is_used_as_written():
    out = render("<p>HTML</p>", text="Nur Text, {{ contact.first_name }}")
    assert out.text == "Nur Text, Anna\n"


def test_money_and_dates_follow_the_language():
    import datetime as dt

    assert rendering.money("1234.5", "EUR", "de") == "1.234,50 €"
    assert rendering.money("1234.5", "EUR", "en") == "€1,234.50"
    assert rendering.date(dt.date(2026, 11, 2), "de") == "2. November 2026"
