"""Profile, language, API tokens, notifications and the admin settings pages."""

import pytest
from django.urls import reverse

from kundig.core.models import ApiToken, CustomFieldDefinition, Notification, Team, User
from kundig.core.notifications import notification_create

pytestmark = pytest.mark.django_db


def test_a_user_switches_the_interface_to_english_and_back(sales_nord, client_for):
    client = client_for(sales_nord)

    response = client.post(
        reverse("core:set_language"),
        {"language": "en", "next": reverse("activity:home")},
    )
    assert response.status_code == 302
    page = client.get(reverse("activity:home")).content.decode()
    assert "My tasks" in page

    client.post(reverse("core:set_language"), {"language": "de"})
    sales_nord.refresh_from_db()
    assert sales_nord.language == "de"
    assert "Meine Aufgaben" in client.get(reverse("activity:home")).content.decode()


def test_the_language_switch_never_redirects_off_site(sales_nord, client_for):
    response = client_for(sales_nord).post(
        reverse("core:set_language"),
        {"language": "en", "next": "https://evil.example/"},
    )

    assert response["Location"] == reverse("activity:home")


def test_a_token_is_shown_once_and_only_its_hash_is_kept(sales_nord, client_for):
    client = client_for(sales_nord)

    response = client.post(reverse("core:tokens"), {"name": "Shop-Sync"})

    plain = response.context["new_token"]
    assert plain.startswith("kdg_")
    token = ApiToken.objects.get()
    assert plain not in (token.token_hash, token.prefix)
    assert plain not in client.get(reverse("core:tokens")).content.decode()


def test_a_user_can_revoke_only_their_own_tokens(sales_nord, sales_sued, client_for):
    from kundig.core.services import token_create

    token, _plain = token_create(user=sales_sued, name="fremd")

    response = client_for(sales_nord).post(
        reverse("core:token_revoke", args=[token.pk])
    )

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_notifications_are_private_and_open_marks_them_read(
    sales_nord, sales_sued, client_for
):
    mine = notification_create(user=sales_nord, title="Für dich", url="/tasks/")
    theirs = notification_create(user=sales_sued, title="Nicht für dich")
    client = client_for(sales_nord)

    page = client.get(reverse("core:notifications")).content.decode()
    assert "Für dich" in page and "Nicht für dich" not in page
    assert (
        client.get(reverse("core:notification_open", args=[theirs.pk])).status_code
        == 404
    )
    response = client.get(reverse("core:notification_open", args=[mine.pk]))
    assert response["Location"] == "/tasks/"
    assert Notification.objects.get(pk=mine.pk).read_at is not None


@pytest.mark.parametrize(
    "name", ["core:users", "core:user_create", "core:teams", "core:custom_fields"]
)
def test_settings_are_for_administrators_only(
    name, sales_nord, manager_nord, admin, client_for
):
    assert client_for(sales_nord).get(reverse(name)).status_code == 403
    assert client_for(manager_nord).get(reverse(name)).status_code == 403
    assert client_for(admin).get(reverse(name)).status_code == 200


def test_an_admin_creates_a_user_in_a_new_team(admin, client_for):
    response = client_for(admin).post(
        reverse("core:user_create"),
        {
            "email": "neu@kundig.test",
            "first_name": "Nele",
            "role": "service",
            "new_team": "Hotline",
            "language": "de",
            "password": "ein-langes-Passwort-42",
        },
    )

    assert response.status_code == 302
    user = User.objects.get(email="neu@kundig.test")
    assert user.team == Team.objects.get(name="Hotline")
    assert user.check_password("ein-langes-Passwort-42")


def test_a_weak_password_is_refused_naming_the_field(admin, client_for):
    response = client_for(admin).post(
        reverse("core:user_create"),
        {
            "email": "neu@kundig.test",
            "role": "sales",
            "language": "de",
            "password": "123",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["password"]
    assert not User.objects.filter(email="neu@kundig.test").exists()


def test_an_admin_defines_a_choice_field(admin, client_for):
    response = client_for(admin).post(
        reverse("core:custom_field_create"),
        {
            "entity": "contact",
            "label": "Bevorzugter Kanal",
            "key": "kanal",
            "field_type": "choice",
            "choices_text": "E-Mail\nTelefon\n\nBrief",
            "position": 1,
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    field = CustomFieldDefinition.objects.get()
    assert field.choices == ["E-Mail", "Telefon", "Brief"]


def test_a_choice_field_without_choices_is_refused(admin, client_for):
    response = client_for(admin).post(
        reverse("core:custom_field_create"),
        {
            "entity": "contact",
            "label": "Kanal",
            "key": "kanal",
            "field_type": "choice",
            "position": 0,
        },
    )

    assert response.status_code == 200
    assert (
        "choices" in response.context["form"].errors
        or response.context["form"].non_field_errors()
    )
    assert not CustomFieldDefinition.objects.exists()


def test_a_user_created_by_an_admin_can_switch_on_two_factor_sign_in(
    sales_nord, persona_password
):
    import time

    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import hotp_value
    from django.test import Client

    client = Client()
    client.post(
        "/accounts/login/", {"login": sales_nord.email, "password": persona_password}
    )
    # allauth asks for the password again before security settings change
    assert client.get("/accounts/2fa/totp/activate/").status_code == 302
    client.post("/accounts/reauthenticate/", {"password": persona_password})
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = page.context["form"].secret
    code = hotp_value(secret, int(time.time() // 30))

    response = client.post("/accounts/2fa/totp/activate/", {"code": f"{code:06d}"})

    assert response.status_code == 302, response.content.decode()[:500]
    assert Authenticator.objects.filter(user=sales_nord, type="totp").exists()


def test_the_last_administrator_cannot_be_demoted_or_deactivated(admin):
    from django.core.exceptions import ValidationError

    from kundig.core.services import user_update

    with pytest.raises(ValidationError):
        user_update(user=admin, actor=admin, role="sales")
    with pytest.raises(ValidationError):
        user_update(user=admin, actor=admin, is_active=False)
    admin.refresh_from_db()
    assert admin.role == "admin"
    assert admin.is_active


def test_the_token_page_is_never_cached(sales_nord, client_for):
    response = client_for(sales_nord).post(reverse("core:tokens"), {"name": "x"})

    assert "no-store" in response["Cache-Control"]
