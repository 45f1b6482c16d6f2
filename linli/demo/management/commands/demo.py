"""``linli demo --scale small|street [--seed N]``: load the demo street once, then print how to sign
in. Running it again only prints the accounts (``make run`` calls it on every start)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from linli.core import context
from linli.demo import console, selectors
from linli.demo.actions import DemoRefused, do_load_demo
from linli.demo.generator import DEFAULT_SEED, SCALES


def summary(counts: dict[str, int]) -> str:
    areas = ", ".join(
        f"{counts[key]:,} {plural}"
        for key, plural in (
            ("community", "communities"),
            ("grid", "grids"),
            ("estate", "estates"),
            ("building", "buildings"),
            ("unit", "units"),
            ("dwelling", "dwellings"),
        )
    )
    return (
        f"1 district, 1 street, {areas}; {counts['departments']} departments; "
        f"{counts['staff_accounts']} staff and {counts['resident_accounts']:,} resident accounts "
        f"({counts['pending_links']} awaiting verification)"
    )


class Command(BaseCommand):
    help = "Load the demo street (fictional data, fixed seed) once and print the demo accounts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=sorted(SCALES), default="small", help="small: 5 communities; street: 25")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")

    def handle(self, *args: Any, **options: Any) -> None:
        scale, seed = options["scale"], options["seed"]
        with context.bind(context.RequestContext(source="command")):
            try:
                result = do_load_demo(scale=scale, seed=seed)
            except DemoRefused as error:
                if error.code == "demo_off":
                    raise CommandError(str(error.message)) from error
                self.stderr.write(f"Not loading the demo street: {error.message}")
                return
        dataset = result.dataset
        if result.created:
            self.stdout.write(self.style.SUCCESS(f"Loaded the demo street in {result.seconds:.1f} s:"))
            self.stdout.write(f"  {summary(dataset.counts)}")
        elif (dataset.scale, dataset.seed) != (scale, seed):
            self.stdout.write(
                self.style.WARNING(
                    f"A demo street with scale {dataset.scale} and seed {dataset.seed} is already loaded; "
                    f"not loading scale {scale} with seed {seed}. For another one, start from a fresh data "
                    "folder (LINLI_DATA_DIR) or database."
                )
            )
        else:
            self.stdout.write("The demo street is already loaded.")
        self.stdout.write("")
        self.stdout.write(console.sign_in_guide(dataset, selectors.demo_accounts()))
