"""The contact list: visibility, search, filters, sorting, pages, bulk actions."""

import pytest
from django.urls import reverse

from kundig.contacts.models import Contact
from kundig.core.models import AuditEntry

pytestmark = pytest.mark.django_db

URL = reverse("contacts:contact_list")


def names(response) -> list[str]:
    return [c.last_name for c in response.context["page"].object_list]


def test_a_sales_user_sees_own_and_team_contacts_only(
    sales_nord, sales_sued, manager_nord, make_contact, client_for
):
    make_contact(sales_nord, last_name="Nordkunde")
    make_contact(manager_nord, last_name="Teamkunde")
    make_contact(sales_sued, last_name="Südkunde")

    response = client_for(sales_nord).get(URL)

    assert sorted(names(response)) == ["Nordkunde", "Teamkunde"]


def test_an_admin_sees_everyone(
    admin, sales_nord, sales_sued, make_contact, client_for
):
    make_contact(sales_nord, last_name="Nordkunde")
    make_contact(sales_sued, last_name="Südkunde")

    assert sorted(names(client_for(admin).get(URL))) == ["Nordkunde", "Südkunde"]


def test_search_tolerates_typos_and_umlauts(sales_nord, make_contact, client_for):
    make_contact(sales_nord, first_name="Jürgen", last_name="Müller")
    make_contact(sales_nord, first_name="Anna", last_name="Schmidt")

    response = client_for(sales_nord).get(URL, {"q": "Mueler"})

    assert names(response) == ["Müller"]


