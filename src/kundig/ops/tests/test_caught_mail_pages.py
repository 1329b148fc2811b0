"""The caught-mail pages: for administrators, only while the catcher is on."""

from __future__ import annotations

import os
import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from django.urls import reverse

from kundig.messaging.models import InboundMessage
from kundig.ops import caught_mail
from kundig.ops.mailcatcher import MaildirHandler
from kundig.ops.views import MAIL_CSP, PER_PAGE

pytestmark = pytest.mark.django_db

MENU = re.compile(r'<span class="nav-link-title">([^<]+)</span>')


@pytest.fixture
def catcher_dir(settings, tmp_path):
    settings.KUNDIG_MAIL_CATCHER_DIR = tmp_path / "mail"
    return settings.KUNDIG_MAIL_CATCHER_DIR


@pytest.fixture
def english(admin):
    admin.language = "en"
    admin.save()
    return admin


def _message(
    subject="Ihre Bestellung SW5001 ist bei uns eingegangen",
    *,
    html="<p>Sehr geehrte Frau Mustermann,</p><p>2 × T-Shirt</p>",
    text="Sehr geehrte Frau Mustermann,\n\n2 × T-Shirt",
    **headers,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Kundig Demo <service@kundig.demo>"
    message["To"] = "Erika Mustermann <erika@example.de>"
    message["Subject"] = subject
    message["Date"] = "Tue, 03 Mar 2026 10:15:00 +0100"
    message["Message-ID"] = "<order-5001@kundig.demo>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def deliver(directory, message: EmailMessage, *, at: float | None = None) -> str:
    """Store ``message`` as the catcher does; ``at``: its arrival time."""
    store = MaildirHandler(directory)
    key = store.store(
        content=message.as_bytes(),
        mail_from="service@kundig.demo",
        rcpt_tos=["erika@example.de"],
    )
    if at is not None:
        os.utime(directory / "new" / key, (at, at))
    return key


def _detail(key):
    return reverse("ops:caught_mail_detail", args=[key])


# --- who sees it ----------------------------------------------------------------------


def test_the_admin_menu_links_the_caught_mail_while_the_catcher_is_on(
    catcher_dir, english, client_for
):
    page = client_for(english).get(reverse("activity:home")).content.decode()

    assert "Caught mail" in MENU.findall(page)
    assert reverse("ops:caught_mail_list") in page


def test_the_german_menu_names_it_too(catcher_dir, admin, client_for):
    page = client_for(admin).get(reverse("activity:home")).content.decode()

    assert reverse("ops:caught_mail_list") in page


def test_no_link_and_no_page_while_the_catcher_is_off(settings, english, client_for):
    settings.KUNDIG_MAIL_CATCHER_DIR = None
    client = client_for(english)

    page = client.get(reverse("activity:home")).content.decode()
    assert "Caught mail" not in MENU.findall(page)
    assert "mail-catcher" not in page
    assert client.get(reverse("ops:caught_mail_list")).status_code == 404
    assert client.get(_detail("1.M1P1Q1.host")).status_code == 404


@pytest.mark.parametrize("persona", ["sales_nord", "marketing_user"])
def test_other_roles_neither_see_the_link_nor_open_the_pages(
    catcher_dir, persona, request, client_for
):
    user = request.getfixturevalue(persona)
    key = deliver(catcher_dir, _message())
    client = client_for(user)

    home = client.get(reverse("activity:home")).content.decode()
    assert "mail-catcher" not in home
    for name in ("caught_mail_detail", "caught_mail_html", "caught_mail_raw"):
        assert client.get(reverse(f"ops:{name}", args=[key])).status_code == 403
    assert client.get(reverse("ops:caught_mail_list")).status_code == 403
    reply = reverse("ops:caught_mail_reply", args=[key])
    assert client.post(reply, {"text": "Hallo"}).status_code == 403


def test_signed_out_visitors_are_sent_to_the_login(catcher_dir, client):
    response = client.get(reverse("ops:caught_mail_list"))

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


# --- the list -------------------------------------------------------------------------


def test_the_list_shows_from_to_subject_and_date_newest_first(
    catcher_dir, english, client_for
):
    deliver(catcher_dir, _message("Older"), at=1_700_000_000)
    deliver(catcher_dir, _message("Newest"), at=1_700_000_200)
    deliver(catcher_dir, _message("Middle"), at=1_700_000_100)

    page = client_for(english).get(reverse("ops:caught_mail_list")).content.decode()

    subjects = re.findall(r'<a href="/mail-catcher/[^"]+/">([^<]+)</a>', page)
    assert subjects == ["Newest", "Middle", "Older"]
    assert "Kundig Demo &lt;service@kundig.demo&gt;" in page
    assert "Erika Mustermann &lt;erika@example.de&gt;" in page
    assert "03/03/2026 10:15" in page  # the Date header, in the user's time zone


def test_the_list_pages_through_many_mails(catcher_dir, admin, client_for):
    for n in range(PER_PAGE + 2):
        deliver(catcher_dir, _message(f"Mail {n:02d}"), at=1_700_000_000 + n)
    client = client_for(admin)

    first = client.get(reverse("ops:caught_mail_list")).content.decode()
    second = client.get(reverse("ops:caught_mail_list") + "?page=2").content.decode()

    assert f"Mail {PER_PAGE + 1:02d}" in first and "Mail 00" not in first
    assert re.findall(r">(Mail \d\d)<", second) == ["Mail 01", "Mail 00"]


def test_an_empty_catcher_explains_how_a_mail_arrives(catcher_dir, english, client_for):
    page = client_for(english).get(reverse("ops:caught_mail_list")).content.decode()

    assert "No mail caught yet." in page
    assert "order webhook" in page
    assert reverse("automation:playbook_list") in page


def test_a_corrupt_or_half_written_file_does_not_break_the_list(
    catcher_dir, english, client_for
):
    good = deliver(catcher_dir, _message("Still readable"), at=1_700_000_000)
    new = catcher_dir / "new"
    (new / "1700000100.M1P1Q1.broken").write_bytes(b"\x00\xff\xfe\x80garbage")
    (new / "1700000200.M1P1Q2.empty").write_bytes(b"")
    (new / "1700000300.M1P1Q3.cut").write_bytes(b"Subject: Ihre Best")
    (new / "1700000400.M1P1Q4.dir").mkdir()
    (catcher_dir / "tmp" / "1700000500.M1P1Q5.writing").write_bytes(b"From: a@")
    client = client_for(english)

    response = client.get(reverse("ops:caught_mail_list"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Still readable" in page
    assert page.count("Unreadable file") == 2  # the garbage and the empty file
    assert "Ihre Best" in page  # a cut-short mail shows what it has
    assert ".writing" not in page and ".dir" not in page
    # and each of them opens without an error
    for key in (good, "1700000100.M1P1Q1.broken", "1700000200.M1P1Q2.empty"):
        assert client.get(_detail(key)).status_code == 200


def test_a_file_that_vanishes_while_listed_is_left_out(catcher_dir, admin):
    key = deliver(catcher_dir, _message())
    [entry] = caught_mail.caught_entries(catcher_dir)
    (catcher_dir / "new" / key).unlink()

    [summary] = caught_mail.caught_summaries([entry])

    assert summary.readable is False


# --- one mail -------------------------------------------------------------------------


def test_the_detail_shows_the_headers_text_and_source(catcher_dir, english, client_for):
    key = deliver(
        catcher_dir,
        _message(
            List_Unsubscribe="<https://crm.example/u/abc>",
            List_Unsubscribe_Post="List-Unsubscribe=One-Click",
            Auto_Submitted="auto-generated",
        ),
    )

    page = client_for(english).get(_detail(key)).content.decode()

    assert "Ihre Bestellung SW5001 ist bei uns eingegangen" in page
    assert "<dt>List-Unsubscribe</dt>" in page
    assert "&lt;https://crm.example/u/abc&gt;" in page
    assert "<dt>Auto-Submitted</dt>" in page and "auto-generated" in page
    assert "<dt>Delivered-To</dt>" in page
    assert "&lt;order-5001@kundig.demo&gt;" in page
    assert "Sehr geehrte Frau Mustermann," in page  # the plain text
    assert "Content-Transfer-Encoding" in page  # the source
    assert reverse("ops:caught_mail_raw", args=[key]) in page


def test_the_html_is_shown_sandboxed_and_served_with_a_strict_csp(
    catcher_dir, admin, client_for
):
    key = deliver(
        catcher_dir,
        _message(html='<p>Hallo</p><script>parent.alert("x")</script>'),
    )
    client = client_for(admin)

    page = client.get(_detail(key)).content.decode()
    frame_url = reverse("ops:caught_mail_html", args=[key])
    assert f'sandbox="" src="{frame_url}"' in page
    assert "<script>parent.alert" not in page  # the mail's HTML is not inline

    frame = client.get(frame_url)
    assert frame.status_code == 200
    assert frame["Content-Type"] == "text/html; charset=utf-8"
    assert frame["Content-Security-Policy"] == MAIL_CSP
    assert "script-src" not in MAIL_CSP and "default-src 'none'" in MAIL_CSP
    assert "sandbox" in MAIL_CSP and "frame-ancestors 'self'" in MAIL_CSP
    assert frame["X-Frame-Options"] == "SAMEORIGIN"
    assert b"<p>Hallo</p>" in frame.content


def test_a_mail_without_html_shows_its_text_and_has_no_frame(
    catcher_dir, admin, client_for
):
    key = deliver(catcher_dir, _message(html=None, text="Nur Text."))
    client = client_for(admin)

    page = client.get(_detail(key)).content.decode()

    assert "Nur Text." in page and "<iframe" not in page
    assert client.get(reverse("ops:caught_mail_html", args=[key])).status_code == 404


def test_the_raw_source_downloads_as_eml(catcher_dir, admin, client_for):
    key = deliver(catcher_dir, _message())

    response = client_for(admin).get(reverse("ops:caught_mail_raw", args=[key]))

    assert response["Content-Type"] == "message/rfc822"
    assert "attachment" in response["Content-Disposition"]
    assert b"Message-ID: <order-5001@kundig.demo>" in response.content


@pytest.mark.parametrize("key", ["nope", "..", "1700000000.M1P1Q1.host"])
def test_an_unknown_mail_is_a_404(catcher_dir, admin, client_for, key):
    deliver(catcher_dir, _message())

    assert client_for(admin).get(_detail(key)).status_code == 404


# --- replying as the customer ---------------------------------------------------------


def test_a_reply_goes_from_the_customer_to_the_sender_and_names_the_mail(catcher_dir):
    key = deliver(catcher_dir, _message(References="<earlier@kundig.demo>"))
    mail = caught_mail.caught_mail(catcher_dir, key)

    raw = caught_mail.reply_build(mail, text="Wann kommt das Paket?")

    reply = BytesParser(policy=policy.default).parsebytes(raw)
    assert reply["From"] == "Erika Mustermann <erika@example.de>"
    assert reply["To"] == "Kundig Demo <service@kundig.demo>"
    assert reply["Subject"] == "Re: Ihre Bestellung SW5001 ist bei uns eingegangen"
    assert reply["In-Reply-To"] == "<order-5001@kundig.demo>"
    assert reply["References"] == "<earlier@kundig.demo> <order-5001@kundig.demo>"
    assert reply["Message-ID"].endswith("@example.de>")
    assert reply["Message-ID"] != mail.message_id and reply["Date"]
    text = reply.get_content().replace("\r\n", "\n")  # raw mail: CRLF lines
    assert text.startswith("Wann kommt das Paket?\n")
    assert "> Sehr geehrte Frau Mustermann," in text


def test_a_reply_answers_the_reply_to_address_and_adds_no_second_re(catcher_dir):
    key = deliver(
        catcher_dir,
        _message("Re: Rückfrage", Reply_To="Service <antwort@kundig.demo>"),
    )
    mail = caught_mail.caught_mail(catcher_dir, key)

    reply = BytesParser(policy=policy.default).parsebytes(
        caught_mail.reply_build(mail, text="Danke!")
    )

    assert reply["To"] == "Service <antwort@kundig.demo>"
    assert reply["Subject"] == "Re: Rückfrage"


def test_an_empty_reply_is_refused_on_the_page(catcher_dir, english, client_for):
    key = deliver(catcher_dir, _message())

    response = client_for(english).post(
        reverse("ops:caught_mail_reply", args=[key]), {"text": "  "}
    )

    assert response.status_code == 422
    assert "This field is required." in response.content.decode()


def test_a_reply_to_an_address_kundig_has_no_mailbox_for_is_not_filed(
    catcher_dir, english, client_for
):
    key = deliver(catcher_dir, _message())  # from service@kundig.demo: no mailbox

    response = client_for(english).post(
        reverse("ops:caught_mail_reply", args=[key]), {"text": "Hallo"}, follow=True
    )

    page = response.content.decode()
    assert "The reply was not filed" in page
    assert "No active mailbox has the address service@kundig.demo." in page
    assert not InboundMessage.objects.exists()


def test_links_open_outside_the_frame_and_one_click_unsubscribe_is_offered(
    catcher_dir, english, client_for
):
    message = _message(
        List_Unsubscribe="<https://crm.example/privacy/unsubscribe/1.newsletter:x/>",
        List_Unsubscribe_Post="List-Unsubscribe=One-Click",
    )
    message.get_body(("html",)).set_content(
        '<p><a href="https://crm.example/privacy/confirm/t0k/?a=1&amp;b=2">Ja</a>'
        '<a href="javascript:alert(1)">x</a></p>',
        subtype="html",
    )
    key = deliver(catcher_dir, message)

    page = client_for(english).get(_detail(key)).content.decode()

    assert (
        '<a href="https://crm.example/privacy/confirm/t0k/?a=1&amp;b=2" '
        'target="_blank" rel="noopener noreferrer">'
    ) in page
    assert "javascript:" not in page.split('id="mail-links"')[1].split("</dd>")[0]
    assert (
        '<form method="post" action="https://crm.example/privacy/unsubscribe/'
        '1.newsletter:x/" target="_blank" id="one-click">'
    ) in page
