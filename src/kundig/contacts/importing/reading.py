"""Read uploaded CSV and XLSX files as rows of text, streaming.

* CSV: the encoding is UTF-8 (with or without byte-order mark), UTF-16 with
  a byte-order mark, or else Windows-1252 as German Excel writes it. The
  delimiter (``;``, ``,`` or tab) is sniffed from the first lines.
* XLSX: the first sheet, read with openpyxl's streaming reader. Every cell
  becomes text: numbers without a spurious ``.0``, dates as ISO dates, text
  cells untouched (``01067`` stays ``01067``), and numbers formatted with
  leading zeros (format ``00000``) keep them.

A cell that our own export neutralised against formula injection
(``'+49 30 …``) is read back without the apostrophe.

Row numbers are the ones a spreadsheet shows: the header is usually row 1.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import BinaryIO

from django.utils.translation import gettext as _

from kundig.core.exports import FORMULA_TRIGGERS

from .choices import FileFormat

MAX_COLUMNS = 200
SAMPLE_BYTES = 64 * 1024
_BLOCK = 1024 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
_ZEROS_FORMAT = re.compile(r"0+")
_NUMBER_LIKE = re.compile(r"[-+]?[\d.,\s/:]+")

csv.field_size_limit(1024 * 1024)


class ImportFileError(Exception):
    """The file cannot be imported; the message says why, for the user."""


@dataclass
class SourceRow:
    number: int
    cells: list[str]
    extra: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not any(c.strip() for c in self.cells) and not any(
            c.strip() for c in self.extra
        )


@dataclass
class FileInfo:
    file_format: str
    headers: list[str]
    header_row: int
    encoding: str = ""
    delimiter: str = ""
    first_rows: list[SourceRow] = field(default_factory=list)


# --- Opening --------------------------------------------------------------------------


def detect_format(handle: BinaryIO, name: str) -> str:
    """Return the file format of an upload; raise ImportFileError if unsupported."""
    suffix = PurePath(name or "").suffix.lower()
    handle.seek(0)
    magic = handle.read(8)
    handle.seek(0)
    if not magic:
        raise ImportFileError(_("The file is empty."))
    if suffix == ".xls" or magic.startswith(_OLE_MAGIC):
        raise ImportFileError(
            _(
                "This is an old Excel file (.xls). Save it as “Excel workbook "
                "(.xlsx)” or as “CSV UTF-8” and upload it again."
            )
        )
    if suffix not in _TEXT_SUFFIXES | {".xlsx"}:
        raise ImportFileError(
            _("Upload a CSV file (.csv) or an Excel workbook (.xlsx), not %(type)s.")
            % {"type": suffix or _("a file without extension")}
        )
    if magic.startswith(_ZIP_MAGIC):
        return FileFormat.XLSX
    if suffix == ".xlsx":
        raise ImportFileError(_("This file is not a valid Excel workbook (.xlsx)."))
    return FileFormat.CSV


def inspect(handle: BinaryIO, name: str, *, keep_rows: int = 10) -> FileInfo:
    """Check an upload; return what it takes to read it: format, encoding, headers.

    The first ``keep_rows`` non-empty rows come along for the preview, so the
    mapping page need not read a big workbook again.
    """
    file_format = detect_format(handle, name)
    if file_format == FileFormat.XLSX:
        info = FileInfo(file_format=file_format, headers=[], header_row=0)
        rows = _xlsx_rows(handle)
    else:
        encoding = _detect_encoding(handle)
        delimiter = _sniff_delimiter(handle, encoding)
        info = FileInfo(
            file_format=file_format,
            headers=[],
            header_row=0,
            encoding=encoding,
            delimiter=delimiter,
        )
        rows = _csv_rows(handle, encoding, delimiter)
    try:
        for number, cells in rows:
            if any(c.strip() for c in cells):
                info.header_row = number
                info.headers = _clean_headers(cells)
                break
        else:
            raise ImportFileError(_("The file has no rows."))
        width = len(info.headers)
        for number, cells in itertools.islice(rows, 1000):
            row = _data_row(number, cells, width)
            if not row.is_empty:
                info.first_rows.append(row)
                if len(info.first_rows) >= keep_rows:
                    break
    finally:
        rows.close()
    if not info.first_rows:
        raise ImportFileError(
            _("The file has a header row but no rows to import below it.")
        )
    return info


def _clean_headers(cells: list[str]) -> list[str]:
    headers = [" ".join(c.replace("\ufeff", "").split()) for c in cells]
    while headers and not headers[-1]:
        headers.pop()
    if len(headers) > MAX_COLUMNS:
        raise ImportFileError(
            _("The file has %(n)d columns; at most %(max)d can be imported.")
            % {"n": len(headers), "max": MAX_COLUMNS}
        )
    named = [h for h in headers if h]
    if any("@" in h for h in named) or all(_NUMBER_LIKE.fullmatch(h) for h in named):
        raise ImportFileError(
            _(
                "The first row must hold the column names (for example Vorname, "
                "Nachname, E-Mail), but it looks like data. Add a header row."
            )
        )
    seen: dict[str, str] = {}
    duplicates = []
    for header in named:
        key = header.casefold()
        if key in seen and header not in duplicates:
            duplicates.append(header)
        seen.setdefault(key, header)
    if duplicates:
        raise ImportFileError(
            _("Column names must be unique; these appear more than once: %(names)s.")
            % {"names": ", ".join(_("“%(name)s”") % {"name": d} for d in duplicates)}
        )
    return [h or _("Column %(n)d") % {"n": i} for i, h in enumerate(headers, 1)]


def iter_data_rows(handle: BinaryIO, info: FileInfo) -> Iterator[SourceRow]:
    """Yield the rows below the header, empty ones included, as wide as the header."""
    if info.file_format == FileFormat.XLSX:
        rows = _xlsx_rows(handle)
    else:
        rows = _csv_rows(handle, info.encoding, info.delimiter)
    width = len(info.headers)
    try:
        for number, cells in rows:
            if number > info.header_row:
                yield _data_row(number, cells, width)
    finally:
        rows.close()


def _data_row(number: int, cells: list[str], width: int) -> SourceRow:
    # NUL bytes cannot be stored in PostgreSQL text or JSON, not even in the
    # error report; they are never meaningful in a cell.
    cells = [_unneutralise(c.replace("\x00", "")) for c in cells]
    extra = [c for c in cells[width:] if c.strip()]
    return SourceRow(number, cells[:width] + [""] * (width - len(cells)), extra)


def count_data_rows(handle: BinaryIO, info: FileInfo) -> int:
    """Return how many rows there are below the header, up to the last non-empty one."""
    last = 0
    for count, row in enumerate(iter_data_rows(handle, info), start=1):
        if not row.is_empty:
            last = count
    return last


def _unneutralise(text: str) -> str:
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_TRIGGERS:
        return text[1:]
    return text


# --- CSV ------------------------------------------------------------------------------


def _detect_encoding(handle: BinaryIO) -> str:
    handle.seek(0)
    head = handle.read(SAMPLE_BYTES)
    handle.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise ImportFileError(
            _(
                "The file cannot be read as text. Save it as “CSV UTF-8” or as an "
                "Excel workbook (.xlsx) and upload it again."
            )
        )
    if _decodes_as(handle, "utf-8"):
        return "utf-8"
    # German Excel writes Windows-1252. It leaves five byte values undefined;
    # Latin-1 reads those too, and the check below catches real garbage.
    encoding = "cp1252" if _decodes_as(handle, "cp1252") else "latin-1"
    sample = head.decode(encoding, errors="replace")
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    controls += sum(1 for ch in sample if 0x80 <= ord(ch) <= 0x9F)
    if controls > max(3, len(sample) // 100):
        raise ImportFileError(
            _(
                "The file's text encoding is not readable. Save it as “CSV UTF-8” "
                "and upload it again."
            )
        )
    return encoding


def _decodes_as(handle: BinaryIO, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    handle.seek(0)
    try:
        for block in iter(lambda: handle.read(_BLOCK), b""):
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        handle.seek(0)
    return True


def _sniff_delimiter(handle: BinaryIO, encoding: str) -> str:
    handle.seek(0)
    raw = handle.read(SAMPLE_BYTES)
    handle.seek(0)
    complete = len(raw) < SAMPLE_BYTES
    sample = raw.decode(encoding, errors="ignore")
    if not complete and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    best, best_score = ";", -1.0
    for delimiter in (";", ",", "\t"):
        rows = [
            r
            for r in itertools.islice(
                csv.reader(io.StringIO(sample), delimiter=delimiter), 50
            )
            if any(c.strip() for c in r)
        ]
        if not rows:
            continue
        width = len(rows[0])
        if width < 2:
            score = 0.0
        else:
            same = sum(1 for r in rows if len(r) == width) / len(rows)
            score = same * 1000 + width
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_rows(handle: BinaryIO, encoding: str, delimiter: str):
    handle.seek(0)
    text = io.TextIOWrapper(handle, encoding=encoding, newline="", errors="replace")
    number = 0
    try:
        for cells in csv.reader(text, delimiter=delimiter):
            number += 1
            yield number, cells
    except csv.Error as exc:
        raise ImportFileError(
            _("The CSV file is damaged near row %(n)d: %(error)s")
            % {"n": number + 1, "error": exc}
        ) from None
    finally:
        text.detach()


# --- XLSX -----------------------------------------------------------------------------


def _xlsx_rows(handle: BinaryIO):
    from openpyxl import load_workbook

    handle.seek(0)
    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except Exception:
        raise ImportFileError(
            _("This file is not a valid Excel workbook (.xlsx).")
        ) from None
    try:
        if not workbook.worksheets:
            return
        sheet = workbook.worksheets[0]
        # Some programs write wrong sheet dimensions; read what is there instead.
        sheet.reset_dimensions()
        for number, row in enumerate(sheet.iter_rows(), start=1):
            yield number, [_xlsx_text(cell) for cell in row]
    finally:
        workbook.close()


def _xlsx_text(cell) -> str:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, float):
        text = str(int(value)) if value.is_integer() else f"{value:.15g}"
    else:
        text = str(value)
    number_format = getattr(cell, "number_format", "") or ""
    if text.isdigit() and _ZEROS_FORMAT.fullmatch(number_format):
        text = text.zfill(len(number_format))
    return text
