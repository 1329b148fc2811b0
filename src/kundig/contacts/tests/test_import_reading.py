"""Reading uploaded files: encodings, delimiters, XLSX cells, and clear errors."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import translation

from kundig.contacts.importing.reading import (
    ImportFileError,
    count_data_rows,
    inspect,
    iter_data_rows,
)

from .importing import csv_bytes, xlsx_bytes


@pytest.fixture(autouse=True)
def english():
    """Read the messages in English, whatever language another test left active."""
    with translation.override("en"):
        yield


ROWS = [
    ["Vorname", "Nachname", "Straße", "PLZ", "Ort"],
    ["Jürgen", "Größmann", "Hauptstraße 5", "01067", "Dresden"],
    ["Änne", "Weiß", "Königsallee 1", "40212", "Düsseldorf"],
]


def read(content: bytes, name: str = "kunden.csv"):
    handle = io.BytesIO(content)
    info = inspect(handle, name)
    return info, list(iter_data_rows(handle, info))


def test_it_reads_utf8_with_a_byte_order_mark():
    info, rows = read(csv_bytes(ROWS, encoding="utf-8-sig"))
    assert info.encoding == "utf-8-sig"
    assert info.headers == ["Vorname", "Nachname", "Straße", "PLZ", "Ort"]
    assert rows[0].cells == ["Jürgen", "Größmann", "Hauptstraße 5", "01067", "Dresden"]
    assert rows[0].number == 2


def test_it_reads_utf8_without_a_byte_order_mark():
    info, rows = read(csv_bytes(ROWS, encoding="utf-8"))
    assert info.encoding == "utf-8"
    assert rows[1].cells[0] == "Änne"


def test_it_reads_windows_1252_as_german_excel_writes_it():
    info, rows = read(csv_bytes(ROWS, encoding="cp1252"))
    assert info.encoding == "cp1252"
    assert info.headers[2] == "Straße"
    assert rows[0].cells[:2] == ["Jürgen", "Größmann"]


@pytest.mark.parametrize(
    ("delimiter", "expected"), [(";", ";"), (",", ","), ("\t", "\t")]
)
def test_it_sniffs_the_delimiter(delimiter, expected):
    rows = [
        *ROWS,
        ["Anna", "Müller, geb. Schmidt", "Weg 1; Hinterhaus", "10115", "Berlin"],
    ]
    info, read_rows = read(csv_bytes(rows, delimiter=delimiter, encoding="utf-8"))
    assert info.delimiter == expected
    assert read_rows[2].cells[1] == "Müller, geb. Schmidt"


def test_it_keeps_leading_zeros_and_reads_numbers_and_dates_from_xlsx():
    rows = [
        ["PLZ", "PLZ als Zahl", "Kundennummer", "Umsatz", "Geburtstag", "Termin"],
        [
            "01067",
            1067,
            4711,
            1234.5,
            dt.datetime(1980, 5, 17),
            dt.datetime(2024, 1, 2, 9, 30),
        ],
    ]
    content = xlsx_bytes(rows, formats={(2, 2): "00000"})
    info, read_rows = read(content, "kunden.xlsx")
    assert info.file_format == "xlsx"
    assert read_rows[0].cells == [
        "01067",
        "01067",
        "4711",
        "1234.5",
        "1980-05-17",
        "2024-01-02 09:30:00",
    ]


def test_it_reads_back_cells_our_export_protected_against_formulas():
    rows = [["Vorname", "Telefon"], ["Anna", "'+49 30 1234567"], ["Bernd", "'=1+1"]]
    _info, read_rows = read(csv_bytes(rows))
    assert read_rows[0].cells[1] == "+49 30 1234567"
    assert read_rows[1].cells[1] == "=1+1"


def test_it_counts_rows_up_to_the_last_non_empty_one():
    rows = [ROWS[0], ROWS[1], ["", "", "", "", ""], ROWS[2], ["", ""], ["", ""]]
    handle = io.BytesIO(csv_bytes(rows))
    info = inspect(handle, "kunden.csv")
    assert count_data_rows(handle, info) == 3


def test_it_notes_cells_beyond_the_header():
    _info, rows = read(
        csv_bytes([["Vorname", "Nachname"], ["Anna", "Muster", "extra"]])
    )
    assert rows[0].extra == ["extra"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("kunden.csv", b"", "empty"),
        ("kunden.pdf", b"%PDF-1.4", "CSV"),
        ("kunden.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", ".xls"),
        ("kunden.xlsx", b"Vorname;Nachname\n", "not a valid Excel"),
        ("kunden.csv", b"\x00\x01\x02\x03binary\x00\x00", "cannot be read"),
        ("kunden.csv", b"\n\n;;\n", "no rows"),
        ("kunden.csv", b"Vorname;Nachname\n", "no rows to import"),
        (
            "kunden.csv",
            b"anna@example.de;Anna\nbernd@example.de;Bernd\n",
            "column names",
        ),
        ("kunden.csv", b"Name;E-Mail;name\nA;a@b.de;x\n", "more than once"),
        (
            "kunden.csv",
            ";".join(f"c{i}" for i in range(250)).encode() + b"\n" + b"x\n",
            "at most",
        ),
    ],
)
def test_it_explains_why_a_file_cannot_be_imported(name, content, message):
    with pytest.raises(ImportFileError, match=message):
        inspect(io.BytesIO(content), name)


def test_it_refuses_garbage_that_is_no_text():
    content = b"Vorname;Nachname\n" + bytes(range(128, 160)) * 50
    with pytest.raises(ImportFileError, match="encoding"):
        inspect(io.BytesIO(content), "kunden.csv")
