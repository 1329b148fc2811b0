"""Messaging and playbook pages: they render, refuse, and show only what one may see."""

import pytest
from django.urls import reverse

from kundig.automation.models import Playbook
from kundig.messaging import services as messaging
from kundig.messaging.models import Mailbox, Message, MessageTemplate

pytestmark = pytest.mark.django_db


def test_the_pages_render_for_marketing(client_for, marketing_user, admin, mailbox):
    client = client_for(marketing_user)
    playbook = Playbook.objects.get(key="order-confirmation")
    template = MessageTemplate.objects.get(key="order-confirmation")
    for url in (
        reverse("messaging:message_list"),
        reverse("messaging:template_list"),
        reverse("messaging:template_create"),
        reverse("messaging:template_detail", args=[template.pk]),
        reverse("messaging:template_edit", args=[template.pk]),
        reverse("automation:playbook_list"),
        reverse("automation:playbook_create"),
        reverse("automation:playbook_detail", args=[playbook.pk]),
        reverse("automation:playbook_edit", args=[playbook.pk]),
        reverse("automation:playbook_dry_run", args=[playbook.pk]),
    ):
        assert client.get(url).status_code == 200, url


def test_sales_and_read_only_users_do_not_get_in(
    client_for, sales_nord, read_only_nord
):
    for user in (sales_nord, read_only_nord):
        client = client_for(user)
        assert client.get(reverse("messaging:template_list")).status_code == 403
        assert client.get(reverse("automation:playbook_list")).status_code == 403
    assert (
        client_for(sales_nord).get(reverse("messaging:mailbox_list")).status_code == 403
    )


def test_the_outbox_shows_only_messages_to_visible_contacts(
    client_for, admin, manager_nord, sales_sued, make_contact, mailbox
):
    template = MessageTemplate.objects.get(key="first-order-thanks")
    hidden = make_contact(sales_sued, last_name="Südkunde")
    messaging.message_queue(template=template, contact=hidden, key="h")
    message = Message.objects.get()
    admin_client = client_for(admin)
    admin_client.post(reverse("core:set_language"), {"language": "de"})

    manager = client_for(manager_nord)
    page = manager.get(reverse("messaging:message_list")).content.decode()
    assert "Südkunde" not in page
    assert manager.get(message.get_absolute_url()).status_code in (403, 404)
    assert (
        "Südkunde"
        in admin_client.get(reverse("messaging:message_list")).content.decode()
    )


def test_a_template_with_an_error_is_shown_again_with_the_line(client_for, admin):
    admin.language = "en"
    admin.save()
    response = client_for(admin).post(
        reverse("messaging:template_create"),
        {
            "name": "Kaputt",
            "key": "kaputt",
            "purpose": "transactional",
            "subject_de": "Hallo",
            "html_de": "<p>ok</p>\n<p>{{ contact.shoe_size }}</p>",
        },
    )
    assert response.status_code == 200
    assert (
        "Line 2: Unknown merge field “contact.shoe_size”." in response.content.decode()
    )
    assert not MessageTemplate.objects.filter(key="kaputt").exists()


def test_a_mailbox_saved_from_the_form_keeps_its_password_encrypted(client_for, admin):
    response = client_for(admin).post(
        reverse("messaging:mailbox_create"),
        {
            "name": "Shop", "email": "Shop@Example.de", "is_active": "on",
            "smtp_host": "mail.example.de", "smtp_port": "587",
            "smtp_security": "starttls", "smtp_username": "shop",
            "smtp_password": "s3cret-pass", "smtp_connections": "2",
            "imap_port": "993",
            "imap_security": "ssl", "imap_folder": "INBOX",
        },
    )  # fmt: skip
    assert response.status_code == 302
    mailbox = Mailbox.objects.get()
    assert mailbox.email == "shop@example.de" and mailbox.is_default
    assert mailbox.smtp_password == "s3cret-pass"
    assert "s3cret-pass" not in mailbox.smtp_password_encrypted


def test_the_editor_saves_steps_as_a_new_version(client_for, admin, mailbox):
    playbook = Playbook.objects.get(key="shipping-notice")
    data = {
        "name": playbook.name, "trigger": "shipment.sent", "is_active": "on",
        "conditions-TOTAL_FORMS": "1", "conditions-INITIAL_FORMS": "0",
        "conditions-0-field": "language", "conditions-0-op": "in",
        "conditions-0-value": "de",
        "steps-TOTAL_FORMS": "3", "steps-INITIAL_FORMS": "0",
        "steps-0-kind": "send_template", "steps-0-template": "shipping-notice",
        "steps-1-kind": "add_tag", "steps-1-tag": "versendet",
        "steps-2-kind": "",
    }  # fmt: skip
    response = client_for(admin).post(
        reverse("automation:playbook_edit", args=[playbook.pk]), data
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    playbook.refresh_from_db()
    assert playbook.is_active and playbook.version.number == 2
    assert [s["kind"] for s in playbook.version.steps] == ["send_template", "add_tag"]
    assert playbook.version.conditions == [
        {"field": "language", "op": "in", "value": ["de"]}
    ]


def test_the_dry_run_page_says_what_would_happen(
    client_for, admin, make_contact, mailbox
):
    contact = make_contact(admin, first_name="Anna", last_name="Weber")
    playbook = Playbook.objects.get(key="first-order-thanks")
    page = client_for(admin).get(
        reverse("automation:playbook_dry_run", args=[playbook.pk]),
        {"contact": contact.pk},
    )
    text = page.content.decode()
    assert "Would send “Welcome, and thank you”" in text or "Würde" in text
    assert not Message.objects.exists()


def test_the_360_page_shows_the_contacts_messages_and_runs(
    client_for, admin, sales_nord, make_contact, mailbox
):
    from kundig.automation import services
    from kundig.core import events

    contact = make_contact(sales_nord, email="p@example.de")
    template = MessageTemplate.objects.get(key="first-order-thanks")
    messaging.message_queue(template=template, contact=contact, key="p")
    services.playbook_save(
        actor=admin,
        name="Tag them",
        trigger="contact.created",
        is_active=True,
        steps_=[{"kind": "add_tag", "tag": "begrüßt"}],
    )
    services.runs_start(events.emit("contact.created", contact))
    services.run_advance(services.Run.objects.get().pk)
    sales_nord.language = "en"
    sales_nord.save()

    page = client_for(sales_nord).get(contact.get_absolute_url()).content.decode()

    assert "Messages and playbooks" in page
    assert "Welcome, and thank you" in page or "Schön, dass Sie da sind" in page
    assert "Tag them" in page
    # Sales may see the contact's messages, not open the messaging pages.
    assert (
        reverse("automation:run_detail", args=[services.Run.objects.get().pk])
        not in page
    )
