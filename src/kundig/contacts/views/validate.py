"""Inline validation while the user types: email, phone, VAT ID, postcode."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import Http404, HttpResponse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..validation import format_phone, normalize_phone, normalize_vat_id


def _ok(text: str = "") -> HttpResponse:
    if not text:
        return HttpResponse("")
    return HttpResponse(
        format_html('<div class="valid-feedback d-block">{}</div>', text)
    )


def _error(text: str) -> HttpResponse:
    return HttpResponse(
        format_html('<div class="invalid-feedback d-block">{}</div>', text)
    )


@login_required
@require_POST
def validate_field(request, kind: str):
    """Return a one-line verdict for the value of the field that was just left."""
    values = [v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"]
    value = (values[0] if values else "").strip()
    if not value:
        return _ok()
    if kind == "email":
        try:
            validate_email(value)
        except ValidationError:
            return _error(
                _("%(value)s is not a valid email address.") % {"value": value}
            )
        return _ok()
    if kind == "phone":
        try:
            number = normalize_phone(value)
        except ValueError as exc:
            return _error(str(exc))
        return _ok(_("Saved as %(number)s") % {"number": format_phone(number)})
    if kind == "vat_id":
        try:
            compact = normalize_vat_id(value)
        except ValueError as exc:
            return _error(str(exc))
        return _ok(_("Valid: %(vat)s") % {"vat": compact})
    raise Http404
