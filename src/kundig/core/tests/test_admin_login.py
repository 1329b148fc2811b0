"""The Django admin signs in through allauth: two-factor sign-in cannot be skipped."""

import pytest
from django.test import Client

from kundig.core.services import user_create

pytestmark = pytest.mark.django_db

PASSWORD = "ein-sehr-langes-Passwort-7"


def test_an_admin_with_two_factor_cannot_sign_in_through_the_admin_login():
    from allauth.mfa.models import Authenticator

    admin = user_create(email="chef@kundig.test", password=PASSWORD, role="admin")
    Authenticator.objects.create(user=admin, type="totp", data={"secret": "x"})
    client = Client()

    response = client.post(
        "/admin/login/", {"username": admin.email, "password": PASSWORD}, follow=False
    )

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.get("/contacts/").status_code == 302  # still signed out
