from django.urls import path

from . import views

app_name = "automation"

urlpatterns = [
    path("playbooks/", views.playbook_list, name="playbook_list"),
    path("playbooks/new/", views.playbook_edit, name="playbook_create"),
    path("playbooks/<int:pk>/", views.playbook_detail, name="playbook_detail"),
    path("playbooks/<int:pk>/edit/", views.playbook_edit, name="playbook_edit"),
    path(
        "playbooks/<int:pk>/active/",
        views.playbook_set_active,
        name="playbook_set_active",
    ),
    path(
        "playbooks/<int:pk>/dry-run/", views.playbook_dry_run, name="playbook_dry_run"
    ),
    path("playbooks/scans/", views.scan_settings, name="scan_settings"),
    path("playbooks/runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("playbooks/runs/<int:pk>/stop/", views.run_stop, name="run_stop"),
    path("playbooks/runs/<int:pk>/continue/", views.run_continue, name="run_continue"),
]
