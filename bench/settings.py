"""Settings for benchmark servers: Linli's settings plus a bare "hello" view on the same server,
middleware and database, used as the B1 baseline."""

from linli.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
DEBUG = False
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"handlers": [], "level": "ERROR"}}
