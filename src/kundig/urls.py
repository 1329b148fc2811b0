from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from kundig.api.api import api

# The admin signs in through allauth too: two-factor and rate limits apply.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", include("kundig.activity.urls")),
    path("", include("kundig.contacts.urls")),
    path("", include("kundig.core.urls")),
    path("", include("kundig.commerce.urls")),
    path("", include("kundig.integrations.urls")),
    path("", include("kundig.integrations.outgoing.urls")),
    path("", include("kundig.integrations.social.urls")),
    path("", include("kundig.messaging.urls")),
    path("", include("kundig.privacy.urls")),
    path("", include("kundig.service.urls")),
    path("", include("kundig.automation.urls")),
    path("", include("kundig.ops.urls")),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
