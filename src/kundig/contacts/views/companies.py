"""Company list, forms, bulk actions, export and the company lookup for forms."""

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
from ..filters import CompanyFilter
from ..forms import (
    AddressFormSet,
    CompanyForm,
    address_rows,
    apply_service_errors,
)
from ..jobs.records import COMPANIES
from .common import bulk_action, export_action, in_background

PER_PAGE = 50


def _filterset(request, data=None) -> CompanyFilter:
    return CompanyFilter(
        request.GET if data is None else data,
        queryset=selectors.companies_visible_to(request.user),
        request=request,
    )


@login_required
def company_list(request):
    filterset = _filterset(request)
    page = None
    if filterset.is_valid():
        qs = selectors.company_list_prefetch(filterset.qs)
        page = paginate(qs, request.GET.get("page"), per_page=PER_PAGE)
    context = {
        "filterset": filterset,
        "page": page,
        "teams": Team.objects.all(),
        "tags": Tag.objects.all(),
        "owners": User.objects.filter(is_active=True),
        "querystring": request.GET.urlencode(),
        "has_filters": any(
            v for k, v in request.GET.items() if k not in ("page", "sort")
        ),
        **in_background(page),
    }
    if request.htmx and request.htmx.target == "company-results":
        return render(request, "contacts/company_list.html#results", context)
    return render(request, "contacts/company_list.html", context)


@login_required
def company_lookup(request):
    """JSON for the company picker in forms: id and label of matching companies."""
    query = request.GET.get("q", "").strip()[:100]
    results = []
    if len(query) >= 2:
        companies = selectors.company_quick_search(
            user=request.user, query=query, limit=10
        )
        results = [{"id": company.pk, "label": company.name} for company in companies]
    return JsonResponse({"results": results})


def _company_initial(company) -> dict:
    if company is None:
        return {}
    return {
        "name": company.name,
        "legal_form": company.legal_form,
        "vat_id": company.vat_id,
        "industry": company.industry,
        "size": company.size,
        "website": company.website,
        "email": company.email,
        "phone": company.phone,
        "owner": company.owner_id,
        "team": company.team_id,
        "tags": ", ".join(t.name for t in company.tags.all()),
        "external_id": company.external_id or "",
    }


def _company_form_view(request, company=None):
    if not request.user.has_role_permission(Permission.WRITE):
        raise PermissionDenied
    definitions = services.custom_definitions(
        CustomFieldEntity.COMPANY, user=request.user
    )
    form = CompanyForm(
        request.POST or None,
        initial=_company_initial(company),
        definitions=definitions,
        stored_custom=company.custom if company else None,
    )
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
        for a in (company.addresses.all() if company else [])
    ]
    addresses = AddressFormSet(
        request.POST if request.method == "POST" else None,
        prefix="addresses",
        initial=initial_addresses,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid() & addresses.is_valid():
            rows, used = address_rows(addresses)
            kwargs = {
                "actor": request.user,
                "fields": form.service_fields(),
                "addresses": rows,
                "tags": form.tag_names(),
                "custom": form.custom_values(),
            }
            try:
                if company is None:
                    saved = services.company_create(**kwargs)
                else:
                    saved = services.company_update(company=company, **kwargs)
            except ValidationError as exc:
                apply_service_errors(exc, form, {"addresses": (addresses, used)})
            else:
                messages.success(request, _("%(name)s was saved.") % {"name": saved})
                if (
                    not selectors.companies_visible_to(request.user)
                    .filter(pk=saved.pk)
                    .exists()
                ):
                    messages.info(
                        request,
                        _("It now belongs to someone whose records you do not see."),
                    )
                    return redirect("contacts:company_list")
                return redirect(saved.get_absolute_url())
        status = 422
    return render(
        request,
        "contacts/company_form.html",
        {"form": form, "formsets": {"addresses": addresses}, "company": company},
        status=status,
    )


@login_required
def company_create(request):
    return _company_form_view(request)


@login_required
def company_edit(request, pk: int):
    company = selectors.company_profile(user=request.user, pk=pk)
    return _company_form_view(request, company)


@login_required
@require_POST
def company_delete(request, pk: int):
    company = selectors.company_get(user=request.user, pk=pk)
    name = str(company)
    services.company_delete(actor=request.user, company=company)
    messages.success(request, _("%(name)s was deleted.") % {"name": name})
    return redirect("contacts:company_list")


@login_required
def company_history(request, pk: int):
    company = selectors.company_get(user=request.user, pk=pk)
    return render(
        request,
        "contacts/partials/history.html",
        {
            "record": company,
            "entries": history.record_history(user=request.user, record=company),
        },
    )


@role_required(Permission.BULK_EDIT)
@require_POST
def company_bulk(request):
    return bulk_action(request, COMPANIES, list_url="contacts:company_list")


@role_required(Permission.EXPORT)
@require_http_methods(["GET", "POST"])
def company_export(request):
    return export_action(request, COMPANIES)
