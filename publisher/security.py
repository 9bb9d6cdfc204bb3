"""Browser-facing protections shared by the editor UI and the operator pages.

CSRF: one random token per session, kept in the (signed) session cookie and echoed by every
form as a hidden ``csrf_token`` field (or an ``X-CSRF-Token`` header for scripts). A request
that changes state without the session's token is refused with 400. Why a synchronizer token
and not SameSite alone: SameSite=Lax does not cover same-site subdomains or older browsers on
the cheap phones commune operators use.

Security headers: a strict content security policy (everything from this origin, nothing
inline), no framing, no sniffing, no referrer to other sites.
"""

from __future__ import annotations

import hmac
import secrets

from flask import Response, request, session
from werkzeug.exceptions import BadRequest

CSRF_SESSION_KEY = "_csrf"
# The only thing about the person the session cookie carries: the random id of a session
# kept on the server (publisher.auth.sessions). Signing it proves nothing on its own.
SESSION_ID_KEY = "sid"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class CsrfRefused(BadRequest):
    """The form did not carry this session's token (expired session, or a forged request)."""

    description = (
        "Biểu mẫu đã hết hạn hoặc không hợp lệ. Hãy tải lại trang rồi thử lại. "
        "/ The form's security token is missing or wrong."
    )


def csrf_token() -> str:
    """This session's CSRF token, created on first use."""
    token = session.get(CSRF_SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[CSRF_SESSION_KEY] = token
    return token


def check_csrf() -> None:
    """Raise :class:`CsrfRefused` (400) when a state-changing request lacks the session's token."""
    if request.method in SAFE_METHODS:
        return
    expected = session.get(CSRF_SESSION_KEY)
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    if not isinstance(expected, str) or not expected or not sent:
        raise CsrfRefused()
    if not hmac.compare_digest(expected.encode(), sent.encode()):
        raise CsrfRefused()


def apply_security_headers(response: Response) -> Response:
    """Add the security headers to HTML answers (a header a view set itself is kept)."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.mimetype == "text/html":
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
    return response
