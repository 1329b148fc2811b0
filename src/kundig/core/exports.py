"""CSV and XLSX export that opens correctly in Excel and cannot carry formulas.

* CSV: UTF-8 with a byte-order mark (Excel then reads umlauts right), the
  list separator Excel expects for the user's language (``;`` in German,
  ``,`` in English), every cell quoted where needed. Cells starting with
  ``= + - @`` (or a tab / carriage return) get a leading apostrophe, as OWASP
  recommends against CSV injection.
* XLSX: every value is written as a typed text cell with Excel's "quote
  prefix" flag, so Excel shows ``+49 30 …`` or ``=1+1`` as text and never
  evaluates it; postcodes like ``01067`` keep their leading zero.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
EXCEL_MAX_ROWS = 1_048_576


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, (dt.date, Decimal, int)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def neutralise(text: str) -> str:
    """Return ``text`` so that a spreadsheet cannot read it as a formula."""
    if text and text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_delimiter_for(language: str) -> str:
    return ";" if (language or "").startswith("de") else ","


def iter_csv(
    headers: Sequence[str], rows: Iterable[Sequence], *, delimiter: str = ";"
) -> Iterator[bytes]:
    """Yield the encoded lines of a CSV file, ready to stream."""
    yield csv_start(headers, delimiter=delimiter)
    yield from csv_lines(rows, delimiter=delimiter)


def csv_start(headers: Sequence[str], *, delimiter: str = ";") -> bytes:
    """Return the start of a CSV file: the byte-order mark and the header line."""
    writer = csv.writer(_Echo(), delimiter=delimiter, lineterminator="\r\n")
    line = writer.writerow([neutralise(cell_text(h)) for h in headers])
    return "\ufeff".encode() + line.encode()


def csv_lines(rows: Iterable[Sequence], *, delimiter: str = ";") -> Iterator[bytes]:
    """Yield the encoded lines of ``rows``, to follow :func:`csv_start`."""
    writer = csv.writer(_Echo(), delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        yield writer.writerow([neutralise(cell_text(v)) for v in row]).encode()


def write_xlsx(
    headers: Sequence[str], rows: Iterable[Sequence], *, title: str = "Export"
) -> io.BufferedIOBase:
    """Write an XLSX workbook; return a file object positioned at its start."""
    # Returned open: the response streams it and closes it.
    handle = tempfile.SpooledTemporaryFile(max_size=20 * 1024 * 1024)  # noqa: SIM115
    write_xlsx_to(handle, headers, rows, title=title)
    handle.seek(0)
    return handle


def write_xlsx_to(
    target, headers: Sequence[str], rows: Iterable[Sequence], *, title: str = "Export"
) -> int:
    """Write an XLSX workbook to ``target`` (a path or a binary file object).

    Return the number of data rows written; rows beyond Excel's limit are left
    out.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    bold = Font(bold=True)

    def text_cell(value, *, header: bool = False) -> WriteOnlyCell:
        # XLSX cannot hold most control characters; drop them, keep the rest.
        cell = WriteOnlyCell(
            sheet, value=ILLEGAL_CHARACTERS_RE.sub("", cell_text(value))
        )
        cell.data_type = "s"  # never a formula, whatever the first character
        cell.quotePrefix = True
        if header:
            cell.font = bold
        return cell

    sheet.append([text_cell(h, header=True) for h in headers])
    written = 0
    for row in rows:
        if written + 1 >= EXCEL_MAX_ROWS:
            break
        sheet.append([text_cell(v) for v in row])
        written += 1
    workbook.save(target)
    return written
