"""Import orders from CSV or XLSX files (store tills, marketplace exports).

One row per order line; the rows of one order follow each other and share
its order number. Headers may be English or German (``Bestellnummer``,
``Menge``, ``Einzelpreis`` …); decimals may use a comma (``19,95``); dates
may be ``31.12.2026`` or ISO. New orders are recorded a
chunk at a time by :func:`kundig.commerce.services.orders_record_many` (the
same rows, events and timeline entries as one by one, in a few statements);
orders already stored go through :func:`~kundig.commerce.services.order_record`,
so an import run twice adds nothing. A row that cannot be read is reported
with its row number and column without stopping the import.

Large files run as a background job (:class:`OrderImportJob`) with a progress
bar: each chunk of orders and the job's cursor commit together, so a worker
that dies resumes at the next order without duplicates.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import PurePath

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kundig.contacts.importing.reading import (
    FileInfo,
    ImportFileError,
    SourceRow,
    inspect,
    iter_data_rows,
)
from kundig.core import events
from kundig.core.choices import Permission
from kundig.core.jobs import kinds

from . import services
from .choices import OrderStatus, SalesChannel

KIND = "commerce.order_import"
CHUNK_ORDERS = 2000
MAX_ERRORS = 200

# Accepted headers per column, compared without case, spaces, dashes and accents.
COLUMNS: dict[str, tuple[str, ...]] = {
    "order_number": (
        "order_number",
        "order",
        "order_no",
        "bestellnummer",
        "bestellung",
        "belegnummer",
        "auftragsnummer",
    ),
    "external_id": ("external_id", "order_id", "id", "externe_id"),
    "placed_at": (
        "placed_at",
        "date",
        "order_date",
        "datum",
        "bestelldatum",
        "belegdatum",
    ),
    "paid_at": ("paid_at", "bezahlt_am", "zahlungsdatum"),
    "channel": ("channel", "kanal", "verkaufskanal"),
    "status": ("status",),
    "currency": ("currency", "waehrung", "wahrung"),
    "email": ("email", "e_mail", "mail"),
    "customer_id": ("customer_id", "customer", "kundennummer", "kunden_id", "kunde"),
    "first_name": ("first_name", "firstname", "vorname"),
    "last_name": ("last_name", "lastname", "nachname", "name"),
    "company": ("company", "firma"),
    "street": ("street", "address", "strasse", "adresse"),
    "postcode": ("postcode", "zip", "postal_code", "plz", "postleitzahl"),
    "city": ("city", "ort", "stadt"),
    "country": ("country", "land"),
    "sku": ("sku", "article_number", "artikelnummer", "artikel_nr", "artnr"),
    "product": (
        "product",
        "product_name",
        "item",
        "artikel",
        "produkt",
        "bezeichnung",
        "artikelname",
    ),
    "quantity": ("quantity", "qty", "menge", "anzahl"),
    "unit_price": ("unit_price", "price", "einzelpreis", "preis", "stueckpreis"),
    "line_total": ("line_total", "positionssumme", "positionsbetrag", "zeilensumme"),
    "discount": ("discount", "rabatt"),
    "tax_rate": ("tax_rate", "vat_rate", "steuersatz", "mwst_satz", "ust_satz"),
    "shipping": ("shipping", "shipping_total", "versand", "versandkosten"),
    "order_total": ("order_total", "total", "gesamtsumme", "gesamtbetrag", "summe"),
    "coupon": ("coupon", "coupon_code", "gutschein", "gutscheincode"),
}

CHANNELS = {
    "web_shop": SalesChannel.WEB_SHOP, "webshop": SalesChannel.WEB_SHOP,
    "online": SalesChannel.WEB_SHOP, "shop": SalesChannel.WEB_SHOP,
    "marketplace": SalesChannel.MARKETPLACE, "marktplatz": SalesChannel.MARKETPLACE,
    "amazon": SalesChannel.MARKETPLACE, "ebay": SalesChannel.MARKETPLACE,
    "otto": SalesChannel.MARKETPLACE, "store": SalesChannel.STORE,
    "filiale": SalesChannel.STORE, "laden": SalesChannel.STORE,
    "pos": SalesChannel.STORE, "kasse": SalesChannel.STORE,
    "phone": SalesChannel.PHONE, "telefon": SalesChannel.PHONE,
}  # fmt: skip
STATUSES = {
    **{value: value for value in OrderStatus.values},
    "bestellt": OrderStatus.PLACED, "offen": OrderStatus.PLACED,
    "bezahlt": OrderStatus.PAID, "versandt": OrderStatus.SHIPPED,
    "zugestellt": OrderStatus.DELIVERED, "abgeschlossen": OrderStatus.COMPLETED,
    "storniert": OrderStatus.CANCELLED, "erstattet": OrderStatus.REFUNDED,
}  # fmt: skip


def _key(header: str) -> str:
    text = header.strip().lower().replace("ß", "ss")
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue")):
        text = text.replace(umlaut, plain)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def column_positions(headers: list[str]) -> dict[str, int]:
    """Map our column names to their positions in the file's header row."""
    lookup = {alias: name for name, aliases in COLUMNS.items() for alias in aliases}
    positions: dict[str, int] = {}
    for i, header in enumerate(headers):
        name = lookup.get(_key(header))
        if name and name not in positions:
            positions[name] = i
    if "order_number" not in positions and "external_id" not in positions:
        raise ImportFileError(
            _("The file needs an order number column (Bestellnummer / order_number).")
        )
    return positions


