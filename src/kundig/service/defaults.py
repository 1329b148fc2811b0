"""The service desk's ready-made message templates: the portal's sign-in link,
the rating after a solved ticket (CSAT) and the recommendation question (NPS),
in German and English.

Installed by a data migration; administrators change them under Messaging →
Templates like any other. :func:`install` adds only what is missing.
"""

from __future__ import annotations

from kundig.messaging.ready_made import Templates, install_templates
from kundig.messaging.rendering import MAIL_STYLE

_BUTTONS = (
    '<p>{% for score in survey.scores %}<a class="button" href="{{ score.url }}">'
    "{{ score.value }}</a> {% endfor %}</p>\n"
)
_STOP_DE = (
    '<p class="muted">Keine Umfragen mehr? <a href="{{ unsubscribe_url }}">'
    "Hier abmelden</a>.</p>\n"
)
_STOP_EN = (
    '<p class="muted">No more surveys? <a href="{{ unsubscribe_url }}">'
    "Unsubscribe here</a>.</p>\n"
)

TEMPLATES: Templates = {
    "portal-login": (
        "Anmeldelink zum Kundenportal / Sign-in link to the customer portal",
        "transactional",
        {
            "de": (
                "Ihr Anmeldelink",
                MAIL_STYLE + "<p>{{ salutation }},</p>\n"
                "<p>mit diesem Link melden Sie sich in Ihrem Kundenkonto an – "
                "dort sehen Sie Ihre Bestellungen, Rücksendungen und Anfragen:</p>\n"
                '<p><a class="button" href="{{ portal.url }}">Anmelden</a></p>\n'
                '<p class="muted">Der Link gilt {{ portal.minutes }} Minuten und nur '
                "einmal. Haben Sie ihn nicht angefordert, können Sie diese Mail "
                "ignorieren.</p>\n<p>Viele Grüße<br>{{ sender.name }}</p>\n",
            ),
            "en": (
                "Your sign-in link",
                MAIL_STYLE + "<p>{{ salutation }},</p>\n"
                "<p>use this link to sign in to your account, where you see your "
                "orders, returns and requests:</p>\n"
                '<p><a class="button" href="{{ portal.url }}">Sign in</a></p>\n'
                '<p class="muted">The link works for {{ portal.minutes }} minutes '
                "and once only. If you did not ask for it, ignore this mail.</p>\n"
                "<p>Best regards,<br>{{ sender.name }}</p>\n",
            ),
        },
    ),
    "service-csat": (
        "Zufriedenheit nach einem Ticket / Rating after a ticket",
        "surveys",
        {
            "de": (
                "Wie zufrieden waren Sie mit unserer Hilfe? [{{ ticket.number }}]",
                MAIL_STYLE + "<p>{{ salutation }},</p>\n"
                "<p>Ihr Anliegen „{{ ticket.subject }}“ ist erledigt. Wie "
                "zufrieden waren Sie mit unserer Hilfe? Ein Klick genügt:</p>\n"
                + _BUTTONS
                + '<p class="muted">1 = gar nicht zufrieden, 5 = sehr zufrieden'
                "</p>\n<p>Vielen Dank!<br>{{ sender.name }}</p>\n" + _STOP_DE,
            ),
            "en": (
                "How happy were you with our help? [{{ ticket.number }}]",
                MAIL_STYLE + "<p>{{ salutation }},</p>\n"
                "<p>Your request “{{ ticket.subject }}” is solved. How happy were "
                "you with our help? One click is enough:</p>\n"
                + _BUTTONS
                + '<p class="muted">1 = not at all happy, 5 = very happy</p>\n'
                "<p>Thank you!<br>{{ sender.name }}</p>\n" + _STOP_EN,
            ),
        },
    ),
    "service-nps": (
        "Weiterempfehlung (NPS) / Recommendation (NPS)",
        "surveys",
        {
            "de": (
                "Eine Frage: Würden Sie uns weiterempfehlen?",
                MAIL_STYLE + "<p>{{ salutation }},</p>\n"
                "<p>wie wahrscheinlich ist es, dass Sie uns Freunden oder "
                "Kollegen weiterempfehlen?</p>\n"
                + _BUTTONS
                + '<p class="muted">0 = gar nicht wahrscheinlich, 10 = äußerst '
                "wahrscheinlich</p>\n<p>Vielen Dank!<br>{{ sender.name }}</p>\n"
                + _STOP_DE,
            ),
            "en": (
                "One question: would you recommend us?",
                MAIL_STYLE + "<p>{{ salutation }},</p>\n"
                "<p>how likely are you to recommend us to a friend or "
                "colleague?</p>\n"
                + _BUTTONS
                + '<p class="muted">0 = not at all likely, 10 = extremely likely'
                "</p>\n<p>Thank you!<br>{{ sender.name }}</p>\n" + _STOP_EN,
            ),
        },
    ),
}


def install(apps) -> int:
    """Add the templates that are missing; return how many were added."""
    return install_templates(apps, TEMPLATES)
