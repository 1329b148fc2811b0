"""Authentication: a bearer token or a JSON 401, never a page."""

import pytest

from kundig.core.services import token_create, token_revoke, user_update

from .conftest import ApiClient


def assert_unauthenticated(response):
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert response["Content-Type"].startswith("application/json")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_request_without_a_token_is_refused(db, anonymous_api):
    assert_unauthenticated(anonymous_api.get("/contacts"))


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Token kdg_abc_def",
        "Basic dXNlcjpwYXNz",
        "Bearer kdg_nonsense",
        "Bearer kdg_000000000000_wrong-secret",
        "Bearer not-a-kundig-token",
    ],
)
def test_a_malformed_or_unknown_token_is_refused(sales_nord, header):
    client = ApiClient()
    response = client.client.get("/api/v1/contacts", headers={"Authorization": header})

    assert_unauthenticated(response)


def test_a_token_with_the_right_prefix_but_a_wrong_secret_is_refused(sales_nord):
    _token, plain = token_create(user=sales_nord, name="Shop")
    forged = plain[: plain.rindex("_") + 1] + "x" * 43

    assert_unauthenticated(ApiClient(forged).get("/contacts"))


def test_a_revoked_token_is_refused(sales_nord):
    token, plain = token_create(user=sales_nord, name="Shop")
    client = ApiClient(plain)
    assert client.get("/contacts").status_code == 200

    token_revoke(token=token)

    assert_unauthenticated(client.get("/contacts"))


def test_the_token_of_a_deactivated_user_is_refused(sales_nord, admin):
    _token, plain = token_create(user=sales_nord, name="Shop")

    user_update(user=sales_nord, actor=admin, is_active=False)

    assert_unauthenticated(ApiClient(plain).get("/contacts"))


def test_a_valid_token_authenticates_as_its_user(sales_nord, api_as):
    response = api_as(sales_nord).post("/contacts", {"last_name": "Tokenfrau"})

    assert response.status_code == 201
    assert response.json()["owner"]["email"] == "nora@kundig.test"


def test_every_endpoint_needs_a_token(db, anonymous_api):
    # given one path of each resource, read and write
    requests = [
        ("get", "/contacts"),
        ("post", "/contacts"),
        ("get", "/contacts/1"),
        ("patch", "/contacts/1"),
        ("delete", "/contacts/1"),
        ("get", "/contacts/1/timeline"),
        ("post", "/contacts/1/timeline"),
        ("get", "/companies"),
        ("get", "/companies/1/timeline"),
        ("get", "/timeline"),
        ("get", "/timeline/1"),
        ("get", "/tasks"),
        ("post", "/tasks"),
        ("patch", "/tasks/1"),
    ]
    for method, path in requests:
        # when it is called without a token, then it answers 401 before anything
        assert_unauthenticated(getattr(anonymous_api, method)(path))


def test_the_openapi_document_and_docs_need_no_token(db, anonymous_api):
    assert anonymous_api.get("/openapi.json").status_code == 200
    assert anonymous_api.get("/docs").status_code == 200