@dataclass
class ParsedOrder:
    first_row: int
    last_row: int
    data: services.OrderData | None
    errors: list[str] = field(default_factory=list)
    rows: int = 1


class _Row:
    def __init__(self, row: SourceRow, positions: dict[str, int], headers: list[str]):
        self.row, self.positions, self.headers = row, positions, headers
        self.errors: list[str] = []

    def text(self, name: str) -> str:
        i = self.positions.get(name)
        return self.row.cells[i].strip() if i is not None else ""

    def _error(self, name: str, message: str) -> None:
        header = self.headers[self.positions[name]]
        self.errors.append(
            _("Row %(row)d, column %(column)s: %(message)s")
            % {"row": self.row.number, "column": header, "message": message}
        )

    def decimal(self, name: str) -> Decimal | None:
        raw = self.text(name).replace("€", "").replace("EUR", "").replace(" ", "")
        if not raw:
            return None
        if "," in raw:  # German: 1.234,56
            raw = raw.replace(".", "").replace(",", ".")
        try:
            value = Decimal(raw)
        except InvalidOperation:
            self._error(
                name, _("%(value)s is not a number.") % {"value": self.text(name)}
            )
            return None
        if not value.is_finite():
            self._error(
                name, _("%(value)s is not a number.") % {"value": self.text(name)}
            )
            return None
        return value

    def moment(self, name: str) -> dt.datetime | None:
        raw = self.text(name)
        if not raw:
            return None
        german = re.fullmatch(
            r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ T](\d{1,2}):(\d{2}))?", raw
        )
        if german:
            day, month, year, hour, minute = german.groups()
            try:
                value = dt.datetime(
                    int(year), int(month), int(day), int(hour or 12), int(minute or 0)
                )
            except ValueError:
                value = None
        else:
            try:
                day = parse_date(raw) if len(raw) <= 10 else None
                # A day alone is noon, so it stays that day in any time zone.
                value = (
                    dt.datetime.combine(day, dt.time(12))
                    if day
                    else parse_datetime(raw)
                )
            except ValueError:  # well formed but impossible, e.g. 2026-02-30
                value = None
        if value is None:
            self._error(
                name, _("%(value)s is not a date such as 31.12.2026.") % {"value": raw}
            )
            return None
        return timezone.make_aware(value) if timezone.is_naive(value) else value


