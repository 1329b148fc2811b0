from django.urls import path

from . import views

app_name = "commerce"

urlpatterns = [
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("orders/<int:pk>/reassign/", views.order_reassign, name="order_reassign"),
    path("orders/import/", views.order_import, name="order_import"),
    path("orders/<int:pk>/return/", views.return_announce, name="return_announce"),
    path("returns/<int:pk>/step/", views.return_step, name="return_step"),
]
