"""Consent pages: public sign-up, confirmation and unsubscribe; the staff ledger."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from kundig.contacts import selectors as contact_selectors
from kundig.core.choices import Permission
from kundig.core.decorators import role_required
from kundig.core.exports import csv_delimiter_for, iter_csv

from . import selectors, services
from .choices import PURPOSE_VALUES, PURPOSES, Source
from .forms import ConsentForm, ConsentTextForm, SignupForm


def _evidence(request, source: str, **kwargs) -> services.Evidence:
    return services.Evidence(
        source=source,
        ip=request.META.get("REMOTE_ADDR") or None,
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        **kwargs,
    )


def _public_language(request, fallback: str = "") -> str:
    for choice in (request.GET.get("lang", ""), fallback):
        if choice in dict(settings.LANGUAGES):
            return choice
    return translation.get_language_from_request(request) or "de"


# --- Public pages (no login) ------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def signup(request):
    """The newsletter sign-up: ``/newsletter/?purpose=newsletter&lang=en``."""
    purpose = request.GET.get("purpose", "newsletter")
    if purpose not in PURPOSE_VALUES:
        purpose = "newsletter"
    language = _public_language(request)
    with translation.override(language):
        text = services.consent_text_current(purpose, language)
        form = SignupForm(request.POST or None)
        done = False
        if request.method == "POST" and form.is_valid():
            if form.cleaned_data["website"]:
                done = True  # a bot: look the same, do nothing
            else:
                try:
                    services.signup_request(
                        email=form.cleaned_data["email"],
                        purpose=purpose,
                        language=language,
                        first_name=form.cleaned_data["first_name"],
                        last_name=form.cleaned_data["last_name"],
                        evidence=_evidence(request, Source.SIGNUP_FORM),
                    )
                    done = True
                except ValidationError as exc:
                    for field, errors in exc.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
        return render(
            request,
            "privacy/signup.html",
            {
                "form": form,
                "text": text,
                "purpose_label": dict(PURPOSES)[purpose],
                "done": done,
                "language": language,
            },
            status=422 if request.method == "POST" and not done else 200,
        )


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request, token: str):
    """The double opt-in link. GET shows a button; only its POST confirms.

    Mail scanners open links to check them; a GET that confirmed would let a
    scanner sign people up who never clicked.
    """
    optin = services.optin_request_for(token)
    language = _public_language(request, optin.contact.language if optin else "")
    with translation.override(language):
        error = ""
        confirmed = bool(optin and optin.confirmed_at)
        if optin is None:
            error = _("This confirmation link is not valid.")
        elif request.method == "POST":
            try:
                services.signup_confirm(
                    token=token,
                    evidence=_evidence(request, Source.CONFIRMATION_LINK),
                )
                confirmed = True
            except ValidationError as exc:
                error = " ".join(exc.messages)
        return render(
            request,
            "privacy/confirm.html",
            {
                "optin": optin,
                "purpose_label": dict(PURPOSES)[optin.purpose] if optin else "",
                "confirmed": confirmed,
                "error": error,
                "language": language,
            },
            status=404 if optin is None else 200,
        )


@csrf_exempt  # RFC 8058: mail programs POST without a form of ours
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """GET: a page with a button. POST (that button, or a mail program's
    ``List-Unsubscribe=One-Click``): withdraw at once."""
    target = services.unsubscribe_target(token)
    if target is None:
        with translation.override(_public_language(request)):
            return render(
                request,
                "privacy/unsubscribe.html",
                {"error": _("This unsubscribe link is not valid.")},
                status=404,
            )
    _contact_id, purpose = target
    one_click = request.POST.get("List-Unsubscribe") == "One-Click"
    done = False
    error = ""
    contact = None
    if request.method == "POST":
        try:
            contact, purpose, _changed = services.unsubscribe(
                token=token,
                evidence=_evidence(
                    request,
                    Source.ONE_CLICK if one_click else Source.UNSUBSCRIBE_PAGE,
                ),
            )
            done = True
        except ValidationError as exc:
            error = " ".join(exc.messages)
        if one_click:
            return HttpResponse(status=200 if done else 404)
    language = _public_language(request, getattr(contact, "language", ""))
    with translation.override(language):
        return render(
            request,
            "privacy/unsubscribe.html",
            {
                "purpose_label": dict(PURPOSES)[purpose],
                "done": done,
                "error": error,
                "language": language,
            },
            status=404 if error else 200,
        )


# --- Staff pages ------------------------------------------------------------------


LEDGER_COLUMNS = (
    ("occurred_at", gettext_lazy("When")),
    ("purpose", gettext_lazy("Purpose")),
    ("channel", gettext_lazy("Channel")),
    ("action", gettext_lazy("Action")),
    ("source", gettext_lazy("Source")),
    ("email", gettext_lazy("Address")),
    ("ip", gettext_lazy("IP address")),
    ("user_agent", gettext_lazy("Browser")),
    ("text_version", gettext_lazy("Text version")),
    ("text", gettext_lazy("Consent text")),
    ("actor", gettext_lazy("Recorded by")),
    ("note", gettext_lazy("Proof or note")),
)


@login_required
def contact_ledger(request, pk: int):
    """The proof: every consent line of a contact, printable, as CSV or JSON."""
    contact = contact_selectors.contact_get(user=request.user, pk=pk)
    records = selectors.contact_ledger(contact)
    export = request.GET.get("format", "")
    if export in ("csv", "json"):
        if not request.user.has_role_permission(Permission.EXPORT):
            raise PermissionDenied
        name = f"consents-{contact.pk}"
        rows = [selectors.ledger_row(r) for r in records]
        if export == "json":
            response = HttpResponse(
                json.dumps(
                    {"contact": contact.pk, "name": contact.full_name, "ledger": rows},
                    ensure_ascii=False,
                    cls=DjangoJSONEncoder,
                    indent=2,
                ),
                content_type="application/json",
            )
        else:
            response = StreamingHttpResponse(
                iter_csv(
                    [label for _key, label in LEDGER_COLUMNS],
                    ([row[key] for key, _label in LEDGER_COLUMNS] for row in rows),
                    delimiter=csv_delimiter_for(request.LANGUAGE_CODE),
                ),
                content_type="text/csv; charset=utf-8",
            )
        response["Content-Disposition"] = f'attachment; filename="{name}.{export}"'
        return response
    return render(
        request,
        "privacy/ledger.html",
        {
            "contact": contact,
            "records": records,
            "consents": selectors.contact_consents(contact),
            "may_export": request.user.has_role_permission(Permission.EXPORT),
        },
    )


@require_POST
@role_required(Permission.WRITE)
def consent_add(request, pk: int):
    contact = contact_selectors.contact_get(user=request.user, pk=pk)
    form = ConsentForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label}: {' '.join(errors)}")
        return redirect(contact)
    data = form.cleaned_data
    evidence = _evidence(request, Source.STAFF, note=data["note"], actor=request.user)
    try:
        if data["kind"] == "given":
            services.consent_give(
                actor=request.user,
                contact=contact,
                purpose=data["purpose"],
                channel=data["channel"],
                evidence=evidence,
            )
            messages.success(request, _("The consent is recorded."))
        elif data["kind"] == "withdrawn":
            changed = services.consent_withdraw(
                contact=contact,
                purpose=data["purpose"],
                channel=data["channel"],
                evidence=evidence,
            )
            messages.success(
                request,
                _("The consent is withdrawn; queued messages stop.")
                if changed
                else _("There was no consent to withdraw."),
            )
        else:
            services.consent_object(
                actor=request.user, contact=contact, evidence=evidence
            )
            messages.success(
                request, _("The objection is recorded; no marketing goes out.")
            )
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            label = form.fields[field].label if field in form.fields else ""
            text = " ".join(errors)
            messages.error(request, f"{label}: {text}" if label else text)
    return redirect(f"{contact.get_absolute_url()}#contact-consents")


@role_required(Permission.MESSAGING)
def consent_texts(request):
    form = ConsentTextForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            text = services.consent_text_publish(
                actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request,
                _("Version %(version)d is published.") % {"version": text.version},
            )
            return redirect("privacy:texts")
    return render(
        request,
        "privacy/texts.html",
        {
            "form": form,
            "texts": selectors.consent_texts_current(),
            "signup_url": settings.BASE_URL + "/newsletter/",
        },
    )
