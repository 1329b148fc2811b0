"""Saved replies: written once with merge fields, checked like templates, and a
ticket's reply starts from one in the customer's language."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kundig.service import services
from kundig.service.models import Macro

pytestmark = pytest.mark.django_db


@pytest.fixture
def thanks(agent):
    return services.macro_save(
        actor=agent, name="Danke", is_active=True,
        text_de="{{ salutation }},\n\ndanke für Ihre Nachricht zu {{ ticket.number }}.",
        text_en="{{ salutation }},\n\nthank you for writing about {{ ticket.number }}.",
    )  # fmt: skip


def test_a_reply_starts_from_a_saved_one(agent, anna, late, thanks, client_for):
    response = client_for(agent).get(late.get_absolute_url(), {"macro": thanks.pk})

    text = response.context["reply_form"].initial["text"]
    assert (
        text == f"Guten Tag Anna Weber,\n\ndanke für Ihre Nachricht zu {late.number}."
    )
    assert 'id="macros"' in response.content.decode()


def test_an_english_customer_gets_the_english_text(
    agent, anna, late, thanks, client_for
):
    anna.language = "en"
    anna.save(update_fields=["language"])

    response = client_for(agent).get(late.get_absolute_url(), {"macro": thanks.pk})

    assert "thank you for writing" in response.context["reply_form"].initial["text"]


def test_an_inactive_saved_reply_is_not_offered(agent, late, thanks, client_for):
    services.macro_save(actor=agent, macro=thanks, is_active=False)

    response = client_for(agent).get(late.get_absolute_url(), {"macro": thanks.pk})

    assert "text" not in response.context["reply_form"].initial
    assert 'id="macros"' not in response.content.decode()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"text_de": "", "text_en": ""}, "text_de"),
        ({"text_de": "Hallo {{ kunde }}"}, "text_de"),
        ({"text_en": "{% if %}"}, "text_en"),
        ({"name": ""}, "name"),
    ],
)
def test_a_bad_saved_reply_is_refused_naming_the_field(agent, data, field):
    fields = {"name": "X", "text_de": "Hallo", "text_en": "", "is_active": True, **data}

    with pytest.raises(ValidationError) as error:
        services.macro_save(actor=agent, **fields)

    assert field in error.value.message_dict
    assert not Macro.objects.exists()


def test_only_the_service_desk_writes_saved_replies(read_only_nord):
    with pytest.raises(PermissionDenied):
        services.macro_save(actor=read_only_nord, name="X", text_de="Hallo")


def test_the_saved_reply_pages(agent, client_for):
    client = client_for(agent)

    response = client.post(
        reverse("service:macro_create"),
        {"name": "Rückruf", "text_de": "{{ salutation }}, wir rufen zurück.",
         "text_en": "", "is_active": "on"},
    )  # fmt: skip

    assert response.status_code == 302
    macro = Macro.objects.get()
    assert "Rückruf" in client.get(reverse("service:macro_list")).content.decode()
    client.post(reverse("service:macro_delete", args=[macro.pk]))
    assert not Macro.objects.exists()
