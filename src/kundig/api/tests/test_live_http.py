"""The API over a real HTTP connection, as an outside program uses it."""

import httpx

from kundig.core.services import token_create


def test_a_program_creates_a_contact_and_reads_it_back(live_server, sales_nord):
    # given a token, as `kundig token create` would print it
    _token, plain = token_create(user=sales_nord, name="Shop sync")
    headers = {"Authorization": f"Bearer {plain}"}

    with httpx.Client(base_url=f"{live_server.url}/api/v1", timeout=10) as http:
        # when the program creates a contact
        created = http.post(
            "/contacts",
            headers=headers,
            json={
                "salutation": "Herr",
                "first_name": "Otto",
                "last_name": "Über",
                "email": "otto@example.de",
                "phone": "+49 151 23456789",
            },
        )
        contact_id = created.json()["id"]
        note = http.post(
            f"/contacts/{contact_id}/timeline",
            headers=headers,
            json={"kind": "note", "body": "Per API angelegt."},
        )
        read = http.get(f"/contacts/{contact_id}", headers=headers)
        found = http.get("/contacts", headers=headers, params={"q": "ueber"})
        refused = http.get(f"/contacts/{contact_id}")

    # then it reads back what it wrote, over the wire
    assert created.status_code == 201
    assert created.headers["content-type"].startswith("application/json")
    assert note.status_code == 201
    assert read.status_code == 200
    assert read.json()["display_name"] == "Otto Über"
    assert read.json()["salutation"] == "herr"
    assert read.json()["phones"][0]["number"] == "+4915123456789"
    assert [row["id"] for row in found.json()["results"]] == [contact_id]
    assert refused.status_code == 401
    assert refused.json()["code"] == "unauthenticated"
