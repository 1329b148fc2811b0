from django.urls import path

from . import views

app_name = "ops"

urlpatterns = [
    path("mail-catcher/", views.caught_mail_list, name="caught_mail_list"),
    path("mail-catcher/<str:key>/", views.caught_mail_detail, name="caught_mail_detail"),  # noqa: E501
    path("mail-catcher/<str:key>/html/", views.caught_mail_html, name="caught_mail_html"),  # noqa: E501
    path("mail-catcher/<str:key>/raw/", views.caught_mail_raw, name="caught_mail_raw"),
    path("mail-catcher/<str:key>/reply/", views.caught_mail_reply, name="caught_mail_reply"),  # noqa: E501
]  # fmt: skip
