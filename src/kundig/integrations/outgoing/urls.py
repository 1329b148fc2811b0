from django.urls import path  # noqa: F401

app_name = "outgoing_webhooks"

urlpatterns: list = []
