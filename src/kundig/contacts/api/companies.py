"""Companies in the JSON API: list, create, read, change, delete."""

from __future__ import annotations

from typing import Any

from django.db.models import prefetch_related_objects
from ninja import Field, Query, Router, Schema, Status

from kundig.core.choices import CustomFieldEntity
from kundig.core.customfields import definitions_for

from .. import selectors, services
from ..choices import CompanySize, LegalForm
from ..filters import COMPANY_SORTS, CompanyFilter
from .common import (
    Input,
    Moment,
    TeamKey,
    TeamOut,
    UserKey,
    UserOut,
    filter_or_400,
    keyset_page,
    plain,
    reject_unknown_params,
    team_out,
    user_out,
    visible_custom,
    web_url,
)
from .contacts import Address, ListParams, address_out, addresses_in

# --- Schemas --------------------------------------------------------------------------


class CompanyIn(Input):
    """A company to create or the parts of one to change."""

    name: str | None = None
    legal_form: LegalForm | None = None
    vat_id: str | None = Field(None, description="EU, GB, CH or NO VAT ID; checked.")
    industry: str | None = None
    size: CompanySize | None = None
    website: str | None = None
    email: str | None = Field(None, max_length=254)
    phone: str | None = None
    owner: UserKey = None
    team: TeamKey = None
    external_id: str | None = None
    addresses: list[Address] | None = None
    tags: list[str] | None = None
    custom: dict[str, Any] | None = None


class CompanyOut(Schema):
    id: int
    name: str
    legal_form: str
    vat_id: str
    industry: str
    size: str
    website: str
    email: str
    phone: str
    owner: UserOut | None
    team: TeamOut | None
    addresses: list[Address]
    tags: list[str]
    custom: dict[str, Any]
    external_id: str | None
    created_at: Moment
    updated_at: Moment
    url: str | None


class CompanyPage(Schema):
    results: list[CompanyOut]
    next: str | None


class CompanyListParams(ListParams):
    sort: str | None = Field(
        None,
        description="Order of the results, by id if left out: "
        + ", ".join(COMPANY_SORTS),
    )


def _company_out(company, definitions) -> dict:
    return {
        "id": company.pk,
        "name": company.name,
        "legal_form": company.legal_form,
        "vat_id": company.vat_id,
        "industry": company.industry,
        "size": company.size,
        "website": company.website,
        "email": company.email,
        "phone": company.phone,
        "owner": user_out(company.owner),
        "team": team_out(company.team),
        "addresses": [address_out(a) for a in company.addresses.all()],
        "tags": [tag.name for tag in company.tags.all()],
        "custom": visible_custom(company.custom, definitions),
        "external_id": company.external_id,
        "created_at": company.created_at,
        "updated_at": company.updated_at,
        "url": web_url(company),
    }


def _company_input(payload: CompanyIn) -> dict:
    data = payload.model_dump(exclude_unset=True)
    kwargs: dict = {
        "fields": {
            name: plain(data[name]) for name in services.COMPANY_FIELDS if name in data
        }
    }
    if "addresses" in data:
        kwargs["addresses"] = addresses_in(data["addresses"])
    if "tags" in data:
        kwargs["tags"] = data["tags"] or []
    if data.get("custom") is not None:
        kwargs["custom"] = data["custom"]
    return kwargs


# --- Endpoints ------------------------------------------------------------------------

companies_router = Router(tags=["Companies"])


def _company_after_write(company, user) -> dict:
    prefetch_related_objects([company], "owner", "team", "addresses", "tags")
    return _company_out(company, definitions_for(CustomFieldEntity.COMPANY, user=user))


@companies_router.get(
    "",
    response=CompanyPage,
    summary="List companies",
    operation_id="list_companies",
)
def list_companies(request, params: Query[CompanyListParams]):
    """Return the companies the caller may see, a page at a time.

    The filters are the company list's in the web UI; without `sort` the
    results come by id.
    """
    reject_unknown_params(request, CompanyListParams.model_fields)
    user = request.auth
    filterset = filter_or_400(
        CompanyFilter, request, selectors.companies_visible_to(user)
    )
    sort = filterset.form.cleaned_data.get("sort")
    rows, next_cursor = keyset_page(
        selectors.company_list_prefetch(filterset.qs),
        order=COMPANY_SORTS[sort] if sort else ("id",),
        cursor=params.cursor,
        size=params.page_size,
    )
    definitions = definitions_for(CustomFieldEntity.COMPANY, user=user)
    return {
        "results": [_company_out(company, definitions) for company in rows],
        "next": next_cursor,
    }


@companies_router.post(
    "",
    response={201: CompanyOut},
    summary="Create a company",
    operation_id="create_company",
)
def create_company(request, payload: CompanyIn):
    """Create a company. It needs a name; a VAT ID and phone number are checked."""
    company = services.company_create(actor=request.auth, **_company_input(payload))
    return Status(201, _company_after_write(company, request.auth))


@companies_router.get(
    "/{int:company_id}",
    response=CompanyOut,
    summary="Get a company",
    operation_id="get_company",
)
def get_company(request, company_id: int):
    """Return one company; 404 if it does not exist or the caller may not see it."""
    company = selectors.company_profile(user=request.auth, pk=company_id)
    return _company_out(
        company, definitions_for(CustomFieldEntity.COMPANY, user=request.auth)
    )


@companies_router.patch(
    "/{int:company_id}",
    response=CompanyOut,
    summary="Change a company",
    operation_id="update_company",
)
def update_company(request, company_id: int, payload: CompanyIn):
    """Change the fields sent; lists replace, `custom` changes the keys it names."""
    company = selectors.company_get(user=request.auth, pk=company_id)
    company = services.company_update(
        actor=request.auth, company=company, **_company_input(payload)
    )
    return _company_after_write(company, request.auth)


@companies_router.delete(
    "/{int:company_id}",
    response={204: None},
    summary="Delete a company",
    operation_id="delete_company",
)
def delete_company(request, company_id: int):
    """Delete a company; its contacts stay. Needs the delete permission."""
    company = selectors.company_get(user=request.auth, pk=company_id)
    services.company_delete(actor=request.auth, company=company)
    return Status(204, None)
