"""Contact list, search-as-you-type, forms, bulk actions and export."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kundig.core.choices import CustomFieldEntity, Permission
from kundig.core.decorators import role_required
from kundig.core.models import Tag, Team, User
from kundig.core.pagination import paginate

from .. import history, selectors, services
from ..choices import LifecycleStage
from ..filters import ContactFilter
from ..forms import (
    AddressFormSet,
    CompanyLinkFormSet,
    ContactForm,
    EmailFormSet,
    PhoneFormSet,
    address_rows,
    apply_service_errors,
    company_rows,
    email_rows,
    phone_rows,
)
from ..jobs.records import CONTACTS
from .common import bulk_action, export_action, in_background

PER_PAGE = 50


def _filterset(request, data=None) -> ContactFilter:
    return ContactFilter(
        request.GET if data is None else data,
        queryset=selectors.contacts_visible_to(request.user),
        request=request,
    )


@login_required
def contact_list(request):
    filterset = _filterset(request)
    page = None
    if filterset.is_valid():
        qs = selectors.contact_list_prefetch(filterset.qs, user=request.user)
        page = paginate(qs, request.GET.get("page"), per_page=PER_PAGE)
    context = {
        "filterset": filterset,
        "page": page,
        "stages": LifecycleStage.choices,
        "teams": Team.objects.all(),
        "tags": Tag.objects.all(),
        "owners": User.objects.filter(is_active=True),
        "querystring": request.GET.urlencode(),
        "has_filters": any(
            v for k, v in request.GET.items() if k not in ("page", "sort")
        ),
        **in_background(page),
    }
    if request.htmx and request.htmx.target == "contact-results":
        return render(request, "contacts/contact_list.html#results", context)
    return render(request, "contacts/contact_list.html", context)


@login_required
def contact_lookup(request):
    """JSON for contact pickers in forms: id and label of matching contacts."""
    query = request.GET.get("q", "").strip()[:100]
    results = []
    if len(query) >= 2:
        for contact in selectors.contact_quick_search(
            user=request.user, query=query, limit=10
        ):
            emails = [e.email for e in contact.emails.all()]
            label = str(contact) + (f" · {emails[0]}" if emails else "")
            results.append({"id": contact.pk, "label": label})
    return JsonResponse({"results": results})


@login_required
def search(request):
    """Search-as-you-type: the dropdown under the global search box."""
    query = request.GET.get("q", "").strip()[:100]
    contacts, companies = [], []
    if query:
        contacts = selectors.contact_quick_search(user=request.user, query=query)
        companies = selectors.company_quick_search(user=request.user, query=query)
    return render(
        request,
        "contacts/partials/search_results.html",
        {"query": query, "contacts": contacts, "companies": companies},
    )


def _contact_formsets(request, contact=None):
    data = request.POST if request.method == "POST" else None
    if contact is None:
        initial_emails = [{"is_primary": True, "kind": "private"}]
        initial_phones = [{"is_primary": True, "kind": "mobile"}]
        initial_addresses = []
        initial_links = []
        company_id = request.GET.get("company")
        if company_id and company_id.isascii() and company_id.isdigit():
            company = (
                selectors.companies_visible_to(request.user)
                .filter(pk=company_id)
                .first()
            )
            if company is not None:
                initial_links = [
                    {
                        "company": company.pk,
                        "company_label": company.name,
                        "is_primary": True,
                    }
                ]
    else:
        initial_emails = [
            {"email": e.email, "kind": e.kind, "is_primary": e.is_primary}
            for e in contact.emails.all()
        ]
        initial_phones = [
            {"number": p.number, "kind": p.kind, "is_primary": p.is_primary}
            for p in contact.phones.all()
        ]
        initial_addresses = [
            {
                "kind": a.kind,
                "recipient": a.recipient,
                "street": a.street,
                "extra": a.extra,
                "postcode": a.postcode,
                "city": a.city,
                "country": a.country.code,
            }
            for a in contact.addresses.all()
        ]
        initial_links = [
            {
                "company": link.company_id,
                "company_label": link.company.name,
                "role": link.role,
                "is_primary": link.is_primary,
            }
            for link in contact.visible_company_links
        ]
    return {
        "emails": EmailFormSet(data, prefix="emails", initial=initial_emails),
        "phones": PhoneFormSet(data, prefix="phones", initial=initial_phones),
        "addresses": AddressFormSet(
            data, prefix="addresses", initial=initial_addresses
        ),
        "companies": CompanyLinkFormSet(
            data, prefix="companies", initial=initial_links
        ),
    }


def _contact_initial(contact) -> dict:
    if contact is None:
        return {
            "salutation": "none",
            "form_of_address": "formal",
            "language": "de",
            "lifecycle_stage": LifecycleStage.LEAD,
        }
    return {
        "salutation": contact.salutation,
        "title": contact.title,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "form_of_address": contact.form_of_address,
        "language": contact.language,
        "birthday": contact.birthday,
        "lifecycle_stage": contact.lifecycle_stage,
        "source": contact.source,
        "owner": contact.owner_id,
        "team": contact.team_id,
        "tags": ", ".join(t.name for t in contact.tags.all()),
        "external_id": contact.external_id or "",
    }


def _contact_form_view(request, contact=None):
    if not request.user.has_role_permission(Permission.WRITE):
        raise PermissionDenied
    definitions = services.custom_definitions(
        CustomFieldEntity.CONTACT, user=request.user
    )
    form = ContactForm(
        request.POST or None,
        initial=_contact_initial(contact),
        definitions=definitions,
        stored_custom=contact.custom if contact else None,
    )
    formsets = _contact_formsets(request, contact)
    status = 200
    if request.method == "POST":
        valid = form.is_valid() & all(fs.is_valid() for fs in formsets.values())
        if valid:
            emails, email_forms = email_rows(formsets["emails"])
            phones, phone_forms = phone_rows(formsets["phones"])
            addresses, address_forms = address_rows(formsets["addresses"])
            links, link_forms = company_rows(formsets["companies"])
            kwargs = {
                "actor": request.user,
                "fields": form.service_fields(),
                "emails": emails,
                "phones": phones,
                "addresses": addresses,
                "companies": links,
                "tags": form.tag_names(),
                "custom": form.custom_values(),
            }
            try:
                if contact is None:
                    saved = services.contact_create(**kwargs)
                else:
                    saved = services.contact_update(contact=contact, **kwargs)
            except ValidationError as exc:
                apply_service_errors(
                    exc,
                    form,
                    {
                        "emails": (formsets["emails"], email_forms),
                        "phones": (formsets["phones"], phone_forms),
                        "addresses": (formsets["addresses"], address_forms),
                        "companies": (formsets["companies"], link_forms),
                    },
                )
            else:
                if contact is None:
                    messages.success(
                        request, _("%(name)s was created.") % {"name": saved}
                    )
                else:
                    messages.success(
                        request, _("%(name)s was saved.") % {"name": saved}
                    )
                if (
                    not selectors.contacts_visible_to(request.user)
                    .filter(pk=saved.pk)
                    .exists()
                ):
                    messages.info(
                        request,
                        _("It now belongs to someone whose records you do not see."),
                    )
                    return redirect("contacts:contact_list")
                return redirect(saved.get_absolute_url())
        status = 422
    return render(
        request,
        "contacts/contact_form.html",
        {"form": form, "formsets": formsets, "contact": contact},
        status=status,
    )


@login_required
def contact_create(request):
    return _contact_form_view(request)


@login_required
def contact_edit(request, pk: int):
    contact = selectors.contact_profile(user=request.user, pk=pk)
    return _contact_form_view(request, contact)


@login_required
@require_POST
def contact_delete(request, pk: int):
    contact = selectors.contact_get(user=request.user, pk=pk)
    name = str(contact)
    services.contact_delete(actor=request.user, contact=contact)
    messages.success(request, _("%(name)s was deleted.") % {"name": name})
    return redirect("contacts:contact_list")


@login_required
def contact_history(request, pk: int):
    contact = selectors.contact_get(user=request.user, pk=pk)
    return render(
        request,
        "contacts/partials/history.html",
        {
            "record": contact,
            "entries": history.record_history(user=request.user, record=contact),
            "stage_changes": selectors.contact_stage_history(contact=contact),
        },
    )


@role_required(Permission.BULK_EDIT)
@require_POST
def contact_bulk(request):
    return bulk_action(request, CONTACTS, list_url="contacts:contact_list")


@role_required(Permission.EXPORT)
@require_http_methods(["GET", "POST"])
def contact_export(request):
    return export_action(request, CONTACTS)
