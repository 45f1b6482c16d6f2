"""Every write to accounts (house rule 1), one module per concern, after Zulip's
``zerver/actions/``: ``sessions``, ``login``, ``staff``, ``residents``, ``tokens``, ``preferences``."""

from linli.accounts.actions.sessions import (
    do_end_other_sessions,
    do_end_session,
    do_logout_everywhere,
    do_start_session,
)

__all__ = ["do_end_other_sessions", "do_end_session", "do_logout_everywhere", "do_start_session"]
