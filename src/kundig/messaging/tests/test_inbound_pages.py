"""Incoming mail on the pages: the mail page, downloads, the contact's card, replies."""

from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.urls import reverse

from kundig.activity.models import TimelineEntry
from kundig.contacts import services as contact_services
from kundig.messaging import inbound, services
from kundig.messaging.models import InboundMessage, Message, SuppressedAddress

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def anna(make_contact, sales_nord):
    return make_contact(
        sales_nord, first_name="Anna", last_name="Weber", email="anna@example.de"
    )


def english(user):
    user.language = "en"
    user.save()
    return user


def raw_mail(subject="Frage", *, html=None, attachments=(), **headers) -> bytes:
    message = EmailMessage()
    message["From"] = "Anna Weber <anna@example.de>"
    message["To"] = "service@weber-wohnen.example"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="kunde.test")
    for name, value in headers.items():
        del message[name.replace("_", "-")]  # From, To …: given ones replace these
        message[name.replace("_", "-")] = value
    message.set_content("Wo bleibt meine Bestellung?\n\nAnna")
    if html:
        message.add_alternative(html, subtype="html")
    for filename, maintype, subtype, data in attachments:
        message.add_attachment(
            data, maintype=maintype, subtype=subtype, filename=filename
        )
    return message.as_bytes()


def filed(mailbox, raw) -> InboundMessage:
    return inbound.inbound_file(mailbox=mailbox, raw=raw).message


def test_filing_raw_bytes_directly_works_once(mailbox, anna):
    raw = raw_mail()

    first = inbound.inbound_file(mailbox=mailbox, raw=raw)
    again = inbound.inbound_file(mailbox=mailbox, raw=raw)

    assert first.created and not again.created
    assert again.message.pk == first.message.pk
    assert TimelineEntry.objects.filter(source_type="messaging.inbound").count() == 1


def test_attachments_download_only_for_users_who_may_see_the_contact(
    mailbox, anna, sales_nord, sales_sued, read_only_nord, client_for
):
    mail = filed(mailbox, raw_mail(attachments=[
        ("Rechnung.pdf", "application", "pdf", PDF),
        ("seite.html", "text", "html", b"<script>alert(1)</script>"),
    ]))  # fmt: skip
    pdf, page = mail.attachments.order_by("id")

    response = client_for(sales_nord).get(pdf.get_absolute_url())

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Rechnung.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    html = client_for(read_only_nord).get(page.get_absolute_url())
    assert html.status_code == 200
    assert html["Content-Disposition"].startswith("attachment;")
    other = client_for(sales_sued)
    assert other.get(pdf.get_absolute_url()).status_code == 404
    assert other.get(mail.get_absolute_url()).status_code == 404
    wrong_mail = reverse("messaging:inbound_attachment", args=[mail.pk + 1, pdf.pk])
    assert client_for(sales_nord).get(wrong_mail).status_code == 404


def test_programs_and_oversized_files_are_not_kept(mailbox, anna, settings):
    settings.KUNDIG_MAIL_ATTACHMENT_MAX_BYTES = 1000
    mail = filed(mailbox, raw_mail(attachments=[
        ("tool.exe", "application", "octet-stream", b"MZ\x90\x00"),
        ("rechnung.pdf", "application", "pdf", b"MZ\x90\x00 pretends"),
        ("gross.pdf", "application", "pdf", PDF + b"x" * 2000),
        ("foto.png", "image", "png", b"not a png at all"),
    ]))  # fmt: skip

    exe, fake_pdf, large, png = mail.attachments.order_by("id")

    assert "not kept" in exe.refused and not exe.file
    assert "not kept" in fake_pdf.refused
    assert "not kept" in large.refused and large.size > 2000
    assert png.refused == "" and png.content_type == "application/octet-stream"


def test_odd_file_names_are_kept_safe(mailbox, anna):
    mail = filed(mailbox, raw_mail(attachments=[
        ("€€€", "application", "pdf", PDF),
        ("../../etc/passwd", "text", "plain", b"root"),
        ("C:\\Users\\anna\\Grüße.pdf", "application", "pdf", PDF),
    ]))  # fmt: skip

    euro, passwd, windows = mail.attachments.order_by("id")

    assert euro.filename == "€€€" and euro.file.name.endswith("/attachment")
    assert passwd.filename == "passwd"
    assert passwd.file.name.startswith("messaging/inbound/")
    assert windows.filename == "Grüße.pdf" and windows.file.read() == PDF


def test_erasing_the_contact_removes_its_mail_and_files(
    mailbox, anna, admin, django_capture_on_commit_callbacks
):
    mail = filed(mailbox, raw_mail(attachments=[("a.pdf", "application", "pdf", PDF)]))
    stored = mail.attachments.get().file
    assert stored.storage.exists(stored.name)

    with django_capture_on_commit_callbacks(execute=True):
        contact_services.contact_delete(actor=admin, contact=anna)

    assert not InboundMessage.objects.exists()
    assert not stored.storage.exists(stored.name)


def test_the_mail_page_shows_the_sanitised_mail_in_a_sandbox_and_the_thread(
    mailbox, anna, sales_nord, client_for
):
    english(sales_nord)
    first = filed(mailbox, raw_mail(
        "Frage", html='<p onclick="x()">Hallo <img src="https://t.example/p.gif"></p>'
    ))  # fmt: skip
    second = filed(mailbox, raw_mail("Nachtrag", In_Reply_To=first.message_id))

    body = client_for(sales_nord).get(first.get_absolute_url()).content.decode()

    assert "<iframe" in body and " sandbox " in body
    assert "onclick" not in first.html and "img" not in first.html
    assert "Nachtrag" in body and second.get_absolute_url() in body
    assert reverse("messaging:contact_write", args=[anna.pk]) in body


