from django.urls import path

from . import views

app_name = "messaging"

urlpatterns = [
    path("messaging/", views.message_list, name="message_list"),
    path("messaging/messages/<int:pk>/", views.message_detail, name="message_detail"),
    path(
        "messaging/messages/<int:pk>/retry/", views.message_retry, name="message_retry"
    ),
    path("messaging/templates/", views.template_list, name="template_list"),
    path("messaging/templates/new/", views.template_edit, name="template_create"),
    path(
        "messaging/templates/<int:pk>/", views.template_detail, name="template_detail"
    ),
    path(
        "messaging/templates/<int:pk>/edit/", views.template_edit, name="template_edit"
    ),
    path("messaging/mailboxes/", views.mailbox_list, name="mailbox_list"),
    path("messaging/mailboxes/new/", views.mailbox_edit, name="mailbox_create"),
    path("messaging/mailboxes/<int:pk>/", views.mailbox_edit, name="mailbox_edit"),
    path(
        "messaging/mailboxes/<int:pk>/test/", views.mailbox_check, name="mailbox_test"
    ),
    path("messaging/inbox/", views.inbound_list, name="inbound_list"),
    path("messaging/inbox/<int:pk>/", views.inbound_detail, name="inbound_detail"),
    path(
        "messaging/inbox/<int:pk>/attachments/<int:attachment_pk>/",
        views.inbound_attachment,
        name="inbound_attachment",
    ),
    path("messaging/contacts/<int:pk>/mail/", views.contact_mail, name="contact_mail"),
    path(
        "messaging/contacts/<int:pk>/write/",
        views.contact_write,
        name="contact_write",
    ),
]
