"""A letter logged with its scan: the file is checked by its content, kept with
the customer's message, and handed out only as a download to who may see it."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kundig.service.models import Ticket, TicketAttachment

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def log_letter(client, anna, queue, *files, body="Brief: Rechnung doppelt."):
    return client.post(
        reverse("service:ticket_create"),
        {"contact": anna.pk, "subject": "Brief von Frau Weber", "channel": "letter",
         "category": "complaint", "priority": "normal", "queue": queue.pk,
         "assignee": "", "order": "", "body": body, "scans": list(files)},
    )  # fmt: skip


def test_a_letter_keeps_its_scan_as_a_download(agent, anna, queue, client_for):
    client = client_for(agent)

    response = log_letter(
        client, anna, queue, SimpleUploadedFile("brief.pdf", PDF, "application/pdf")
    )

    ticket = Ticket.objects.get()
    assert response.url == ticket.get_absolute_url()
    scan = TicketAttachment.objects.get()
    assert (scan.filename, scan.content_type, scan.size) == (
        "brief.pdf", "application/pdf", len(PDF),
    )  # fmt: skip
    page = client.get(ticket.get_absolute_url()).content.decode()
    url = reverse("service:ticket_attachment", args=[ticket.pk, scan.pk])
    assert url in page
    download = client.get(url)
    assert download["Content-Disposition"].startswith(
        'attachment; filename="brief.pdf"'
    )
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == PDF


@pytest.mark.parametrize(
    ("name", "data", "kind", "message"),
    [
        ("brief.pdf", b"<html><script>alert(1)</script>", "application/pdf",
         "only PDF, PNG or JPEG"),
        ("brief.exe", b"MZ\x90\x00", "application/octet-stream",
         "not kept, for safety"),
    ],
)  # fmt: skip
def test_a_file_that_is_not_a_scan_is_refused_and_nothing_is_kept(
    agent, anna, queue, client_for, name, data, kind, message
):
    response = log_letter(
        client_for(agent), anna, queue, SimpleUploadedFile(name, data, kind)
    )

    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Ticket.objects.exists() and not TicketAttachment.objects.exists()


def test_a_too_large_scan_is_refused(agent, anna, queue, client_for, settings):
    settings.KUNDIG_MAIL_ATTACHMENT_MAX_BYTES = 10

    response = log_letter(
        client_for(agent), anna, queue,
        SimpleUploadedFile("brief.pdf", PDF, "application/pdf"),
    )  # fmt: skip

    assert response.status_code == 422
    assert "larger than" in response.content.decode()
    assert not Ticket.objects.exists()


def test_only_who_may_see_the_ticket_downloads(
    agent, anna, queue, client_for, sales_sued
):
    log_letter(
        client_for(agent), anna, queue,
        SimpleUploadedFile("brief.pdf", PDF, "application/pdf"),
    )  # fmt: skip
    ticket, scan = Ticket.objects.get(), TicketAttachment.objects.get()

    url = reverse("service:ticket_attachment", args=[ticket.pk, scan.pk])
    assert client_for(sales_sued).get(url).status_code == 404
