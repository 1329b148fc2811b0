"""Importing orders from CSV and XLSX: German files, errors by row, resumable."""

import datetime as dt
import io

import openpyxl
import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from kundig.commerce import importing
from kundig.commerce.models import Order
from kundig.core.jobs import runner
from kundig.core.models import DomainEvent, Job

pytestmark = pytest.mark.django_db
Contact = apps.get_model("contacts", "Contact")

HEADER = (
    "Bestellnummer;Datum;Kanal;E-Mail;Vorname;Nachname;PLZ;"
    "Artikelnummer;Artikel;Menge;Einzelpreis;Versand;Gutschein\n"
)
GERMAN_CSV = HEADER + "".join(
    line + "\n"
    for line in (
        "K-1001;03.11.2026;Filiale;ida@example.de;Ida;Kasse;10115;B-1;Becher;2;9,95;0;",
        "K-1001;03.11.2026;Filiale;ida@example.de;Ida;Kasse;10115;T-1;Tee 250 g;1;12,50;0;",  # noqa: E501
        "K-1002;04.11.2026;Amazon;max@example.de;Max;Muster;80331;S-1;Socken;3;1.234,00;4,95;HERBST5",
    )
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def upload(content: bytes, name="bestellungen.csv"):
    return SimpleUploadedFile(name, content)


def start(admin, content: bytes, name="bestellungen.csv", source="kasse"):
    return importing.order_import_start(
        actor=admin, upload=upload(content, name), source=source, channel="store"
    )


def test_a_german_csv_becomes_orders_with_lines(admin):
    job = start(admin, GERMAN_CSV.encode("cp1252"))
    runner.job_run(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.total, job.done) == ("done", 3, 3)
    first = Order.objects.get(number="K-1001")
    assert (first.channel, str(first.total), first.lines.count()) == (
        "store",
        "32.40",
        2,
    )
    assert first.placed_at.date() == dt.date(2026, 11, 3)
    second = Order.objects.get(number="K-1002")
    assert (second.channel, str(second.total)) == ("marketplace", "3706.95")
    assert second.coupon_codes == ["HERBST5"]
    assert second.contact.first_name == "Max"


def test_importing_the_same_file_again_adds_nothing(admin):
    for _ in range(2):
        runner.job_run(job_id=start(admin, GERMAN_CSV.encode()).pk)

    assert Order.objects.count() == 2
    assert Contact.objects.count() == 2
    assert DomainEvent.objects.filter(name="order.placed").count() == 2


def test_a_bad_row_is_reported_and_the_rest_imported(admin):
    admin.language = "en"  # the job speaks its creator's language
    admin.save(update_fields=["language"])
    content = GERMAN_CSV.replace("1.234,00", "viel").encode()
    job = start(admin, content)
    runner.job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == "done"
    assert job.counters == {"orders": 1, "failed": 1, "skipped": 1}
    assert "Row 4, column Einzelpreis: viel is not a number." in job.state["errors"]
    assert list(Order.objects.values_list("number", flat=True)) == ["K-1001"]
    assert "1 order could not be imported" in importing.OrderImportJob().result(job)


def test_a_file_without_an_order_number_column_is_refused(admin):
    with pytest.raises(importing.ImportFileError):
        start(admin, b"Name;Menge\nIda;2\n")
    assert not Job.objects.exists()


def test_a_worker_dying_between_chunks_resumes_without_duplicates(admin, monkeypatch):
    monkeypatch.setattr(importing, "CHUNK_ORDERS", 1)
    job = start(admin, GERMAN_CSV.encode())
    runner.job_run(job_id=job.pk, time_slice=dt.timedelta(0))  # one chunk, then stops
    job.refresh_from_db()
    assert (job.status, job.cursor, job.done) == ("queued", 3, 2)  # rows 2-3 done
    assert Order.objects.count() == 1

    # the worker is gone; the job's next task picks up at its cursor
    Job.objects.filter(pk=job.pk).update(lease="")
    runner.job_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == "done"
    assert Order.objects.count() == 2
    assert DomainEvent.objects.filter(name="order.placed").count() == 2


def test_an_xlsx_file_with_english_headers(admin):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(
        [
            "order_number",
            "date",
            "email",
            "last_name",
            "sku",
            "product",
            "quantity",
            "unit_price",
        ]
    )
    sheet.append(
        ["M-1", dt.date(2026, 11, 1), "a@example.de", "Abel", "X", "Lamp", 1, 49.9]
    )
    buffer = io.BytesIO()
    book.save(buffer)

    runner.job_run(job_id=start(admin, buffer.getvalue(), name="orders.xlsx").pk)

    assert str(Order.objects.get(number="M-1").total) == "49.90"


def test_only_importers_may_import(sales_nord, client_for, admin):
    assert client_for(sales_nord).get("/orders/import/").status_code == 403
    page = client_for(admin).post(
        "/orders/import/",
        {"file": upload(GERMAN_CSV.encode()), "source": "kasse", "channel": "store"},
    )
    assert page.status_code == 302
    assert page.url.startswith("/jobs/")


def test_the_command_line_import(tmp_path, capsys):
    path = tmp_path / "orders.csv"
    path.write_text(GERMAN_CSV)
    call_command("import_orders", str(path), "--source", "kasse")
    assert "2 orders (3 rows) imported, 0 failed" in capsys.readouterr().out

    path.write_text(GERMAN_CSV.replace("9,95", "x"))
    with pytest.raises(CommandError):
        call_command("import_orders", str(path), "--source", "kasse2")
