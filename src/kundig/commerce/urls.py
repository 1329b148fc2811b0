from django.urls import path

from . import views

app_name = "commerce"

urlpatterns = [
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("orders/<int:pk>/reassign/", views.order_reassign, name="order_reassign"),
    path("orders/import/", views.order_import, name="order_import"),
]
