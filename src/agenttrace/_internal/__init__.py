"""agenttrace's implementation. Nothing here is public API: import from `agenttrace`."""
