"""Companies over the API."""

from kundig.core.models import CustomFieldDefinition
from kundig.core.services import custom_field_save


def test_it_creates_and_reads_a_company(sales_nord, api_as):
    api = api_as(sales_nord)

    response = api.post(
        "/companies",
        {
            "name": "Beispiel GmbH",
            "legal_form": "gmbh",
            "vat_id": "DE 136 695 976",
            "size": "10-49",
            "website": "beispiel.de",
            "email": "Info@Beispiel.de",
            "phone": "030 1234567",
            "addresses": [
                {"street": "Hauptstr. 1", "postcode": "10115", "city": "Berlin"}
            ],
            "tags": ["Lieferant"],
        },
    )

    assert response.status_code == 201
    company = response.json()
    assert company["vat_id"] == "DE136695976"
    assert company["website"] == "https://beispiel.de"
    assert company["email"] == "info@beispiel.de"
    assert company["phone"] == "+49301234567"
    assert company["owner"]["email"] == "nora@kundig.test"
    assert company["tags"] == ["Lieferant"]
    assert api.get(f"/companies/{company['id']}").json() == company


def test_it_lists_searches_and_sorts_companies(sales_nord, api_as, make_company):
    api = api_as(sales_nord)
    zebra = make_company(sales_nord, name="Zebra AG")
    apfel = make_company(sales_nord, name="Apfel KG")

    def names(params):
        response = api.get("/companies", params)
        assert response.status_code == 200, response.json()
        return [row["name"] for row in response.json()["results"]]

    assert names({}) == [zebra.name, apfel.name]
    assert names({"sort": "name"}) == ["Apfel KG", "Zebra AG"]
    assert names({"q": "zebra"}) == ["Zebra AG"]


def test_it_changes_and_deletes_a_company(manager_nord, api_as, make_company):
    api = api_as(manager_nord)
    company = make_company(manager_nord, name="Alt GmbH")

    changed = api.patch(f"/companies/{company.pk}", {"name": "Neu GmbH"})
    deleted = api.delete(f"/companies/{company.pk}")

    assert changed.status_code == 200
    assert changed.json()["name"] == "Neu GmbH"
    assert deleted.status_code == 204
    assert api.get(f"/companies/{company.pk}").status_code == 404


def test_company_custom_fields_are_typed(sales_nord, api_as, admin):
    custom_field_save(
        definition=CustomFieldDefinition(
            entity="company",
            key="segment",
            label="Segment",
            field_type="choice",
            choices=["A", "B"],
        ),
        actor=admin,
    )
    api = api_as(sales_nord)

    good = api.post("/companies", {"name": "F", "custom": {"segment": "a"}})
    bad = api.post("/companies", {"name": "G", "custom": {"segment": "Z"}})

    assert good.json()["custom"] == {"segment": "A"}
    assert bad.status_code == 400
    assert "custom.segment" in bad.json()["fields"]
