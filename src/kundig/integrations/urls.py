from django.urls import path

from . import views

app_name = "integrations"

urlpatterns = [
    path("hooks/shop/<str:key>/", views.shop_webhook, name="shop_webhook"),
    path("integrations/deliveries/", views.delivery_list, name="delivery_list"),
    path(
        "integrations/deliveries/<int:pk>/",
        views.delivery_detail,
        name="delivery_detail",
    ),
    path(
        "integrations/deliveries/<int:pk>/replay/",
        views.delivery_replay,
        name="delivery_replay",
    ),
    path(
        "integrations/shops/<int:pk>/import/",
        views.shop_sync_start,
        name="shop_sync_start",
    ),
]
