from django.urls import path

from . import views

app_name = "social"

urlpatterns = [
    path("hooks/social/<slug:slug>/", views.intake, name="intake"),
    path("integrations/social/", views.source_list, name="source_list"),
    path("integrations/social/new/", views.source_edit, name="source_create"),
    path("integrations/social/<int:pk>/", views.source_edit, name="source_edit"),
    path("integrations/social/<int:pk>/poll/", views.source_poll, name="source_poll"),
]
