"""``/accounts/tokens/``: API-token management for the system administrator."""

from django.urls import path

from linli.accounts.views import tokens

app_name = "api_tokens"
urlpatterns = [
    path("", tokens.token_list, name="list"),
    path("new/", tokens.token_issue, name="issue"),
    path("<int:token_id>/revoke/", tokens.token_revoke, name="revoke"),
]
