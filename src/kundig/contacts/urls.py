from django.urls import path

from .views import companies, contacts, imports, validate

app_name = "contacts"

urlpatterns = [
    path("search/", contacts.search, name="search"),
    path("contacts/", contacts.contact_list, name="contact_list"),
    path("contacts/new/", contacts.contact_create, name="contact_create"),
    path("contacts/lookup/", contacts.contact_lookup, name="contact_lookup"),
    path("contacts/bulk/", contacts.contact_bulk, name="contact_bulk"),
    path("contacts/export/", contacts.contact_export, name="contact_export"),
    path("contacts/<int:pk>/edit/", contacts.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/delete/", contacts.contact_delete, name="contact_delete"),
    path(
        "contacts/<int:pk>/history/", contacts.contact_history, name="contact_history"
    ),
    path("companies/", companies.company_list, name="company_list"),
    path("companies/new/", companies.company_create, name="company_create"),
    path("companies/lookup/", companies.company_lookup, name="company_lookup"),
    path("companies/bulk/", companies.company_bulk, name="company_bulk"),
    path("companies/export/", companies.company_export, name="company_export"),
    path("companies/<int:pk>/edit/", companies.company_edit, name="company_edit"),
    path("companies/<int:pk>/delete/", companies.company_delete, name="company_delete"),
    path(
        "companies/<int:pk>/history/", companies.company_history, name="company_history"
    ),
    path("validate/<slug:kind>/", validate.validate_field, name="validate_field"),
]

urlpatterns += [
    path("import/", imports.import_list, name="import_list"),
    path("import/new/", imports.import_new, name="import_new"),
    path("import/<int:pk>/", imports.import_detail, name="import_detail"),
    path("import/<int:pk>/map/", imports.import_map, name="import_map"),
    path("import/<int:pk>/start/", imports.import_start, name="import_start"),
    path("import/<int:pk>/cancel/", imports.import_cancel, name="import_cancel"),
    path("import/<int:pk>/delete/", imports.import_delete, name="import_delete"),
    path(
        "import/<int:pk>/failed-rows/",
        imports.import_failed_rows,
        name="import_failed_rows",
    ),
]
