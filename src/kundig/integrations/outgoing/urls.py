from django.urls import path

from . import views

app_name = "outgoing_webhooks"

urlpatterns = [
    path(
        "integrations/outgoing/",
        views.subscription_list,
        name="subscription_list",
    ),
    path(
        "integrations/outgoing/new/",
        views.subscription_edit,
        name="subscription_create",
    ),
    path(
        "integrations/outgoing/<int:pk>/",
        views.subscription_detail,
        name="subscription_detail",
    ),
    path(
        "integrations/outgoing/<int:pk>/edit/",
        views.subscription_edit,
        name="subscription_edit",
    ),
    path(
        "integrations/outgoing/<int:pk>/deactivate/",
        views.subscription_set_active,
        {"active": False},
        name="subscription_deactivate",
    ),
    path(
        "integrations/outgoing/<int:pk>/activate/",
        views.subscription_set_active,
        {"active": True},
        name="subscription_activate",
    ),
    path(
        "integrations/outgoing/<int:pk>/test/",
        views.subscription_test,
        name="subscription_test",
    ),
    path(
        "integrations/outgoing/deliveries/<int:pk>/retry/",
        views.delivery_retry,
        name="delivery_retry",
    ),
]
