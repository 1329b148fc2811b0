"""The customer portal: a sign-in link by real mail, used once; the customer
sees only their own orders, returns and requests; announces a return and
follows it to the refund."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from kundig.commerce import services as commerce
from kundig.commerce.models import Return
from kundig.commerce.tests.test_orders import order
from kundig.messaging import services as messaging
from kundig.messaging.models import Message
from kundig.service import services
from kundig.service.models import PortalLink, Ticket

pytestmark = pytest.mark.django_db

START = reverse("service:portal_start")
HOME = reverse("service:portal_home")


@pytest.fixture
def erika(desk):
    """A customer with an order (erika@example.de), reading English."""
    placed = commerce.order_record(
        actor=None, source="shop-1", data=order("2001")
    ).order
    contact = placed.contact
    contact.language = "en"
    contact.save(update_fields=["language"])
    return contact


def someone_elses_order(ext: str):
    buyer = commerce.BuyerData(
        customer_ref=f"c-{ext}", email=f"kunde{ext}@example.de", first_name="Kim",
        last_name="Kunde", street="Weg 1", postcode="20095", city="Hamburg",
    )  # fmt: skip
    return commerce.order_record(
        actor=None, source="shop-1", data=order(ext, buyer=buyer)
    ).order


def link_from_mail(smtp) -> str:
    messaging.outbox_send_due()
    body = smtp.messages[-1].get_body(("html",)).get_content()
    return re.search(r'href="(https?://[^"]+/portal/in/[^"]+/)"', body).group(1)


def signed_in(client, smtp, email="erika@example.de"):
    client.post(START, {"email": email})
    path = link_from_mail(smtp).split("://", 1)[1].split("/", 1)[1]
    client.post("/" + path)
    return client


# --- signing in -----------------------------------------------------------------------


def test_a_known_customer_gets_a_link_by_mail_and_signs_in_once(
    client, erika, mailbox, smtp
):
    asked = client.post(START, {"email": " Erika@Example.de "})
    url = link_from_mail(smtp)
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]

    assert 'id="link-sent"' in asked.content.decode()
    assert "<erika@example.de>" in smtp.messages[-1]["To"]
    assert Message.objects.get().purpose == "transactional"
    # opening the link (a mail scanner does) signs nobody in
    assert client.get(path).status_code == 200
    assert client.get(HOME).status_code == 302
    assert client.post(path).url == HOME
    assert "Order SW2001" in client.get(HOME).content.decode()
    # the link works once
    other = type(client)()
    assert other.post(path).status_code == 404


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, erika, mailbox):
    response = client.post(START, {"email": "fremd@example.de"})

    assert 'id="link-sent"' in response.content.decode()
    assert not Message.objects.exists() and not PortalLink.objects.exists()


def test_at_most_five_links_an_hour(client, erika, mailbox):
    for _ in range(7):
        client.post(START, {"email": "erika@example.de"})

    assert PortalLink.objects.count() == 5
    assert Message.objects.count() == 5


def test_an_expired_link_signs_nobody_in(client, erika, mailbox, smtp):
    client.post(START, {"email": "erika@example.de"})
    url = link_from_mail(smtp)
    PortalLink.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    response = client.post(
        "/" + url.split("://", 1)[1].split("/", 1)[1], HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 404
    assert "This link has expired or was used already." in response.content.decode()


def test_a_made_up_token_is_refused(client):
    assert (
        client.post(reverse("service:portal_enter", args=["x" * 43])).status_code == 404
    )


def test_signing_out(client, erika, mailbox, smtp):
    signed_in(client, smtp)

    client.post(reverse("service:portal_leave"))

    assert client.get(HOME).status_code == 302


# --- only one's own -------------------------------------------------------------------


def test_a_customer_sees_only_their_own(client, erika, anna, mailbox, smtp, agent):
    theirs = someone_elses_order("2002")
    note_ticket = services.ticket_open(
        actor=agent, contact=erika, subject="Rückfrage", channel="phone",
        body="Kundin fragt nach Rechnung",
    )  # fmt: skip
    services.ticket_note(actor=agent, ticket=note_ticket, text="intern: Stammkundin")
    others = services.ticket_open(
        actor=None, contact=anna, subject="Annas Frage", channel="web"
    )
    signed_in(client, smtp)

    home = client.get(HOME).content.decode()
    assert "SW2001" in home and "SW2002" not in home and "Annas Frage" not in home
    assert (
        client.get(reverse("service:portal_order", args=[theirs.pk])).status_code == 404
    )
    assert (
        client.get(reverse("service:portal_ticket", args=[others.pk])).status_code
        == 404
    )
    mine = client.get(reverse("service:portal_ticket", args=[note_ticket.pk]))
    assert "Kundin fragt nach Rechnung" in mine.content.decode()
    assert "Stammkundin" not in mine.content.decode()


# --- a return, to the refund ----------------------------------------------------------


def test_a_customer_announces_a_return_and_follows_it_to_the_refund(
    client, erika, mailbox, smtp, admin
):
    signed_in(client, smtp)
    placed = commerce_order(erika)
    line = placed.lines.get()
    url = reverse("service:portal_order", args=[placed.pk])

    form = client.get(url)
    assert 'id="announce-return"' in form.content.decode()
    for _ in range(2):  # a double click
        response = client.post(
            url, {f"line-{line.pk}": "1", "reason": "size", "comment": "Zu klein",
                  "key": "portal-1"},
        )  # fmt: skip
    assert response.url == HOME
    ret = Return.objects.get()
    ticket = Ticket.objects.get(source=f"portal:return:{ret.pk}")
    assert (ticket.category, ticket.channel, ticket.ret) == ("return", "web", ret)

    commerce.return_step(
        actor=admin, ret=ret, status="label_sent", label_reference="RET-1"
    )
    home = client.get(HOME).content.decode()
    assert "RET-1" in home and "The parcel is on its way" in home
    sent = reverse("service:portal_return_sent", args=[ret.pk])
    client.post(sent, {"status": "in_transit", "carrier": "DHL", "tracking_number": ""})
    assert "This field is required." in client.get(HOME).content.decode()
    client.post(
        sent, {"status": "in_transit", "carrier": "DHL", "tracking_number": "0034"}
    )
    for status, extra in (("received", {}), ("inspected", {"condition": "as_new"}),
                          ("refunded", {})):  # fmt: skip
        ret = commerce.return_step(actor=admin, ret=ret, status=status, **extra)

    home = client.get(HOME).content.decode()
    assert "Refunded" in home and "DHL 0034" in home


def commerce_order(contact):
    from kundig.commerce import selectors

    return selectors.orders_of_customer(contact.pk).get()


def test_a_return_of_someone_elses_order_is_refused(client, erika, mailbox, smtp):
    other = someone_elses_order("2003")
    signed_in(client, smtp)

    response = client.post(
        reverse("service:portal_order", args=[other.pk]),
        {"reason": "size", "key": "k"},
    )

    assert response.status_code == 404
    assert not Return.objects.exists()
