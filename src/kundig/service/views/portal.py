"""The customer portal (no staff login): sign in by a mailed link, see one's
orders, returns and requests, announce a return and say it is on its way."""

from __future__ import annotations

import functools
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from kundig.commerce import selectors as commerce_selectors
from kundig.commerce.forms import ReturnAnnounceForm, ReturnStepForm

from .. import services
from ..choices import EntryKind
from ..models import Ticket
from ..services import portal as portal_services

SESSION_KEY = "portal_contact"


def _language(contact) -> str:
    if contact is not None and contact.language in dict(settings.LANGUAGES):
        return contact.language
    return translation.get_language() or settings.LANGUAGE_CODE


def _page(request, template: str, context: dict, *, contact=None, status=200):
    language = _language(contact)
    with translation.override(language):
        return render(
            request,
            f"service/portal/{template}",
            {**context, "language": language, "portal_contact": contact},
            status=status,
        )


def portal_required(view):
    """The signed-in customer's contact as ``request.portal_contact``, else sign in."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        contact_id = request.session.get(SESSION_KEY)
        contact = None
        if isinstance(contact_id, int):
            contact = services.portal_contact(contact_id)
        if contact is None:
            return redirect("service:portal_start")
        request.portal_contact = contact
        with translation.override(_language(contact)):  # its messages, too
            return view(request, *args, **kwargs)

    return wrapper


@never_cache
@require_http_methods(["GET", "POST"])
def portal_start(request):
    """Ask for a sign-in link; the answer never tells whether the address is known."""
    sent = False
    email = ""
    if request.method == "POST":
        email = request.POST.get("email", "")[:254]
        services.portal_link_request(email)
        sent = True
    return _page(
        request,
        "start.html",
        {"sent": sent, "email": email, "link_minutes": portal_services.LINK_MINUTES},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def portal_enter(request, token: str):
    """GET shows a button (mail scanners open links); POST signs in, once."""
    link = services.portal_link_get(token)
    if request.method == "POST" and link is not None:
        contact_id = services.portal_link_use(token)
        if contact_id is not None:
            request.session.cycle_key()
            request.session[SESSION_KEY] = contact_id
            return redirect("service:portal_home")
        link = None
    return _page(
        request,
        "enter.html",
        {"valid": link is not None},
        contact=link.contact if link else None,
        status=200 if link else 404,
    )


@require_POST
def portal_leave(request):
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()
    return redirect("service:portal_start")


@never_cache
@portal_required
def portal_home(request):
    contact = request.portal_contact
    return _page(
        request,
        "home.html",
        {
            "orders": list(commerce_selectors.orders_of_customer(contact.pk)[:20]),
            "returns": list(commerce_selectors.returns_of_customer(contact.pk)[:20]),
            "tickets": list(
                Ticket.objects.filter(contact=contact).order_by("-created_at")[:20]
            ),
            "error": request.session.pop("portal_error", ""),
        },
        contact=contact,
    )


@never_cache
@portal_required
def portal_order(request, pk: int):
    contact = request.portal_contact
    order = commerce_selectors.order_of_customer(contact_id=contact.pk, pk=pk)
    if order is None:
        raise Http404
    form = ReturnAnnounceForm(
        request.POST or None, order=order, initial={"key": uuid.uuid4().hex}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.portal_return_announce(
                contact_id=contact.pk,
                order=order,
                lines=form.quantities(),
                reason=form.cleaned_data["reason"],
                comment=form.cleaned_data["comment"],
                key=form.cleaned_data["key"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return redirect("service:portal_home")
    return _page(
        request,
        "order.html",
        {"order": order, "form": form},
        contact=contact,
        status=422 if form.errors else 200,
    )


@require_POST
@portal_required
def portal_return_sent(request, pk: int):
    contact = request.portal_contact
    ret = commerce_selectors.returns_of_customer(contact.pk).filter(pk=pk).first()
    if ret is None:
        raise Http404
    form = ReturnStepForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            services.portal_return_sent(
                contact_id=contact.pk,
                ret=ret,
                carrier=form.cleaned_data["carrier"],
                tracking_number=form.cleaned_data["tracking_number"],
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
    if error:
        request.session["portal_error"] = error
    return redirect("service:portal_home")


@never_cache
@portal_required
def portal_ticket(request, pk: int):
    contact = request.portal_contact
    ticket = Ticket.objects.filter(contact=contact, pk=pk).first()
    if ticket is None:
        raise Http404
    entries = ticket.entries.filter(
        kind__in=[EntryKind.CUSTOMER, EntryKind.REPLY]
    ).order_by("created_at", "id")
    return _page(
        request, "ticket.html", {"ticket": ticket, "entries": entries}, contact=contact
    )
