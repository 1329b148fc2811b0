"""Filing a fetch of mails at once: the same outcome as one by one, in few queries."""

from __future__ import annotations

import logging

import pytest
from django.apps import apps
from django.db import IntegrityError, OperationalError, connection
from django.test.utils import CaptureQueriesContext

from kundig.activity.models import TimelineEntry
from kundig.core.models import DomainEvent
from kundig.messaging import imap, inbound
from kundig.messaging.models import InboundAttachment, InboundMessage, SuppressedAddress
from kundig.messaging.tests.test_inbound_imap import PDF, dsn, mail, sent_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna(make_contact, sales_nord):
    return make_contact(
        sales_nord, first_name="Anna", last_name="Weber", email="anna@example.de"
    )


@pytest.fixture
def template(admin, mailbox):
    from kundig.messaging import services

    return services.template_save(
        actor=admin, key="hello", name="Hello", purpose="transactional",
        contents={"de": {"subject": "Ihre Bestellung", "html": "<p>Hallo</p>"}},
    )  # fmt: skip


def file(mailbox, raws: list[bytes], mode: str) -> list[inbound.Filed]:
    if mode == "one by one":
        return [inbound.inbound_file(mailbox=mailbox, raw=raw) for raw in raws]
    return inbound.inbound_file_many(
        mailbox=mailbox, mails=[inbound.Incoming(raw=raw) for raw in raws]
    )


@pytest.mark.parametrize("mode", ["one by one", "batch"])
def test_a_batch_files_every_kind_of_mail_as_filing_them_one_by_one_does(
    mailbox, anna, template, mode
):
    ours = sent_to(template, anna)
    earlier = mail("anna@example.de", "Schon da", message_id="<earlier@kunde.test>")
    inbound.inbound_file(mailbox=mailbox, raw=earlier.as_bytes())
    question = mail("anna@example.de", "Frage", message_id="<question@kunde.test>")
    question.add_attachment(
        PDF, maintype="application", subtype="pdf", filename="rechnung.pdf"
    )
    question.add_attachment(
        b"MZ\x90\x00", maintype="application", subtype="octet-stream",
        filename="tool.exe",
    )  # fmt: skip
    raws = [
        question.as_bytes(),
        # A reply to our mail, and one to the question above, in the same batch.
        mail("anna@example.de", "Re: Ihre Bestellung", In_Reply_To=ours.message_id)
        .as_bytes(),
        mail("anna@example.de", "Nachtrag", In_Reply_To="<question@kunde.test>",
             References="<earlier@kunde.test> <question@kunde.test>").as_bytes(),
        # A new sender twice: one new contact.
        mail("Jürgen Müller <juergen@example.de>", "Hallo").as_bytes(),
        mail("juergen@example.de", "Noch was").as_bytes(),
        # Flagged: no effect beyond being filed.
        mail("anna@example.de", "Abwesend", Auto_Submitted="auto-replied").as_bytes(),
        mail("news@shop.example", "Angebote", List_Id="<news.shop.example>")
        .as_bytes(),
        mail("service@weber-wohnen.example", "Von uns").as_bytes(),
        # Second deliveries: of a mail in this batch, of one filed before.
        question.as_bytes(),
        earlier.as_bytes(),
        dsn(ours, "5.1.1", "failed", "550 User unknown"),
    ]  # fmt: skip
    contacts_before = apps.get_model("contacts", "Contact").objects.count()

    filed = file(mailbox, raws, mode)

    assert [f.created for f in filed] == [True] * 8 + [False, False, True]
    assert filed[8].message == filed[0].message
    assert filed[9].message.message_id == "<earlier@kunde.test>"
    by_subject = {m.subject: m for m in InboundMessage.objects.all()}
    assert by_subject["Re: Ihre Bestellung"].reply_to_message == ours
    assert by_subject["Nachtrag"].reply_to_inbound == by_subject["Frage"]
    juergen = by_subject["Hallo"].contact
    assert juergen.first_name == "Jürgen" and by_subject["Noch was"].contact == juergen
    assert [f.contact_created for f in filed[3:5]] == [True, False]
    assert apps.get_model("contacts", "Contact").objects.count() == contacts_before + 1
    assert by_subject["Abwesend"].contact == anna
    assert by_subject["Abwesend"].kind == "auto_reply"
    assert by_subject["Angebote"].contact is None
    assert by_subject["Von uns"].kind == "own" and by_subject["Von uns"].contact is None
    kept, refused = by_subject["Frage"].attachments.order_by("filename")
    assert (kept.filename, kept.content_type, refused.filename) == (
        "rechnung.pdf", "application/pdf", "tool.exe",
    )  # fmt: skip
    assert kept.file.read() == PDF and refused.refused and not refused.file
    bounce = InboundMessage.objects.get(kind="bounce")
    assert bounce.reply_to_message == ours
    assert SuppressedAddress.objects.filter(email="anna@example.de").exists()

    people = ["Schon da", "Frage", "Re: Ihre Bestellung", "Nachtrag", "Hallo",
              "Noch was"]  # fmt: skip
    entries = TimelineEntry.objects.filter(source_type="messaging.inbound")
    assert sorted(entries.values_list("summary", flat=True)) == sorted(people)
    entry = entries.get(summary="Frage")
    assert entry.contact == anna and entry.direction == "in"
    assert entry.source_id == str(by_subject["Frage"].pk)
    assert entry.source_url == by_subject["Frage"].get_absolute_url()
    received = DomainEvent.objects.filter(name="message.received")
    assert sorted(e.subject_id for e in received) == sorted(
        by_subject[s].pk for s in people
    )
    reply = received.get(subject_id=by_subject["Re: Ihre Bestellung"].pk)
    assert reply.subject_type == "messaging.inboundmessage"
    assert reply.payload == {
        "contact_id": anna.pk,
        "mailbox": mailbox.email,
        "answers_message": ours.pk,
        "answers_inbound": None,
        "contact_created": False,
    }
    assert received.get(subject_id=by_subject["Hallo"].pk).payload["contact_created"]


