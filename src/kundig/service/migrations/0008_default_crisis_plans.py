"""Crisis plans to start with, in the desk's language (KUNDIG_LANGUAGE).

Each plan answers in German and in English; the steps and names follow the
desk's language. Agents grant up to 25 €, team leads up to 100 €.
"""

from decimal import Decimal

from django.conf import settings
from django.db import migrations

LATE_DE = (
    "{{ salutation }},\n\n"
    "es tut uns leid, dass Ihre Bestellung {{ order.number }} noch nicht bei Ihnen "
    "ist. Wir haben beim Versanddienst nachgefragt und kümmern uns darum, dass "
    "sie schnellstmöglich ankommt.\n\n"
    "Viele Grüße\n{{ sender.name }}"
)
LATE_EN = (
    "{{ salutation }},\n\n"
    "we are sorry that your order {{ order.number }} has not reached you yet. "
    "We have asked the carrier and are making sure it arrives as soon as "
    "possible.\n\n"
    "Kind regards\n{{ sender.name }}"
)
BROKEN_DE = (
    "{{ salutation }},\n\n"
    "es tut uns leid, dass mit Ihrem Artikel etwas nicht stimmt. Damit wir "
    "schnell helfen können: Schicken Sie uns bitte ein Foto des Problems? Wir "
    "melden uns dann sofort mit einer Lösung.\n\n"
    "Viele Grüße\n{{ sender.name }}"
)
BROKEN_EN = (
    "{{ salutation }},\n\n"
    "we are sorry that something is wrong with your item. So that we can help "
    "quickly: could you send us a photo of the problem? We will come back to "
    "you with a solution right away.\n\n"
    "Kind regards\n{{ sender.name }}"
)
COMPLAINT_DE = (
    "{{ salutation }},\n\n"
    "vielen Dank, dass Sie uns geschrieben haben, und es tut uns leid, dass Sie "
    "verärgert sind. Ich kümmere mich persönlich um Ihr Anliegen "
    "({{ ticket.number }}) und melde mich spätestens morgen bei Ihnen.\n\n"
    "Viele Grüße\n{{ sender.name }}"
)
COMPLAINT_EN = (
    "{{ salutation }},\n\n"
    "thank you for writing to us, and we are sorry you are upset. I am taking "
    "care of your request ({{ ticket.number }}) personally and will get back "
    "to you by tomorrow at the latest.\n\n"
    "Kind regards\n{{ sender.name }}"
)

# category, name, steps, response (de, en), hours, options (kind, label, amount)
PLANS = {
    "de": [
        (
            "late_delivery",
            "Lieferverzug",
            [
                "Sendungsverfolgung prüfen",
                "Beim Versanddienst nachfragen",
                "Kunde informieren und neuen Termin nennen",
                "Falls verloren: Ersatz versenden",
            ],
            (LATE_DE, LATE_EN),
            16,
            [
                ("voucher", "Gutschein", "10.00"),
                ("free_return", "Kostenlose Rücksendung", "5.90"),
                ("partial_refund", "Teilerstattung", "50.00"),
            ],
        ),
        (
            "handling",
            "Defekt oder Handhabungsproblem",
            [
                "Foto oder Beschreibung des Problems anfordern",
                "Bedienfehler ausschließen",
                "Ersatz oder Reparatur anbieten",
            ],
            (BROKEN_DE, BROKEN_EN),
            24,
            [
                ("replacement", "Ersatzartikel", "50.00"),
                ("discount", "Rabatt auf die nächste Bestellung", "15.00"),
            ],
        ),
        (
            "complaint",
            "Beschwerde",
            [
                "Vorgeschichte im 360°-Blick lesen",
                "Kunde anrufen",
                "Lösung schriftlich bestätigen",
            ],
            (COMPLAINT_DE, COMPLAINT_EN),
            8,
            [
                ("voucher", "Gutschein", "15.00"),
                ("partial_refund", "Teilerstattung", "30.00"),
            ],
        ),
    ],
    "en": [
        (
            "late_delivery",
            "Late delivery",
            [
                "Check the tracking",
                "Ask the carrier",
                "Tell the customer and give a new date",
                "If lost: send a replacement",
            ],
            (LATE_DE, LATE_EN),
            16,
            [
                ("voucher", "Voucher", "10.00"),
                ("free_return", "Free return shipping", "5.90"),
                ("partial_refund", "Partial refund", "50.00"),
            ],
        ),
        (
            "handling",
            "Defect or handling problem",
            [
                "Ask for a photo or description of the problem",
                "Rule out a handling mistake",
                "Offer a replacement or repair",
            ],
            (BROKEN_DE, BROKEN_EN),
            24,
            [
                ("replacement", "Replacement item", "50.00"),
                ("discount", "Discount on the next order", "15.00"),
            ],
        ),
        (
            "complaint",
            "Complaint",
            [
                "Read the history on the 360° page",
                "Call the customer",
                "Confirm the solution in writing",
            ],
            (COMPLAINT_DE, COMPLAINT_EN),
            8,
            [
                ("voucher", "Voucher", "15.00"),
                ("partial_refund", "Partial refund", "30.00"),
            ],
        ),
    ],
}


def create(apps, schema_editor):
    CrisisPlan = apps.get_model("service", "CrisisPlan")
    if CrisisPlan.objects.exists():
        return
    language = "en" if settings.LANGUAGE_CODE.startswith("en") else "de"
    for category, name, steps, (de, en), hours, options in PLANS[language]:
        plan = CrisisPlan.objects.create(
            category=category,
            name=name,
            solution_hours=hours,
            response_de=de,
            response_en=en,
            agent_limit=Decimal("25.00"),
            team_lead_limit=Decimal("100.00"),
        )
        for position, text in enumerate(steps, start=1):
            plan.steps.create(text=text, position=position)
        for position, (kind, label, amount) in enumerate(options, start=1):
            plan.options.create(
                kind=kind, label=label, amount=Decimal(amount), position=position
            )


class Migration(migrations.Migration):
    dependencies = [("service", "0007_crisis_plans_goodwill")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
