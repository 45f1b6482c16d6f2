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
    path("api/v1/", include("linli.api.urls")),
]