def test_a_batch_takes_the_same_queries_for_five_mails_as_for_twenty(
    mailbox, make_contact, sales_nord
):
    senders = [f"kunde{n}@example.de" for n in range(20)]
    for address in senders:
        make_contact(sales_nord, last_name="Kunde", email=address)

    def batch(size, tag):
        mails = []
        for n in range(size):
            message = mail(senders[n], f"{tag} {n}", In_Reply_To=f"<{tag}{n}@x.test>")
            if n % 4 == 0:
                message.add_attachment(
                    PDF, maintype="application", subtype="pdf", filename="a.pdf"
                )
            mails.append(inbound.Incoming(raw=message.as_bytes()))
        return mails

    with CaptureQueriesContext(connection) as five:
        assert len(inbound.inbound_file_many(mailbox=mailbox, mails=batch(5, "A"))) == 5
    with CaptureQueriesContext(connection) as twenty:
        filed = inbound.inbound_file_many(mailbox=mailbox, mails=batch(20, "B"))

    # Mailboxes, known Message-IDs, savepoint, threads (ours, theirs),
    # senders, ids, mails, attachments, timeline ids, savepoint released (the
    # bulk inserts of entries and events go past Django's cursor; SQLite
    # takes two queries for new ids).
    expected = {"sqlite": 13, "postgresql": 11}[connection.vendor]
    assert (len(five), len(twenty)) == (expected, expected)
    assert all(f.created for f in filed) and InboundMessage.objects.count() == 25
    assert InboundAttachment.objects.count() == 7
    assert TimelineEntry.objects.filter(source_type="messaging.inbound").count() == 25
    assert DomainEvent.objects.filter(name="message.received").count() == 25