def _parse_order(
    rows: list[SourceRow], positions, headers, *, channel: str
) -> ParsedOrder:
    first = _Row(rows[0], positions, headers)
    number = first.text("order_number") or first.text("external_id")
    lines = []
    errors: list[str] = []
    for source_row in rows:
        row = _Row(source_row, positions, headers)
        name = row.text("product") or row.text("sku")
        if name:
            quantity = row.decimal("quantity")
            unit_price = row.decimal("unit_price")
            total = row.decimal("line_total")
            if unit_price is None and total is not None and quantity:
                unit_price = (total / quantity).quantize(Decimal("0.01"))
            lines.append(
                services.LineData(
                    sku=row.text("sku"),
                    name=row.text("product") or row.text("sku"),
                    quantity=quantity if quantity is not None else 1,
                    unit_price=unit_price if unit_price is not None else 0,
                    discount=row.decimal("discount") or 0,
                    tax_rate=row.decimal("tax_rate"),
                    total=total,
                )
            )
        errors += row.errors
    status_text = _key(first.text("status"))
    channel_text = _key(first.text("channel"))
    status = (
        STATUSES.get(status_text, OrderStatus.PLACED)
        if status_text
        else OrderStatus.PLACED
    )
    if status_text and status_text not in STATUSES:
        first._error(
            "status", _("Unknown status %(value)s.") % {"value": first.text("status")}
        )
    data = services.OrderData(
        external_id=first.text("external_id") or number,
        number=number,
        channel=CHANNELS.get(channel_text, channel) if channel_text else channel,
        status=status,
        currency=first.text("currency").upper(),
        shipping_total=first.decimal("shipping") or 0,
        total=first.decimal("order_total"),
        coupon_codes=[first.text("coupon")] if first.text("coupon") else [],
        placed_at=first.moment("placed_at"),
        paid_at=first.moment("paid_at"),
        buyer=services.BuyerData(
            customer_ref=first.text("customer_id"),
            email=first.text("email"),
            first_name=first.text("first_name"),
            last_name=first.text("last_name"),
            company=first.text("company"),
            street=first.text("street"),
            postcode=first.text("postcode"),
            city=first.text("city"),
            country=first.text("country").upper()[:2],
        ),
        lines=lines,
    )
    errors = first.errors + errors
    return ParsedOrder(
        first_row=rows[0].number,
        last_row=rows[-1].number,
        data=None if errors else data,
        errors=errors,
        rows=len(rows),
    )


def iter_orders(
    handle, info: FileInfo, *, channel: str, after_row: int = 0
) -> Iterator[ParsedOrder]:
    """Yield the file's orders whose rows come after ``after_row``."""
    positions = column_positions(info.headers)
    rows = (
        r
        for r in iter_data_rows(handle, info)
        if r.number > after_row and not r.is_empty
    )

    def number_of(row: SourceRow) -> str:
        i = positions.get("order_number", positions.get("external_id"))
        return row.cells[i].strip()

    for number, group in itertools.groupby(rows, key=number_of):
        group = list(group)
        if not number:
            yield ParsedOrder(
                group[0].number,
                group[-1].number,
                None,
                [_("Row %(row)d: no order number.") % {"row": r.number} for r in group],
                rows=len(group),
            )
            continue
        yield _parse_order(group, positions, info.headers, channel=channel)


def record_many(orders: list[ParsedOrder], *, actor, source: str) -> list[list[str]]:
    """Record parsed orders together; return each one's errors (empty: recorded).

    New orders take the bulk path (:func:`services.orders_record_many`), in
    one transaction with the caller's. Their events are marked historical:
    playbooks do not answer imported orders.
    """
    readable = [order for order in orders if order.data is not None]
    with transaction.atomic(), events.historical():
        outcomes = services.orders_record_many(
            actor=actor, source=source, orders=[order.data for order in readable]
        )
    problems = {
        id(order): _problems(order, outcome.errors)
        for order, outcome in zip(readable, outcomes, strict=True)
        if outcome.errors
    }
    return [
        order.errors if order.data is None else problems.get(id(order), [])
        for order in orders
    ]


