"""Account views, one module per concern: ``login`` (sign-in flows), ``account`` (own account)."""
