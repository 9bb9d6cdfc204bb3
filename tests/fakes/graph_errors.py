"""Graph API errors as the emulator answers them: the JSON shape, HTTP status and usual texts."""

from __future__ import annotations

import secrets
from collections.abc import Mapping

# The texts Graph sends for the codes the adapter distinguishes, so injected errors look real.
DEFAULT_MESSAGES: dict[int, str] = {
    1: "An unknown error occurred",
    2: "An unexpected error has occurred. Please retry your request later.",
    4: "(#4) Application request limit reached",
    10: "(#10) Application does not have permission for this action",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    100: "(#100) Invalid parameter",
    102: "Session key invalid or no longer valid",
    104: "An access token is required to request this resource.",
    190: "Invalid OAuth access token - Cannot parse access token",
    200: "(#200) Permissions error",
    324: "(#324) Requires upload file",
    368: "The action attempted has been deemed abusive or is otherwise disallowed",
    506: "(#506) Duplicate status message",
    613: "(#613) Calls to this api have exceeded the rate limit.",
    80001: "(#80001) There have been too many calls to this Page account. "
    "Wait a bit and try again.",
}

TOKEN_MESSAGES: dict[int | None, str] = {
    None: "Error validating access token: The session is invalid.",
    458: "Error validating access token: The user has not authorized application.",
    459: "Error validating access token: You cannot access the app till you log in to "
    "www.facebook.com and follow the instructions given.",
    460: "Error validating access token: The session has been invalidated because the user "
    "changed their password or Facebook has changed the session for security reasons.",
    463: "Error validating access token: Session has expired.",
    464: "Error validating access token: Sessions for the user are not allowed because the "
    "user is not a confirmed user.",
    467: "Error validating access token: The session is invalid because the user logged out.",
    492: "Error validating access token: The user is not an admin, editor, or moderator of "
    "the page.",
}


def default_status(code: int) -> int:
    """The HTTP status Graph uses for an error code."""
    if code == 1:
        return 500
    if code == 2:
        return 503
    if 200 <= code <= 299 or code == 10:
        return 403
    return 400


class GraphError(Exception):
    """An error answer: raised inside the emulator, rendered as Graph's JSON."""

    def __init__(
        self,
        code: int,
        message: str | None = None,
        *,
        subcode: int | None = None,
        http_status: int | None = None,
        error_type: str = "OAuthException",
        user_title: str | None = None,
        user_msg: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.code = code
        self.message = message or DEFAULT_MESSAGES.get(code, f"(#{code}) Error")
        super().__init__(self.message)
        self.subcode = subcode
        self.http_status = http_status or default_status(code)
        self.error_type = error_type
        self.user_title = user_title
        self.user_msg = user_msg
        self.headers = dict(headers or {})

    def body(self) -> dict:
        error: dict = {"message": self.message, "type": self.error_type, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.code in (1, 2):
            error["is_transient"] = True
        if self.user_title:
            error["error_user_title"] = self.user_title
        if self.user_msg:
            error["error_user_msg"] = self.user_msg
        error["fbtrace_id"] = secrets.token_urlsafe(8)
        return {"error": error}


def token_error(subcode: int | None) -> GraphError:
    """Graph's answer to a call with an invalidated token."""
    return GraphError(190, TOKEN_MESSAGES.get(subcode, TOKEN_MESSAGES[None]), subcode=subcode)
