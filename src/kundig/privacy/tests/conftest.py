from __future__ import annotations

import re

import pytest
from django.apps import apps

from kundig.messaging import services as messaging
from kundig.messaging.tests.conftest import mailbox, smtp  # noqa: F401


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.BASE_URL = "http://testserver"


@pytest.fixture
def contact_model():
    return apps.get_model("contacts", "Contact")


@pytest.fixture
def anna(sales_nord, make_contact):
    return make_contact(
        sales_nord, first_name="Anna", last_name="Weber", email="anna@example.de"
    )


@pytest.fixture
def newsletter(admin):
    return messaging.template_save(
        actor=admin, key="news", name="News", purpose="newsletter",
        contents={"de": {
            "subject": "Neu im Shop",
            "html": '<p>{{ salutation }}</p><p><a href="{{ unsubscribe_url }}">'
                    "Abmelden</a></p>",
        }},
    )  # fmt: skip


def html_part(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def link_in(html: str, path: str) -> str:
    """The path of the first link in ``html`` that contains ``path``."""
    match = re.search(
        r'href="(?:http://testserver)?(' + re.escape(path) + r'[^"]*)"', html
    )
    assert match, f"no link to {path} in {html}"
    return match.group(1)
