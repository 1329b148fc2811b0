"""The OpenAPI document is the API's reference: complete, tagged and described."""

import pytest


@pytest.fixture
def schema(db, anonymous_api):
    response = anonymous_api.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


OPERATIONS = {
    "/api/v1/contacts": {"get", "post"},
    "/api/v1/contacts/{contact_id}": {"get", "patch", "delete"},
    "/api/v1/contacts/{contact_id}/timeline": {"get", "post"},
    "/api/v1/companies": {"get", "post"},
    "/api/v1/companies/{company_id}": {"get", "patch", "delete"},
    "/api/v1/companies/{company_id}/timeline": {"get", "post"},
    "/api/v1/timeline": {"get", "post"},
    "/api/v1/timeline/{entry_id}": {"get", "patch", "delete"},
    "/api/v1/tasks": {"get", "post"},
    "/api/v1/tasks/{task_id}": {"get", "patch", "delete"},
    "/api/v1/orders": {"get", "post"},
    "/api/v1/orders/{order_id}": {"get"},
    "/api/v1/orders/external/{source}/{external_id}": {"get"},
    **{
        f"/api/v1/orders/{ref}/{part}": {"post"}
        for ref in ("{order_id}", "external/{source}/{external_id}")
        for part in ("shipments", "returns", "revocations", "refunds")
    },
    "/api/v1/products": {"get"},
    "/api/v1/products/{sku}": {"get", "put"},
    "/api/v1/newsletter/signups": {"post"},
    "/api/v1/contacts/{contact_id}/consents": {"get"},
    "/api/v1/tickets": {"get", "post"},
    "/api/v1/tickets/{ticket_id}": {"get", "patch"},
    "/api/v1/tickets/{ticket_id}/replies": {"post"},
    "/api/v1/tickets/{ticket_id}/notes": {"post"},
}


def test_it_names_the_api_and_its_version(schema):
    assert schema["info"]["title"] == "Kundig API"
    assert schema["info"]["version"] == "1"
    assert "Bearer" in schema["info"]["description"]


def test_it_lists_every_path_and_method(schema):
    assert {path: set(item) for path, item in schema["paths"].items()} == OPERATIONS


def test_every_operation_is_tagged_summarised_described_and_secured(schema):
    ids = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            assert operation["tags"], where
            assert operation["summary"], where
            assert operation["description"], where
            assert operation["security"] == [{"TokenAuth": []}], where
            assert "401" in operation["responses"], where
            ids.append(operation["operationId"])
    assert len(ids) == len(set(ids))


def test_errors_are_documented_with_their_shape(schema):
    error = schema["components"]["schemas"]["Error"]
    create = schema["paths"]["/api/v1/contacts"]["post"]["responses"]
    delete = schema["paths"]["/api/v1/contacts/{contact_id}"]["delete"]["responses"]

    assert set(error["properties"]) == {"code", "message", "fields"}
    assert {"201", "400", "401", "403"} <= set(create)
    assert {"204", "401", "403", "404"} <= set(delete)


def test_the_bearer_token_scheme_is_declared(schema):
    scheme = schema["components"]["securitySchemes"]["TokenAuth"]

    assert scheme["type"] == "http"
    assert scheme["scheme"] == "bearer"


def test_list_filters_are_documented_as_parameters(schema):
    parameters = {
        p["name"] for p in schema["paths"]["/api/v1/contacts"]["get"]["parameters"]
    }

    assert {"q", "stage", "owner", "tag", "company", "sort", "cursor"} <= parameters
    assert "page_size" in parameters


def test_the_interactive_docs_load(db, anonymous_api):
    response = anonymous_api.get("/docs")

    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