def test_a_batch_that_fails_leaves_no_mail_and_no_file(
    mailbox, anna, monkeypatch, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    message = mail("anna@example.de", "Mit Anhang")
    message.add_attachment(
        PDF, maintype="application", subtype="pdf", filename="rechnung.pdf"
    )

    def broken(entries):
        raise RuntimeError("the timeline is away")

    monkeypatch.setattr(inbound, "timeline_add_many", broken)
    with pytest.raises(RuntimeError):
        inbound.inbound_file_many(
            mailbox=mailbox, mails=[inbound.Incoming(raw=message.as_bytes())]
        )

    assert not InboundMessage.objects.exists()
    assert not InboundAttachment.objects.exists()
    assert [p for p in (tmp_path / "media").rglob("*") if p.is_file()] == []
    monkeypatch.undo()
    filed = inbound.inbound_file_many(
        mailbox=mailbox, mails=[inbound.Incoming(raw=message.as_bytes())]
    )
    assert filed[0].created
    assert len([p for p in (tmp_path / "media").rglob("*") if p.is_file()]) == 1


class Deadlock(Exception):
    sqlstate = "40P01"


def integrity_error():
    return IntegrityError("duplicate key value violates unique constraint")


def deadlock():
    try:
        raise OperationalError("deadlock detected") from Deadlock()
    except OperationalError as exc:
        return exc


@pytest.mark.parametrize("error", [integrity_error, deadlock])
def test_the_reader_files_a_fetch_one_by_one_when_another_reader_got_there_first(
    mailbox, anna, monkeypatch, caplog, error
):
    fetched = [
        (uid, mail("anna@example.de", f"Mail {uid}").as_bytes(), 0, False)
        for uid in (1, 2, 3)
    ]
    inbound.inbound_file(mailbox=mailbox, raw=fetched[1][1])  # the other reader

    def conflict(**kwargs):
        raise error()

    monkeypatch.setattr(inbound, "inbound_file_many", conflict)
    caplog.set_level(logging.INFO, logger=imap.logger.name)
    mailbox.imap_uidvalidity, mailbox.imap_last_uid = 7, 0
    mailbox.save()

    outcomes = imap._file_fetched(mailbox, 7, fetched)

    assert outcomes == ["filed", "duplicates", "filed"]
    mailbox.refresh_from_db()
    assert mailbox.imap_last_uid == 3
    assert InboundMessage.objects.count() == 3
    assert "filing one by one" in caplog.text


def test_the_reader_stops_on_any_other_database_error(mailbox, monkeypatch):
    def away(**kwargs):
        raise OperationalError("the database is away")

    monkeypatch.setattr(inbound, "inbound_file_many", away)
    fetched = [(1, mail("anna@example.de", "Mail").as_bytes(), 0, False)]
    with pytest.raises(OperationalError):
        imap._file_fetched(mailbox, 7, fetched)


def test_headers_are_parsed_once_but_a_long_one_is_never_kept(monkeypatch):
    from email.headerregistry import HeaderRegistry

    from kundig.messaging import mailparse

    references = " ".join(f"<id{n}@x.test>" for n in range(400))
    raw = mail("anna@example.de", "Lang", References=references).as_bytes()
    parsed = []
    real = HeaderRegistry.__call__

    def spy(self, name, value):
        parsed.append((name.lower(), value))
        return real(self, name, value)

    monkeypatch.setattr(HeaderRegistry, "__call__", spy)
    mailparse.POLICY.header_factory._cached.cache_clear()

    first = mailparse.parse(raw)
    second = mailparse.parse(raw)

    assert first.references == second.references and len(first.references) == 400
    assert len(references) > mailparse.CACHED_HEADER_LENGTH
    assert parsed.count(("references", references)) == 2  # never kept
    assert parsed.count(("subject", "Lang")) == 1  # parsed once, then shared
