"""The consent texts and the double opt-in mail Kundig starts with (DE/EN).

Installed by a migration; admins publish their own wording as new versions.
"""

from __future__ import annotations

_REVOKE_DE = (
    " Meine Einwilligung kann ich jederzeit widerrufen: über den Abmeldelink in"
    " jeder Mail oder mit einer Nachricht an uns."
)
_REVOKE_EN = (
    " I can withdraw my consent at any time: with the unsubscribe link in every"
    " email or by writing to you."
)

TEXTS = {
    ("newsletter", "de"): "Ja, ich möchte den Newsletter per E-Mail erhalten:"
    " Angebote, Neuheiten und Tipps, höchstens einmal pro Woche." + _REVOKE_DE,
    ("newsletter", "en"): "Yes, I would like to receive the newsletter by email:"
    " offers, new products and tips, at most once a week." + _REVOKE_EN,
    ("product_news", "de"): "Ja, informieren Sie mich per E-Mail über neue"
    " Produkte und Produktänderungen, die zu meinen Käufen passen." + _REVOKE_DE,
    ("product_news", "en"): "Yes, tell me by email about new products and"
    " product changes that fit what I bought." + _REVOKE_EN,
    ("surveys", "de"): "Ja, Sie dürfen mich per E-Mail um meine Meinung bitten"
    " (Kundenumfragen, Bewertungen)." + _REVOKE_DE,
    ("surveys", "en"): "Yes, you may ask me for my opinion by email (customer"
    " surveys, reviews)." + _REVOKE_EN,
}

DOI_TEMPLATE = (
    "privacy-double-opt-in",
    "Bestätigung der Anmeldung (Double-Opt-in)",
    {
        "de": (
            "Bitte bestätigen Sie Ihre Anmeldung: {{ consent_purpose }}",
            "<p>{{ salutation }},</p>\n"
            "<p>Sie haben sich für „{{ consent_purpose }}“ angemeldet. Bitte"
            " bestätigen Sie das mit einem Klick:</p>\n"
            '<p><a href="{{ confirm_url }}">Anmeldung bestätigen</a></p>\n'
            "<p>Der Link gilt sieben Tage. Wenn Sie sich nicht angemeldet haben,"
            " ignorieren Sie diese Mail einfach: Sie erhalten dann nichts weiter"
            " von uns.</p>\n"
            "<p>Viele Grüße<br>{{ sender.name }}</p>\n",
        ),
        "en": (
            "Please confirm your sign-up: {{ consent_purpose }}",
            "<p>{{ salutation }},</p>\n"
            "<p>You signed up for “{{ consent_purpose }}”. Please confirm with"
            " one click:</p>\n"
            '<p><a href="{{ confirm_url }}">Confirm sign-up</a></p>\n'
            "<p>The link works for seven days. If you did not sign up, just"
            " ignore this email: you will not hear from us again.</p>\n"
            "<p>Best regards,<br>{{ sender.name }}</p>\n",
        ),
    },
)


def install(apps) -> None:
    """Add the texts and the confirmation template where they are missing."""
    text_model = apps.get_model("privacy", "ConsentText")
    for (purpose, language), text in TEXTS.items():
        if not text_model.objects.filter(purpose=purpose, language=language).exists():
            text_model.objects.create(
                purpose=purpose, language=language, version=1, text=text
            )
    template_model = apps.get_model("messaging", "MessageTemplate")
    content_model = apps.get_model("messaging", "TemplateContent")
    key, name, contents = DOI_TEMPLATE
    template, created = template_model.objects.get_or_create(
        key=key, defaults={"name": name, "purpose": "transactional"}
    )
    if created:
        for language, (subject, html) in contents.items():
            content_model.objects.create(
                template=template, language=language, subject=subject, html=html
            )
