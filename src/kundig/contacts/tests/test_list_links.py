"""The links on list pages lead where they say: next page, filtered export."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def hrefs(response, pattern: str) -> list[str]:
    html = response.content.decode().replace("&amp;", "&")
    return re.findall(rf'href="({pattern}[^"]*)"', html)


def test_the_next_page_link_shows_the_next_page(sales_nord, make_contact, client_for):
    for i in range(55):
        make_contact(sales_nord, last_name=f"Kunde{i:02d}")
    client = client_for(sales_nord)
    first = client.get(reverse("contacts:contact_list"), {"q": "kunde"})

    (next_link,) = [h for h in hrefs(first, r"\?") if "page=2" in h][:1]
    second = client.get(reverse("contacts:contact_list") + next_link)

    assert second.context["page"].number == 2
    assert second.context["filterset"].form.cleaned_data["q"] == "kunde"


def test_the_export_links_keep_the_filter_and_the_format(
    sales_nord, make_contact, client_for
):
    make_contact(sales_nord, last_name="Treffer")
    make_contact(sales_nord, last_name="Andere")
    client = client_for(sales_nord)
    page = client.get(reverse("contacts:contact_list"), {"q": "treffer"})

    links = hrefs(page, re.escape(reverse("contacts:contact_export")))
    xlsx = next(link for link in links if "format=xlsx" in link)
    csv_link = next(link for link in links if "format=csv" in link)

    assert client.get(xlsx)["Content-Type"].startswith("application/vnd.openxml")
    body = b"".join(client.get(csv_link).streaming_content).decode("utf-8-sig")
    assert "Treffer" in body
    assert "Andere" not in body
