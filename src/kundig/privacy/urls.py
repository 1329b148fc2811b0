from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("newsletter/", views.signup, name="signup"),
    path("privacy/confirm/<str:token>/", views.confirm, name="confirm"),
    path("privacy/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("privacy/texts/", views.consent_texts, name="texts"),
    path(
        "privacy/contacts/<int:pk>/consents/",
        views.contact_ledger,
        name="contact_ledger",
    ),
    path(
        "privacy/contacts/<int:pk>/consents/add/",
        views.consent_add,
        name="consent_add",
    ),
]