def _problems(order: ParsedOrder, errors: dict[str, list[str]]) -> list[str]:
    return [
        _("Rows %(first)d–%(last)d, %(field)s: %(message)s")
        % {
            "first": order.first_row,
            "last": order.last_row,
            "field": name,
            "message": " ".join(messages),
        }
        for name, messages in errors.items()
    ]


def chunks(orders: Iterator[ParsedOrder], size: int = CHUNK_ORDERS):
    """Yield lists of at most ``size`` orders."""
    while chunk := list(itertools.islice(orders, size)):
        yield chunk


# --- The background job -------------------------------------------------------------


def _info_state(info: FileInfo) -> dict:
    return {
        "file_format": info.file_format,
        "headers": info.headers,
        "header_row": info.header_row,
        "encoding": info.encoding,
        "delimiter": info.delimiter,
    }


def _info(state: dict) -> FileInfo:
    return FileInfo(**state["info"])


def order_import_start(*, actor, upload, source: str, channel: str):
    """Check the upload, store it and start the import job; raise ImportFileError."""
    from kundig.core.jobs.services import job_start

    info = check_file(upload, upload.name)
    name = default_storage.save(
        f"imports/orders/{timezone.now():%Y%m%d%H%M%S}{PurePath(upload.name).suffix.lower()}",
        upload,
    )
    with transaction.atomic():
        job = job_start(
            actor=actor,
            kind=KIND,
            params={"source": source, "channel": channel},
            file_name=upload.name,
        )
        job.state = {"files": [name], "input": name, "info": _info_state(info)}
        job.save(update_fields=["state"])
    return job


class OrderImportJob(kinds.JobKind):
    name = KIND
    permission = Permission.IMPORT
    task_path = "kundig.commerce.tasks.order_import_task"

    def prepare(self, job) -> None:
        with default_storage.open(job.state["input"], "rb") as handle:
            info = _info(job.state)
            job.total = sum(
                1 for row in iter_data_rows(handle, info) if not row.is_empty
            )

    def work(self, job):
        with default_storage.open(job.state["input"], "rb") as handle:
            orders = list(
                itertools.islice(
                    iter_orders(
                        handle,
                        _info(job.state),
                        channel=job.params["channel"],
                        after_row=job.cursor,
                    ),
                    CHUNK_ORDERS,
                )
            )
        return orders or None

    def commit(self, job, work: list[ParsedOrder]) -> None:
        errors = job.state.setdefault("errors", [])
        results = record_many(work, actor=job.created_by, source=job.params["source"])
        for order, problems in zip(work, results, strict=True):
            rows = order.rows
            if problems:
                job.counters["failed"] = job.counters.get("failed", 0) + 1
                job.counters["skipped"] = job.counters.get("skipped", 0) + rows
                errors.extend(problems[: max(0, MAX_ERRORS - len(errors))])
            else:
                job.counters["orders"] = job.counters.get("orders", 0) + 1
                job.done += rows
        job.cursor = work[-1].last_row

    def finish(self, job) -> None:
        default_storage.delete(job.state.get("input", ""))
        job.state["files"] = []

    def title(self, job) -> str:
        return _("Import orders from %(file)s") % {"file": job.file_name}

    def result(self, job) -> str:
        orders = job.counters.get("orders", 0)
        failed = job.counters.get("failed", 0)
        text = ngettext("%(n)d order imported.", "%(n)d orders imported.", orders) % {
            "n": orders
        }
        if failed:
            text += " " + ngettext(
                "%(n)d order could not be imported: %(errors)s",
                "%(n)d orders could not be imported: %(errors)s",
                failed,
            ) % {"n": failed, "errors": " · ".join(job.state.get("errors", [])[:20])}
        return text


kinds.register(OrderImportJob())


def check_file(handle, name: str) -> FileInfo:
    """Open an import file as the job would; raise ImportFileError with the reason."""
    info = inspect(handle, name)
    column_positions(info.headers)
    return info


__all__ = [
    "KIND",
    "OrderImportJob",
    "check_file",
    "chunks",
    "iter_orders",
    "order_import_start",
    "record_many",
]
