"""Bearer-token authentication: ``Authorization: Bearer kdg_<prefix>_<secret>``."""

from __future__ import annotations

from django.utils import translation
from ninja.security import HttpBearer

from kundig.core.services import token_authenticate


class TokenAuth(HttpBearer):
    """Authenticate a request by an API token; only the token's hash is stored."""

    openapi_bearerFormat = "kdg_<prefix>_<secret>"  # OpenAPI's spelling
    openapi_description = (
        "An API token created with `kundig token create --user EMAIL --name NAME`."
    )

    def authenticate(self, request, token: str):
        if "\x00" in token:
            return None
        user = token_authenticate(token.strip())
        if user is None:
            return None
        # Selectors, filters ("owner=me") and services read the user from here.
        request.user = user
        if "HTTP_ACCEPT_LANGUAGE" not in request.META and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return user