def test_htmx_requests_get_only_the_results_fragment(
    sales_nord, make_contact, client_for
):
    make_contact(sales_nord, last_name="Müller")

    response = client_for(sales_nord).get(
        URL, {"q": "mül"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="contact-results"
    )

    body = response.content.decode()
    assert "Müller" in body
    assert "<html" not in body


def test_filters_by_stage_tag_and_owner(
    sales_nord, manager_nord, make_contact, client_for
):
    from kundig.contacts.services import contacts_bulk_tag

    a = make_contact(sales_nord, last_name="Alpha", lifecycle_stage="customer")
    make_contact(sales_nord, last_name="Beta", lifecycle_stage="lead")
    make_contact(manager_nord, last_name="Gamma", lifecycle_stage="customer")
    contacts_bulk_tag(
        actor=sales_nord, contacts=Contact.objects.filter(pk=a.pk), add=["VIP"]
    )
    client = client_for(sales_nord)

    assert sorted(names(client.get(URL, {"stage": "customer"}))) == ["Alpha", "Gamma"]
    assert names(client.get(URL, {"tag": "VIP"})) == ["Alpha"]
    assert sorted(names(client.get(URL, {"owner": "me"}))) == ["Alpha", "Beta"]
    assert names(
        client.get(URL, {"stage": "customer", "owner": str(manager_nord.pk)})
    ) == ["Gamma"]


def test_sorting_accepts_only_known_fields(sales_nord, make_contact, client_for):
    make_contact(sales_nord, last_name="Zander")
    make_contact(sales_nord, last_name="Adler")
    client = client_for(sales_nord)

    assert names(client.get(URL, {"sort": "-name"})) == ["Zander", "Adler"]
    response = client.get(URL, {"sort": "password"})
    assert response.status_code == 200
    assert response.context["page"] is None
    assert "sort" in response.context["filterset"].errors


def test_an_unknown_owner_value_is_reported_not_crashed(sales_nord, client_for):
    response = client_for(sales_nord).get(URL, {"owner": "robert'); DROP TABLE"})

    assert response.status_code == 200
    assert "owner" in response.context["filterset"].errors


def test_the_list_makes_the_same_number_of_queries_for_few_and_many_rows(
    sales_nord, make_contact, make_company, client_for, django_assert_max_num_queries
):
    from kundig.contacts.services import (
        CompanyLinkData,
        contact_update,
        contacts_bulk_tag,
    )

    client = client_for(sales_nord)
    client.get(URL)  # warm up session and caches

    def add(n):
        company = make_company(sales_nord)
        for _ in range(n):
            c = make_contact(sales_nord, phone="0151 23456789")
            contact_update(
                actor=sales_nord, contact=c, companies=[CompanyLinkData(company.pk)]
            )
        contacts_bulk_tag(
            actor=sales_nord, contacts=Contact.objects.all(), add=["VIP", "B2B"]
        )

    add(2)
    with django_assert_max_num_queries(14) as few:
        client.get(URL)
    add(30)
    with django_assert_max_num_queries(14) as many:
        client.get(URL)
    assert len(few.captured_queries) == len(many.captured_queries)


def test_bulk_tagging_changes_only_visible_contacts_and_is_audited(
    sales_nord, sales_sued, make_contact, client_for
):
    mine = make_contact(sales_nord, last_name="Meins")
    theirs = make_contact(sales_sued, last_name="Fremd")

    response = client_for(sales_nord).post(
        reverse("contacts:contact_bulk"),
        {"action": "tag", "tag": "Messe 2026", "ids": f"{mine.pk},{theirs.pk}"},
    )

    assert response.status_code == 302
    assert [t.name for t in mine.tags.all()] == ["Messe 2026"]
    assert not theirs.tags.exists()
    assert AuditEntry.objects.filter(object_id=mine.pk, field="tags").exists()


def test_bulk_assign_of_all_matching_contacts(
    sales_nord, manager_nord, make_contact, client_for
):
    for _ in range(3):
        make_contact(sales_nord, lifecycle_stage="customer")
    make_contact(sales_nord, last_name="Lead", lifecycle_stage="lead")

    client_for(sales_nord).post(
        reverse("contacts:contact_bulk"),
        {
            "action": "assign",
            "owner": manager_nord.pk,
            "all_matching": "on",
            "query": "stage=customer",
        },
    )

    assert Contact.objects.filter(owner=manager_nord).count() == 3
    assert Contact.objects.get(last_name="Lead").owner == sales_nord


def test_bulk_actions_need_the_role_permission(
    read_only_nord, sales_nord, make_contact, client_for
):
    contact = make_contact(sales_nord)

    response = client_for(read_only_nord).post(
        reverse("contacts:contact_bulk"),
        {"action": "tag", "tag": "X", "ids": str(contact.pk)},
    )

    assert response.status_code == 403


def test_the_count_stops_at_the_cap(sales_nord, make_contact, client_for, monkeypatch):
    from kundig.core import pagination

    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    monkeypatch.setattr(pagination.paginate, "__defaults__", None)
    page = pagination.paginate(Contact.objects.all(), 1, per_page=2, cap=3)
    assert page.count == 0
    for _ in range(5):
        make_contact(sales_nord)
    page = pagination.paginate(Contact.objects.order_by("id"), 2, per_page=2, cap=3)
    assert (page.count, page.count_capped, page.num_pages, len(page.object_list)) == (
        3,
        True,
        2,
        2,
    )


def test_search_as_you_type_returns_a_dropdown_of_visible_matches(
    sales_nord, sales_sued, make_contact, client_for
):
    make_contact(sales_nord, first_name="Jürgen", last_name="Müller")
    make_contact(sales_sued, first_name="Hans", last_name="Müller")

    response = client_for(sales_nord).get(reverse("contacts:search"), {"q": "Muller"})

    body = response.content.decode()
    assert "Jürgen Müller" in body
    assert "Hans" not in body


def test_names_sort_the_german_way_whatever_the_database_collation(
    sales_nord, make_contact, client_for
):
    for last in ("Schmidt", "Schäfer", "Özdemir", "Ochs", "Zander"):
        make_contact(sales_nord, last_name=last)

    response = client_for(sales_nord).get(URL, {"sort": "name"})

    assert names(response) == ["Ochs", "Özdemir", "Schäfer", "Schmidt", "Zander"]


def test_sorting_by_stage_follows_the_lifecycle(sales_nord, make_contact, client_for):
    make_contact(sales_nord, last_name="Kunde", lifecycle_stage="customer")
    make_contact(sales_nord, last_name="Abonnent", lifecycle_stage="subscriber")
    make_contact(sales_nord, last_name="Lead", lifecycle_stage="lead")

    response = client_for(sales_nord).get(URL, {"sort": "stage"})

    assert names(response) == ["Abonnent", "Lead", "Kunde"]


def test_created_from_and_until_take_whole_days_in_local_time(
    sales_nord, make_contact, client_for
):
    import datetime as dt

    from django.utils import timezone

    late = make_contact(sales_nord, last_name="Spät")
    early = make_contact(sales_nord, last_name="Früh")
    day = dt.date(2026, 3, 10)
    Contact.objects.filter(pk=late.pk).update(
        created_at=timezone.make_aware(dt.datetime.combine(day, dt.time(23, 30)))
    )
    Contact.objects.filter(pk=early.pk).update(
        created_at=timezone.make_aware(dt.datetime.combine(day, dt.time(0, 15)))
    )
    client = client_for(sales_nord)

    same_day = {"created_after": "2026-03-10", "created_before": "2026-03-10"}
    assert sorted(names(client.get(URL, same_day))) == ["Früh", "Spät"]
    assert names(client.get(URL, {"created_after": "2026-03-11"})) == []
    assert names(client.get(URL, {"created_before": "2026-03-09"})) == []
