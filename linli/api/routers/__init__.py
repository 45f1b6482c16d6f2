"""One router module per domain app; each is thin: parse, call one selector or action, render."""
