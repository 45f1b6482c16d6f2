"""URL map. Each app owns its ``urls.py``; every view declares a permission rule (see the URL
sweep test in ``linli/web/tests/test_url_sweep.py``)."""

from django.urls import include, path

urlpatterns = [
    path("", include("linli.web.urls")),
    path("accounts/", include("linli.accounts.urls")),
    path("accounts/tokens/", include("linli.accounts.urls_tokens")),
    path("dev/sms/", include("linli.notify.urls_demo")),
    path("dev/", include("linli.demo.urls")),
    path("residents/", include("linli.accounts.urls_residents")),
    path("areas/", include("linli.areas.urls")),
    path("audit/", include("linli.audit.urls")),
    path("notifications/", include("linli.notify.urls")),
    path("privacy/", include("linli.privacy.urls")),
    path("notices/", include("linli.notices.urls")),
    path("api/v1/", include("linli.api.urls")),
]

handler400 = "linli.web.errors.bad_request"
handler403 = "linli.web.errors.permission_denied"
handler404 = "linli.web.errors.page_not_found"
handler500 = "linli.web.errors.server_error"
