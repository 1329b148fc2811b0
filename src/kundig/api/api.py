"""The JSON API v1: every app's router under /api/v1, one auth, one error shape.

OpenAPI at /api/v1/openapi.json, interactive docs at /api/v1/docs; the user
documentation is docs/api.md.
"""

from __future__ import annotations

from django.urls import URLPattern, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI

from kundig.activity.api import tasks_router, timeline_router
from kundig.commerce.api import orders_router, products_router
from kundig.contacts.api import companies_router, contacts_router
from kundig.privacy.api import consent_router
from kundig.service.api import tickets_router

from .auth import TokenAuth
from .errors import (
    Error,
    error_response,
    json_method_not_allowed,
    register_error_handlers,
)

DESCRIPTION = """\
The Kundig CRM over HTTP: contacts, companies, their timelines and tasks,
shop data: orders with shipments, returns, revocations and refunds, and
products; and consent: newsletter sign-ups (double opt-in) and each contact's
consent ledger.

**Authentication.** Send an API token in every request:
`Authorization: Bearer kdg_…`. Create one with
`kundig token create --user EMAIL --name NAME`. A request sees and may change
exactly what its token's user sees and may change in the web UI.

**Errors** are always JSON: `{"code": "...", "message": "...", "fields": {...}}`
with `code` one of `validation_error` (400), `unauthenticated` (401),
`forbidden` (403), `not_found` (404), `method_not_allowed` (405). `fields`
maps each invalid field (`emails.1.is_primary`, `custom.vip`) to its messages.
A record the caller may not see answers 404, as if it did not exist.

**Lists** are paged with an opaque cursor: pass the answer's `next` as
`cursor` until `next` is null. `page_size` is 1 to 200 (default 50).
"""

_ERROR_RESPONSES = {
    "400": "The input is not valid; `fields` names each invalid field.",
    "401": "No valid API token was sent.",
    "403": "The caller's role does not allow this.",
    "404": "There is no such record, or the caller may not see it.",
}


class KundigAPI(NinjaAPI):
    """NinjaAPI whose every answer outside the happy path is the JSON error shape."""

    def _get_urls(self):
        urls = []
        for pattern in super()._get_urls():
            if isinstance(pattern, URLPattern) and pattern.name == "api-root":
                # ninja's root view raises Http404 outside its error handling
                pattern.callback = csrf_exempt(self._unknown_path)
            elif isinstance(pattern, URLPattern):
                pattern.callback = json_method_not_allowed(pattern.callback, self)
            urls.append(pattern)
        # Unknown paths under /api/v1/ answer JSON too, not the HTML 404 page.
        urls.append(re_path(r"^.*$", csrf_exempt(self._unknown_path)))
        return urls

    def _unknown_path(self, request, *args, **kwargs):
        return error_response(
            self,
            request,
            404,
            _("There is no such API endpoint; see %(docs)s.")
            % {"docs": "/api/v1/docs"},
        )

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(
            path_prefix=path_prefix, path_params=path_params
        )
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = (
            Error.model_json_schema()
        )
        for item in schema["paths"].values():
            for method, operation in item.items():
                _document_errors(method, operation)
        return schema


def _document_errors(method: str, operation: dict) -> None:
    parameters = operation.get("parameters", [])
    codes = ["401"]
    if operation.get("requestBody") or any(p["in"] == "query" for p in parameters):
        codes.append("400")
    if method in ("post", "patch", "put", "delete"):
        codes.append("403")
    if any(p["in"] == "path" for p in parameters):
        codes.append("404")
    responses = operation.setdefault("responses", {})
    for code in sorted(codes):
        responses.setdefault(
            code,
            {
                "description": _ERROR_RESPONSES[code],
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/Error"}
                    }
                },
            },
        )


api = KundigAPI(
    title="Kundig API",
    version="1",
    description=DESCRIPTION,
    auth=TokenAuth(),
    urls_namespace="api-v1",
)
register_error_handlers(api)
api.add_router("/contacts", contacts_router)
api.add_router("/companies", companies_router)
api.add_router("/", timeline_router)
api.add_router("/tasks", tasks_router)
api.add_router("/orders", orders_router)
api.add_router("/products", products_router)
api.add_router("/", consent_router)
api.add_router("/tickets", tickets_router)
