"""Response headers that keep browsers from misreading the collector's answers.

* ``X-Content-Type-Options: nosniff`` on every response (`agenttrace.server._web_guard`
  adds it): a JSON answer is never run as a script or rendered as HTML.
* `CONTENT_SECURITY_POLICY` on every HTML page (the dashboard, ``/docs``): scripts,
  styles and connections from the collector's own origin only, no inline scripts, no
  framing. The dashboard keeps the API key in the origin's ``localStorage``, so nothing
  from another origin may ever run there.
"""

from __future__ import annotations

__all__ = ["CONTENT_SECURITY_POLICY", "NOSNIFF"]

NOSNIFF = ("X-Content-Type-Options", "nosniff")
"""The header (name, value) that tells browsers to trust the declared content type."""

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
"""The Content-Security-Policy of the collector's HTML pages."""
