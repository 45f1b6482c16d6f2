"""``linli create_administrator USERNAME --name … --role … --area-code …``: bring in the first
administrator of a fresh installation (there are no default accounts, SECURITY.md A1), or recover
when every holder of an administrator role has been disabled."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from linli.accounts.actions.enrolment import enrolment_path, issue_for_operator, link_hours
from linli.accounts.actions.staff import do_create_first_administrator
from linli.areas.models import Area
from linli.core import context
from linli.core.errors import LinliError


class Command(BaseCommand):
    help = "Create an administrator account (first run or recovery)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", required=True)
        parser.add_argument("--role", required=True, choices=["system_admin", "security_admin", "audit_admin"])
        parser.add_argument("--area-code", required=True, help="code of the district or street")
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        area = Area.objects.filter(code=options["area_code"], kind__lte=2).order_by("kind").first()
        if area is None:
            raise CommandError(f"no district or street has the code {options['area_code']!r}")
        password = os.environ.get("LINLI_INITIAL_PASSWORD") or getpass.getpass("Initial password: ")
        try:
            with context.bind(context.RequestContext(source="command")):
                account = do_create_first_administrator(
                    username=options["username"],
                    display_name=options["name"],
                    password=password,
                    role=options["role"],
                    area=area,
                    email=options["email"],
                )
                token = issue_for_operator(account)
        except LinliError as error:
            raise CommandError(str(error.message)) from error
        self.stdout.write("Created. Give the administrator this one-time enrolment link (open it on this site,")
        self.stdout.write(f"then sign in; it expires in {link_hours()} hours): {enrolment_path(token)}")
        self.stdout.write("At first sign-in, enrol the authenticator app and choose a new password.")
