"""Pages of the contact list: however a page is read, it holds the same rows."""

import pytest

from kundig.contacts.selectors import contacts_visible_to
from kundig.core import pagination

pytestmark = pytest.mark.django_db


@pytest.fixture
def thirty(sales_nord, make_contact):
    for i in range(30):
        make_contact(sales_nord, last_name=f"Kunde {i:02d}")
    return contacts_visible_to(sales_nord).order_by("-sort_name", "id")


def names(page) -> list[str]:
    return [c.last_name for c in page.object_list]


@pytest.mark.parametrize("number", [1, 2, 4, 5])
def test_few_many_and_deep_pages_hold_the_same_rows(thirty, monkeypatch, number):
    expected = [c.last_name for c in thirty[(number - 1) * 7 : number * 7]]

    monkeypatch.setattr(pagination, "FEW", 1000)
    few = pagination.paginate(thirty, number, per_page=7)
    monkeypatch.setattr(pagination, "FEW", 10)
    monkeypatch.setattr(pagination, "DEFERRED_FROM", 1000)
    ordered = pagination.paginate(thirty, number, per_page=7)
    monkeypatch.setattr(pagination, "DEFERRED_FROM", 7)
    deferred = pagination.paginate(thirty, number, per_page=7)

    assert names(few) == names(ordered) == names(deferred) == expected


def test_an_empty_list_reads_no_rows(sales_nord, django_assert_num_queries):
    with django_assert_num_queries(1):  # the count
        page = pagination.paginate(contacts_visible_to(sales_nord), 1)

    assert (page.count, page.object_list) == (0, [])
