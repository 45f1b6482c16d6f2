"""The REST API (django-ninja) at /api/v1/: thin routers over selectors and actions."""