def test_the_contact_page_loads_the_mail_card_with_reply_buttons(
    mailbox, anna, sales_nord, read_only_nord, client_for
):
    english(sales_nord)
    mail = filed(mailbox, raw_mail("Frage zur Lieferung"))
    card_url = reverse("messaging:contact_mail", args=[anna.pk])

    page = client_for(sales_nord).get(anna.get_absolute_url()).content.decode()
    card = client_for(sales_nord).get(card_url, HTTP_HX_REQUEST="true")

    assert f'hx-get="{card_url}"' in page
    body = card.content.decode()
    assert "Frage zur Lieferung" in body and mail.get_absolute_url() in body
    assert f"?reply={mail.pk}" in body
    read_only = client_for(english(read_only_nord)).get(card_url).content.decode()
    assert "Frage zur Lieferung" in read_only and "?reply=" not in read_only


def test_a_reply_from_the_contact_page_goes_out_threaded_and_once(
    mailbox, smtp, anna, sales_nord, client_for
):
    english(sales_nord)
    mail = filed(
        mailbox, raw_mail("Frage zur Lieferung", References="<alt@kunde.test>")
    )
    client = client_for(sales_nord)
    url = reverse("messaging:contact_write", args=[anna.pk])

    form = client.get(url, {"reply": mail.pk}, HTTP_HX_REQUEST="true")
    initial = form.context["form"].initial
    assert initial["subject"] == "Re: Frage zur Lieferung"
    assert "> Wo bleibt meine Bestellung?" in initial["text"]
    data = {"subject": initial["subject"], "text": "Heute geht sie raus.",
            "key": initial["key"], "reply": mail.pk}  # fmt: skip
    posted = client.post(url, data, HTTP_HX_REQUEST="true")
    client.post(url, data, HTTP_HX_REQUEST="true")  # a double click

    assert posted.status_code == 200 and "kundig:toast" in posted["HX-Trigger"]
    message = Message.objects.get()
    assert (message.origin, message.created_by, message.purpose) == (
        "reply",
        sales_nord,
        "transactional",
    )
    assert services.outbox_send_due() == 1
    [sent] = smtp.messages
    assert sent["To"] == "Anna Weber <anna@example.de>"
    assert sent["Subject"] == "Re: Frage zur Lieferung"
    assert sent["In-Reply-To"] == mail.message_id
    assert sent["References"] == f"<alt@kunde.test> {mail.message_id}"
    assert sent["Auto-Submitted"] is None
    assert "Heute geht sie raus." in sent.get_content()
    entry = TimelineEntry.objects.get(source_type="messaging.message")
    assert entry.contact_id == anna.pk and entry.direction == "out"


def test_a_new_mail_goes_to_the_contacts_address(
    mailbox, smtp, anna, sales_nord, client_for
):
    url = reverse("messaging:contact_write", args=[anna.pk])
    key = client_for(sales_nord).get(url).context["form"].initial["key"]

    response = client_for(sales_nord).post(
        url, {"subject": "Ihr Termin", "text": "Am Montag um 10 Uhr.", "key": key}
    )

    assert response.status_code == 302
    services.outbox_send_due()
    [sent] = smtp.messages
    assert sent["To"] == "Anna Weber <anna@example.de>" and sent["In-Reply-To"] is None
    assert Message.objects.get().origin == "written"


def test_only_those_who_see_and_may_write_can_reply(
    mailbox, anna, sales_sued, read_only_nord, client_for
):
    mail = filed(mailbox, raw_mail())
    url = reverse("messaging:contact_write", args=[anna.pk])
    data = {"subject": "x", "text": "y", "key": "a" * 32, "reply": mail.pk}

    assert client_for(sales_sued).post(url, data).status_code == 404
    assert client_for(read_only_nord).post(url, data).status_code == 403
    assert not Message.objects.exists()


def test_a_reply_to_a_blocked_address_is_refused_with_the_reason(
    mailbox, anna, sales_nord, client_for
):
    english(sales_nord)
    mail = filed(mailbox, raw_mail())
    SuppressedAddress.objects.create(email="anna@example.de", reason="Hard bounce")
    url = reverse("messaging:contact_write", args=[anna.pk])

    response = client_for(sales_nord).post(
        url,
        {"subject": "Re", "text": "Hallo", "key": "b" * 32, "reply": mail.pk},
        HTTP_HX_REQUEST="true",
    )

    assert "no longer sends to anna@example.de" in response.content.decode()
    assert not Message.objects.exists()


def test_the_inbox_lists_what_the_user_may_see(
    mailbox, anna, marketing_user, admin, client_for
):
    filed(mailbox, raw_mail("Von Anna"))
    stranger = raw_mail("Newsletter", Precedence="bulk").replace(
        b"anna@example.de", b"news@shop.example"
    )
    filed(mailbox, stranger)
    url = reverse("messaging:inbound_list")

    marketing = client_for(marketing_user).get(url).content.decode()
    everything = client_for(admin).get(url).content.decode()

    assert "Newsletter" not in marketing  # no contact: for administrators
    assert "Von Anna" in everything and "Newsletter" in everything
