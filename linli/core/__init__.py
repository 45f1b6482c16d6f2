"""Shared infrastructure below every domain app: environment, request context, module registry,
rate limits, error codes. Imports nothing from the domain apps."""
