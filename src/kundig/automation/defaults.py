"""The ready-made playbooks and their message templates, in German and English.

Installed paused by a data migration (an administrator sets up a mailbox and
switches on what they want); the demo switches them on. :func:`install`
works with the migration's historical models and with the real ones, and
adds only what is missing, so running it twice changes nothing.
"""

from __future__ import annotations

from kundig.messaging.ready_made import Templates, install_templates
from kundig.messaging.rendering import MAIL_STYLE

_STYLE = MAIL_STYLE

_LINES_DE = """<table class="lines">
{% for line in order.lines %}
<tr><td>{{ line.quantity }} ×</td><td>{{ line.name }}{% if line.unavailable %} <span class="muted">(leider nicht lieferbar)</span>{% endif %}</td><td class="amount">{{ line.total }}</td></tr>
{% endfor %}
<tr><td></td><td>Versand</td><td class="amount">{{ order.shipping_total }}</td></tr>
<tr><td></td><td><strong>Gesamt</strong></td><td class="amount"><strong>{{ order.total }}</strong></td></tr>
</table>
"""  # noqa: E501
_LINES_EN = """<table class="lines">
{% for line in order.lines %}
<tr><td>{{ line.quantity }} ×</td><td>{{ line.name }}{% if line.unavailable %} <span class="muted">(sadly unavailable)</span>{% endif %}</td><td class="amount">{{ line.total }}</td></tr>
{% endfor %}
<tr><td></td><td>Shipping</td><td class="amount">{{ order.shipping_total }}</td></tr>
<tr><td></td><td><strong>Total</strong></td><td class="amount"><strong>{{ order.total }}</strong></td></tr>
</table>
"""  # noqa: E501
_SIGN_DE = "<p>Viele Grüße<br>{{ sender.name }}</p>\n"
_SIGN_EN = "<p>Best regards,<br>{{ sender.name }}</p>\n"

