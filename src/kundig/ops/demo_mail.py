"""The demo's mail: a mailbox that sends to the mail catcher, playbooks switched on.

``demo_mail_setup()`` runs at every ``kundig demo`` start, after the demo
data. The first time it creates the demo mailbox (the default mailbox),
switches the ready-made playbooks on, so an order that comes in gets its
confirmation mail, and files a few customers' mails for the service desk.
Later starts only point the mailbox at the catcher's port again, which may
have changed; a playbook someone paused stays paused.
Both go through the services, with the system as actor.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from kundig.automation import selectors as automation_selectors
from kundig.automation import services as automation
from kundig.automation.defaults import PLAYBOOKS
from kundig.contacts import selectors as contact_selectors
from kundig.messaging import services as messaging
from kundig.messaging.choices import Security
from kundig.messaging.models import Mailbox
from kundig.ops.demo_service import demo_tickets_setup
from kundig.privacy import services as privacy

DEMO_MAILBOX_EMAIL = "service@kundig.demo"
DEMO_MAILBOX_NAME = "Kundig Demo"


@dataclass
class DemoMail:
    mailbox: Mailbox
    created: bool
    activated: list[str]
    tickets: int = 0


@transaction.atomic
def demo_mail_setup(*, host: str, port: int) -> DemoMail:
    """Point the demo mailbox at the catcher on ``host:port``; see the module."""
    mailbox = (
        Mailbox.objects.select_for_update().filter(email=DEMO_MAILBOX_EMAIL).first()
    )
    server = {"smtp_host": host, "smtp_port": port, "smtp_security": Security.NONE}
    if mailbox is None:
        mailbox = messaging.mailbox_save(
            actor=None,
            name=DEMO_MAILBOX_NAME,
            email=DEMO_MAILBOX_EMAIL,
            sender_name=DEMO_MAILBOX_NAME,
            is_default=True,
            is_active=True,
            smtp_username="",
            **server,
        )
        activated = _playbooks_on()
        _newsletter_consents()
        tickets = demo_tickets_setup(mailbox)
        return DemoMail(mailbox, created=True, activated=activated, tickets=tickets)
    if any(getattr(mailbox, name) != value for name, value in server.items()):
        mailbox = messaging.mailbox_save(actor=None, mailbox=mailbox, **server)
    return DemoMail(mailbox, created=False, activated=[])


# Customers given newsletter consent in the demo, the quietest first: the
# nightly scan finds some of them inactive and the reactivation mail goes out.
DEMO_CONSENTS = 150


def _newsletter_consents() -> int:
    """Record newsletter consent for some demo customers (as from paper forms)."""
    customers = contact_selectors.customers_last_ordered_before(timezone.now())
    ids = list(
        customers.order_by("last_order_at", "contact_id").values_list(
            "contact_id", flat=True
        )[:DEMO_CONSENTS]
    )
    contact = apps.get_model("contacts", "Contact")
    for person in contact.objects.filter(pk__in=ids):
        privacy.consent_give(
            actor=None,
            contact=person,
            purpose="newsletter",
            channel="email",
            evidence=privacy.Evidence(
                source="staff", note="Demo data: signed sign-up form"
            ),
        )
    return len(ids)


def _playbooks_on() -> list[str]:
    """Switch the ready-made playbooks on; return the keys of those switched."""
    switched = []
    ready_made = automation_selectors.playbooks_with_counts().filter(key__in=PLAYBOOKS)
    for playbook in ready_made.order_by("id"):
        if not playbook.is_active:
            automation.playbook_set_active(actor=None, playbook=playbook, active=True)
            switched.append(playbook.key)
    return switched
