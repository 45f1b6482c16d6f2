"""Append-only, hash-chained audit events (SECURITY.md C1–C6)."""