TEMPLATES: Templates = {
    "order-confirmation": (
        "Bestellbestätigung / Order confirmation",
        "transactional",
        {
            "de": (
                "Ihre Bestellung {{ order.number }} ist bei uns eingegangen",
                _STYLE + "<p>{{ salutation }},</p>\n"
                "<p>vielen Dank für Ihre Bestellung {{ order.number }} vom "
                "{{ order.placed_at }}. Wir haben sie erhalten und machen sie "
                "fertig:</p>\n" + _LINES_DE + "<p>Sobald das Paket unterwegs ist, "
                "schicken wir Ihnen den Link zur Sendungsverfolgung.</p>\n" + _SIGN_DE,
            ),
            "en": (
                "We have received your order {{ order.number }}",
                _STYLE + "<p>{{ salutation }},</p>\n"
                "<p>thank you for your order {{ order.number }} of "
                "{{ order.placed_at }}. We have received it and are getting it "
                "ready:</p>\n" + _LINES_EN + "<p>As soon as the parcel is on its "
                "way we will send you the tracking link.</p>\n" + _SIGN_EN,
            ),
        },
    ),
    "shipping-notice": (
        "Versandbestätigung / Shipping notice",
        "transactional",
        {
            "de": (
                "Ihre Bestellung {{ order.number }} ist unterwegs",
                _STYLE + "<p>{{ salutation }},</p>\n"
                "<p>Ihre Bestellung {{ order.number }} hat unser Lager verlassen"
                "{% if shipment.carrier %} und ist mit {{ shipment.carrier }} "
                "unterwegs{% endif %}.{% if shipment.promised_for %} Sie kommt "
                "voraussichtlich am {{ shipment.promised_for }} an.{% endif %}</p>\n"
                '{% if shipment.tracking_url %}<p><a class="button" '
                'href="{{ shipment.tracking_url }}">Sendung verfolgen</a></p>\n'
                '{% endif %}{% if shipment.tracking_number %}<p class="muted">'
                "Sendungsnummer: {{ shipment.tracking_number }}</p>{% endif %}\n"
                + _SIGN_DE,
            ),
            "en": (
                "Your order {{ order.number }} is on its way",
                _STYLE + "<p>{{ salutation }},</p>\n"
                "<p>your order {{ order.number }} has left our warehouse"
                "{% if shipment.carrier %} and is travelling with "
                "{{ shipment.carrier }}{% endif %}.{% if shipment.promised_for %} "
                "It should arrive on {{ shipment.promised_for }}.{% endif %}</p>\n"
                '{% if shipment.tracking_url %}<p><a class="button" '
                'href="{{ shipment.tracking_url }}">Track your parcel</a></p>\n'
                '{% endif %}{% if shipment.tracking_number %}<p class="muted">'
                "Tracking number: {{ shipment.tracking_number }}</p>{% endif %}\n"
                + _SIGN_EN,
            ),
        },
    ),
    "late-delivery-apology": (
        "Lieferverzögerung / Late delivery apology",
        "transactional",
        {
            "de": (
                "Ihre Bestellung {{ order.number }} verspätet sich – das tut uns leid",
                _STYLE + "<p>{{ salutation }},</p>\n"
                "<p>Ihre Bestellung {{ order.number }} sollte am "
                "{{ shipment.promised_for }} bei Ihnen sein, und sie ist es noch "
                "nicht. Das ärgert uns genauso wie Sie. Wir haben beim "
                "Paketdienst nachgefragt und bleiben dran.</p>\n"
                "{% if offer.text %}<p>Als kleine Entschuldigung: {{ offer.text }}"
                "{% if offer.code %} – mit dem Code <strong>{{ offer.code }}"
                "</strong>{% endif %}.</p>{% endif %}\n" + _SIGN_DE,
            ),
            "en": (
                "Your order {{ order.number }} is late – we are sorry",
                _STYLE + "<p>{{ salutation }},</p>\n"
                "<p>your order {{ order.number }} should have reached you on "
                "{{ shipment.promised_for }}, and it has not. We are as annoyed "
                "as you are, have asked the carrier and are following it up.</p>\n"
                "{% if offer.text %}<p>As a small apology: {{ offer.text }}"
                "{% if offer.code %} – with the code <strong>{{ offer.code }}"
                "</strong>{% endif %}.</p>{% endif %}\n" + _SIGN_EN,
            ),
        },
    ),
    "revocation-received": (
        "Widerruf erhalten / Revocation received",
        "transactional",
        {
            "de": (
                "Wir haben Ihren Widerruf zur Bestellung {{ order.number }} erhalten",
                _STYLE + "<p>{{ salutation }},</p>\n"
                "<p>wir haben Ihren Widerruf zur Bestellung {{ order.number }} am "
                "{{ revocation.received_on }} erhalten. Wir erstatten Ihnen den "
                "Betrag spätestens bis zum {{ revocation.refund_due_on }}.</p>\n"
                + _SIGN_DE,
            ),
            "en": (
                "We have received your cancellation of order {{ order.number }}",
                _STYLE + "<p>{{ salutation }},</p>\n"
                "<p>we received your cancellation of order {{ order.number }} on "
                "{{ revocation.received_on }}. You will have your money back by "
                "{{ revocation.refund_due_on }} at the latest.</p>\n" + _SIGN_EN,
            ),
        },
    ),
    "return-received": (
        "Rücksendung angekommen / Return received",
        "transactional",
        {
            "de": (
                "Ihre Rücksendung zur Bestellung {{ order.number }} ist angekommen",
                _STYLE + "<p>{{ salutation }},</p>\n"
                "<p>Ihre Rücksendung{% if ret.rma_number %} {{ ret.rma_number }}"
                "{% endif %} zur Bestellung {{ order.number }} ist bei uns "
                "angekommen. Wir prüfen sie und erstatten Ihnen den Betrag "
                "umgehend; Sie bekommen dann eine kurze Nachricht.</p>\n" + _SIGN_DE,
            ),
            "en": (
                "Your return for order {{ order.number }} has arrived",
                _STYLE + "<p>{{ salutation }},</p>\n"
                "<p>your return{% if ret.rma_number %} {{ ret.rma_number }}"
                "{% endif %} for order {{ order.number }} has arrived. We are "
                "checking it and will refund you promptly; we will let you "
                "know.</p>\n" + _SIGN_EN,
            ),
        },
    ),
    "refund-issued": (
        "Erstattung / Refund issued",
        "transactional",
        {
            "de": (
                "Wir haben Ihnen {{ refund.amount }} erstattet",
                _STYLE + "<p>{{ salutation }},</p>\n"
                "<p>für Ihre Bestellung {{ order.number }} haben wir Ihnen am "
                "{{ refund.refunded_at }} {{ refund.amount }} erstattet. Je nach "
                "Zahlungsart sehen Sie den Betrag in ein paar Tagen auf Ihrem "
                "Konto.</p>\n" + _SIGN_DE,
            ),
            "en": (
                "We have refunded {{ refund.amount }}",
                _STYLE + "<p>{{ salutation }},</p>\n"
                "<p>for your order {{ order.number }} we refunded "
                "{{ refund.amount }} on {{ refund.refunded_at }}. Depending on "
                "how you paid, it will show on your account within a few "
                "days.</p>\n" + _SIGN_EN,
            ),
        },
    ),
    "first-order-thanks": (
        "Danke für die erste Bestellung / Thank you for the first order",
        "transactional",
        {
            "de": (
                "Schön, dass Sie da sind",
                _STYLE + "<p>{{ salutation }},</p>\n"
                "<p>Ihre erste Bestellung bei uns ist da – herzlichen Dank für "
                "Ihr Vertrauen! Wenn Sie Fragen haben, antworten Sie einfach auf "
                "diese Mail; hier liest ein Mensch mit.</p>\n" + _SIGN_DE,
            ),
            "en": (
                "Welcome, and thank you",
                _STYLE + "<p>{{ salutation }},</p>\n"
                "<p>your first order with us has arrived – thank you for your "
                "trust! If you have any questions, just reply to this email; a "
                "person reads it.</p>\n" + _SIGN_EN,
            ),
        },
    ),
    "reactivation": (
        "Reaktivierung / Reactivation",
        "newsletter",
        {
            "de": (
                "Wir haben etwas für Sie, "
                "{{ contact.first_name or contact.last_name }}",
                _STYLE + "<p>{{ salutation }},</p>\n"
                "<p>Ihre letzte Bestellung ist schon eine Weile her. Wir haben "
                "seitdem einiges Neues – vielleicht ist etwas für Sie dabei.</p>\n"
                '{% for recommendation in recommendations %}<p><a href="'
                '{{ recommendation.url }}">{{ recommendation.name }}</a> – '
                "{{ recommendation.price }}</p>\n{% endfor %}"
                "{% if offer.text %}<p>{{ offer.text }}{% if offer.code %} – Code "
                "<strong>{{ offer.code }}</strong>{% endif %}</p>{% endif %}\n"
                + _SIGN_DE
                + '<p class="muted"><a href="{{ unsubscribe_url }}">Keine '
                "solchen Mails mehr</a></p>\n",
            ),
            "en": (
                "Something for you, {{ contact.first_name or contact.last_name }}",
                _STYLE + "<p>{{ salutation }},</p>\n"
                "<p>it has been a while since your last order. We have plenty "
                "that is new – perhaps something for you.</p>\n"
                '{% for recommendation in recommendations %}<p><a href="'
                '{{ recommendation.url }}">{{ recommendation.name }}</a> – '
                "{{ recommendation.price }}</p>\n{% endfor %}"
                "{% if offer.text %}<p>{{ offer.text }}{% if offer.code %} – code "
                "<strong>{{ offer.code }}</strong>{% endif %}</p>{% endif %}\n"
                + _SIGN_EN
                + '<p class="muted"><a href="{{ unsubscribe_url }}">No more '
                "emails like this</a></p>\n",
            ),
        },
    ),
    "birthday-greeting": (
        "Geburtstagsgruß / Birthday greeting",
        # A business's birthday greeting counts as advertising in Germany: it
        # needs the newsletter consent like any other marketing mail.
        "newsletter",
        {
            "de": (
                "Alles Gute zum Geburtstag, "
                "{{ contact.first_name or contact.last_name }}!",
                _STYLE + "<p>{{ salutation }},</p>\n"
                "<p>herzlichen Glückwunsch zum Geburtstag! Wir wünschen Ihnen "
                "einen schönen Tag und ein gutes neues Lebensjahr.</p>\n"
                "{% if offer.text %}<p>Ein kleines Geschenk von uns: "
                "{{ offer.text }}{% if offer.code %} – Code <strong>"
                "{{ offer.code }}</strong>{% endif %}</p>{% endif %}\n"
                + _SIGN_DE
                + '<p class="muted"><a href="{{ unsubscribe_url }}">Keine '
                "solchen Mails mehr</a></p>\n",
            ),
            "en": (
                "Happy birthday, {{ contact.first_name or contact.last_name }}!",
                _STYLE + "<p>{{ salutation }},</p>\n"
                "<p>happy birthday! We wish you a lovely day and a good year "
                "ahead.</p>\n"
                "{% if offer.text %}<p>A small gift from us: {{ offer.text }}"
                "{% if offer.code %} – code <strong>{{ offer.code }}</strong>"
                "{% endif %}</p>{% endif %}\n"
                + _SIGN_EN
                + '<p class="muted"><a href="{{ unsubscribe_url }}">No more '
                "emails like this</a></p>\n",
            ),
        },
    ),
}


