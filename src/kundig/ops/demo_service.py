"""The demo's service desk: a few customers wrote, and one called.

``demo_tickets_setup(mailbox)`` runs once, when the demo mailbox is created.
Katrin leads the service team's queue and Greta, the administrator, takes
the hard cases (escalations, goodwill above Katrin's limit). Three customers
with orders write to the demo mailbox — the first one's parcel is late —
filed the way the IMAP reader files mail, so the worker turns each into a
ticket as it would in a shop; they agreed to surveys, so solving a ticket
asks for a rating. And Selma from the service team logs a call.
Later starts change nothing.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from kundig.commerce import selectors as commerce_selectors
from kundig.contacts import selectors as contact_selectors
from kundig.core.choices import Role
from kundig.core.models import User
from kundig.integrations.social import selectors as social_selectors
from kundig.integrations.social import services as social
from kundig.messaging.inbound import inbound_file
from kundig.privacy import services as privacy
from kundig.service import selectors as service_selectors
from kundig.service import services as service

SELMA = "selma.oezdemir@kundig.demo"
KATRIN = "katrin.vogel@kundig.demo"
# The demo's social intake: POST /hooks/social/demo/ with this key.
SOCIAL_SLUG = "demo"
SOCIAL_KEY = "kundig-demo-social-key"

# (subject, text) of the customers' mails, the first to the quietest buyer.
MAILS = [
    (
        "Wo bleibt meine Bestellung?",
        "Guten Tag,\n\nich habe vor über einer Woche bestellt und noch immer "
        "nichts bekommen. Die Sendungsverfolgung zeigt seit Tagen denselben "
        "Stand. Ich brauche die Sachen bis zum Wochenende – was ist da los?\n\n"
        "Freundliche Grüße",
    ),
    (
        "Schuhgröße umtauschen?",
        "Hallo,\n\nder Wanderschuh ist leider eine Nummer zu klein. Kann ich "
        "ihn gegen Größe 40 tauschen, und wie schicke ich ihn zurück?\n\nDanke!",
    ),
    (
        "Großes Lob an Ihr Team",
        "Hallo zusammen,\n\ndie Lieferung kam einen Tag früher als angekündigt "
        "und war perfekt verpackt. Weiter so!\n\nViele Grüße",
    ),
]


@transaction.atomic
def demo_tickets_setup(mailbox) -> int:
    """File the demo customers' mails and Selma's call; return how many."""
    _desk_people()
    # The first mail asks where the parcel is: from a customer whose parcel is late.
    Contact = apps.get_model("contacts", "Contact")
    late = [s.order.contact_id for s in commerce_selectors.late_shipments()[:50]]
    with_mail = set(
        Contact.objects.filter(pk__in=late, emails__is_primary=True).values_list(
            "pk", flat=True
        )
    )
    late_one = next((pk for pk in late if pk in with_mail), None)
    # The others (and the caller) wait for no parcel: their mails are not about one.
    ids = list(
        contact_selectors.customers_last_ordered_before(timezone.now())
        .exclude(contact_id__in=late)
        .order_by("-last_order_at", "contact_id")
        .values_list("contact_id", flat=True)[: len(MAILS) + 1]
    )
    if late_one is not None:
        ids = [late_one, *ids[: len(MAILS)]]
    contacts = Contact.objects.in_bulk(ids)
    people = [contacts[pk] for pk in ids if pk in contacts]
    filed = 0
    for person, (subject, text) in zip(people, MAILS, strict=False):
        address = person.emails.filter(is_primary=True).first()
        if address is None:
            continue
        # They agreed to surveys, so solving their ticket asks for a rating.
        privacy.consent_give(
            actor=None,
            contact=person,
            purpose="surveys",
            channel="email",
            evidence=privacy.Evidence(
                source="staff", note="Demo data: agreed to surveys at checkout"
            ),
        )
        mail = EmailMessage()
        mail["From"] = f"{person.full_name} <{address.email}>"
        mail["To"] = str(mailbox)
        mail["Subject"] = subject
        mail["Date"] = format_datetime(timezone.now())
        mail["Message-ID"] = make_msgid(domain="kunde.demo")
        mail.set_content(f"{text}\n{person.full_name}\n")
        inbound_file(mailbox=mailbox, raw=mail.as_bytes())
        filed += 1
    selma = User.objects.filter(email=SELMA, is_active=True).first()
    if selma is not None and len(people) > len(MAILS):
        caller = people[len(MAILS)]
        service.ticket_open(
            actor=selma,
            contact=caller,
            subject="Rückruf: Rechnung doppelt erhalten",
            channel="phone",
            category="complaint",
            body="Kunde hat die Rechnung zweimal per Post bekommen und fragt, ob "
            "er doppelt zahlen soll. Buchhaltung prüft, Rückruf zugesagt.",
            source="demo:call",
        )
        filed += 1
    return filed


# The demo's help articles: (language, category, title, text).
ARTICLES = [
    ("de", "Bestellung und Versand", "Wann kommt mein Paket?",
     "Pakete sind meist nach zwei bis drei Werktagen bei Ihnen. Den Link zur "
     "Sendungsverfolgung finden Sie in der Versandbestätigung.\n\nIst ein Paket "
     "später dran als angekündigt, melden wir uns von selbst."),
    ("de", "Bestellung und Versand", "Wie schicke ich etwas zurück?",
     "Sie haben 30 Tage Rückgaberecht. Melden Sie die Rücksendung in Ihrem "
     "Kundenkonto an (Menü „Ihr Kundenkonto“); das Rücksendeetikett kommt per "
     "Mail. Die Erstattung folgt, sobald die Ware bei uns geprüft ist."),
    ("de", "Bestellung und Versand", "Welche Zahlungsarten gibt es?",
     "Sie zahlen per Rechnung, Kreditkarte, PayPal oder Vorkasse."),
    ("de", "Produkte", "Welche Größe passt bei Wanderschuhen?",
     "Wanderschuhe fallen eher klein aus: Wählen Sie eine halbe bis ganze Nummer "
     "größer als bei Straßenschuhen. Passt es nicht, tauschen wir kostenlos um."),
    ("en", "Orders and delivery", "When will my parcel arrive?",
     "Parcels usually arrive within two to three working days. The tracking "
     "link is in the shipping confirmation."),
    ("en", "Orders and delivery", "How do I return something?",
     "You have 30 days to return items. Announce the return in your account; "
     "the return label comes by mail. We refund once we have checked the goods."),
]  # fmt: skip


def _articles(admin) -> None:
    """A few help articles, in German and English, for the help pages."""
    if service_selectors.articles_exist():
        return
    categories = {}
    for language, category, title, body in ARTICLES:
        if (language, category) not in categories:
            categories[(language, category)] = service.article_category_save(
                actor=admin, name=category, language=language,
                position=len(categories) + 1,
            )  # fmt: skip
        service.article_save(
            actor=admin, category=categories[(language, category)],
            language=language, title=title, slug="", body=body, is_published=True,
        )  # fmt: skip


def _social(admin) -> None:
    """An intake source with a known key, and a rule for the brand and products."""
    if social_selectors.sources().filter(slug=SOCIAL_SLUG).exists():
        return
    social.source_save(
        actor=admin, kind="intake", name="Social (Demo)", slug=SOCIAL_SLUG, url="",
        is_active=True, key=SOCIAL_KEY,
    )  # fmt: skip
    service.keyword_rule_save(
        actor=admin, name="Marke und Produkte", keywords="Kundig\n#kundig",
        match_products=True, action="ticket", queue=service_selectors.queue_default(),
        category="complaint", assignee=None, position=10, is_active=True,
    )  # fmt: skip


def _desk_people() -> None:
    """Katrin leads the default queue; Greta, the administrator, owns escalations;
    posts to the demo's social intake that name the brand or a product open
    tickets."""
    admin = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
    katrin = User.objects.filter(email=KATRIN, is_active=True).first()
    queue = service_selectors.queue_default()
    if admin is None or queue is None:
        return
    service.queue_save(
        actor=admin,
        queue=queue,
        team_lead=queue.team_lead or katrin,
        escalation_owner=queue.escalation_owner or admin,
    )
    _social(admin)
    _articles(admin)
