"""Demo-mode pages. ``/dev/authenticator/`` stands in for the authenticator app of the demo staff
accounts: it shows their current TOTP codes so a newcomer can sign in without a phone. It lists
only accounts recorded in ``DemoAccount`` and answers 404 unless ``DEMO_MODE`` is on (production
refuses demo mode on a non-loopback address)."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from linli.accounts.decorators import public
from linli.accounts.scoping import is_second_factor_verified
from linli.demo import selectors
from linli.demo.generator import DEMO_PASSWORD


def _require_demo_mode() -> None:
    if not settings.DEMO_MODE:
        raise Http404


@public
@require_GET
def authenticator(request: HttpRequest) -> HttpResponse:
    _require_demo_mode()
    user = request.user
    # In the middle of a staff sign-in (password given, code not yet): lead back to the code step,
    # not to the password step again.
    signing_in = user.is_authenticated and user.kind == "staff" and not is_second_factor_verified(user)
    context = {"codes": selectors.authenticator_codes(), "demo_password": DEMO_PASSWORD, "signing_in": signing_in}
    return render(request, "demo/authenticator.html", context)


@public
@require_GET
def authenticator_codes(request: HttpRequest) -> HttpResponse:
    """The table alone, fetched by htmx every 5 seconds."""
    _require_demo_mode()
    return render(request, "demo/_authenticator_codes.html", {"codes": selectors.authenticator_codes()})