def _send(template: str, offer_text: str = "", offer_code: str = "") -> dict:
    return {
        "kind": "send_template",
        "template": template,
        "offer_text": offer_text,
        "offer_code": offer_code,
    }


# key -> (name, trigger, steps)
PLAYBOOKS: dict[str, tuple[str, str, list[dict]]] = {
    "order-confirmation": (
        "Bestellbestätigung / Order confirmation",
        "order.placed",
        [_send("order-confirmation")],
    ),
    "shipping-notice": (
        "Versandbestätigung mit Sendungsverfolgung / Shipping notice with tracking",
        "shipment.sent",
        [_send("shipping-notice")],
    ),
    "late-delivery-apology": (
        "Entschuldigung bei Lieferverzug / Late-delivery apology",
        "shipment.late",
        [_send("late-delivery-apology", "10 % auf Ihre nächste Bestellung", "SORRY10")],
    ),
    "revocation-received": (
        "Widerruf erhalten / Revocation received",
        "revocation.received",
        [_send("revocation-received")],
    ),
    "return-received": (
        "Rücksendung angekommen / Return received",
        "return.received",
        [_send("return-received")],
    ),
    "refund-issued": (
        "Erstattung / Refund",
        "refund.issued",
        [_send("refund-issued")],
    ),
    "first-order-thanks": (
        "Danke nach der ersten Bestellung / Thank you after the first order",
        "customer.first_order",
        [
            {"kind": "wait", "days": 1, "hours": 0, "until_event": ""},
            _send("first-order-thanks"),
        ],
    ),
    "recommendation-after-delivery": (
        "Weiterempfehlung nach der Lieferung / Recommendation after delivery",
        "shipment.delivered",
        [
            {"kind": "wait", "days": 14, "hours": 0, "until_event": ""},
            {"kind": "send_survey"},
        ],
    ),
    "reactivation": (
        "Reaktivierung / Reactivation",
        "customer.inactive",
        [
            _send("reactivation"),
            {"kind": "wait", "days": 14, "hours": 0, "until_event": "order.placed"},
            {
                "kind": "branch",
                "conditions": [
                    {"field": "waited_event_arrived", "op": "is", "value": False}
                ],
                "else_goto": 0,
            },
            {
                "kind": "create_task",
                "title": "Anrufen: keine Reaktion auf die Reaktivierung",
                "description": "",
                "due_days": 2,
                "assignee": "owner",
            },
        ],
    ),
    "birthday-greeting": (
        "Geburtstagsgruß / Birthday greeting",
        "customer.birthday",
        [_send("birthday-greeting")],
    ),
}


def install(apps) -> tuple[int, int]:
    """Add the ready-made templates and playbooks that are missing; return counts."""
    playbook_model = apps.get_model("automation", "Playbook")
    version_model = apps.get_model("automation", "PlaybookVersion")
    templates = install_templates(apps, TEMPLATES)
    playbooks = 0
    for key, (name, trigger, steps) in PLAYBOOKS.items():
        if playbook_model.objects.filter(key=key).exists():
            continue
        playbook = playbook_model.objects.create(
            key=key, name=name, trigger=trigger, is_active=False
        )
        version = version_model.objects.create(
            playbook=playbook, number=1, conditions=[], steps=steps
        )
        playbook.version = version
        playbook.save(update_fields=["version"])
        playbooks += 1
    return templates, playbooks
