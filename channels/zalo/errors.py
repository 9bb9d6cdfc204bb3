"""Zalo OpenAPI answers and network failures classified into the typed errors of channels.base.

Zalo answers HTTP 200 with a negative ``error`` and a ``message``; only gateways give 5xx.
"""

from __future__ import annotations

import re
from typing import Any

from channels.base import ChannelBroken, ChannelError, Permanent, RateLimited, Transient, Unknown

# -32 is a per-minute application limit (no retry-after is given); -211 "out of quota" has
# no documented period, so the channel rests an hour and the attempt is kept.
MINUTE_LIMIT_RETRY = 60.0
QUOTA_RETRY = 3600.0

TOKEN_CODES = frozenset({-216, -220, -124})
CONFIG_CODES = {
    -219: "ứng dụng Zalo đã bị gỡ hoặc vô hiệu hoá",
    -223: "OA chưa cấp quyền cho ứng dụng dùng API này",
    -209: "API này không được hỗ trợ cho ứng dụng",
    -212: "ứng dụng chưa đăng ký API này",
    -221: "OA chưa được xác thực",
    -224: "gói dịch vụ (tier) của OA không có tính năng bài viết",
    -204: "OA đã bị vô hiệu hoá",
    -205: "OA không tồn tại",
    -242: "appsecret_proof không đúng (khoá bí mật ứng dụng sai)",
}
BAD_REQUEST_CODES = {
    -201: "tham số không hợp lệ",
    -210: "tham số vượt giới hạn cho phép",
    -248: "nội dung vi phạm tiêu chuẩn của nền tảng",
}
PROCESSING = -214
NIGHT_BROADCAST = -234

REAUTHORISE = (
    "Quản trị viên OA cần cấp quyền lại cho ứng dụng (developers.zalo.me → ứng dụng → "
    "Official Account → cấp quyền), rồi nhập mã truy cập và mã làm mới (refresh token) mới "
    "vào cấu hình kênh."
)

_SECRET_IN_TEXT = re.compile(
    r"(\"?(?:access_token|refresh_token|secret_key|app_secret)\"?\s*[:=]\s*\"?)[^\"&\s,}]+"
)


def redact(text: str) -> str:
    """Hide token-looking values in text we store or show."""
    return _SECRET_IN_TEXT.sub(r"\1***", text)


def classify(code: int, message: str, *, excerpt: str = "") -> ChannelError:
    """The typed error for a negative ``error`` (see the README's table)."""
    kwargs: dict[str, Any] = {"excerpt": excerpt, "code": str(code)}

    def text(reason: str) -> str:
        return f"{reason} [Zalo {code}: {message}]"

    if code in TOKEN_CODES:
        return ChannelBroken(text("Mã truy cập Zalo không dùng được. " + REAUTHORISE), **kwargs)
    if code in CONFIG_CODES:
        return ChannelBroken(text(f"Kênh Zalo cần cấu hình lại: {CONFIG_CODES[code]}."), **kwargs)
    if code == -32:
        return RateLimited(
            text("Zalo giới hạn số lần gọi mỗi phút; tạm nghỉ 1 phút rồi thử lại."),
            retry_after=MINUTE_LIMIT_RETRY,
            **kwargs,
        )
    if code == -211:
        return RateLimited(
            text("OA đã hết hạn mức gọi API; tạm nghỉ 1 giờ rồi thử lại, giữ nguyên lượt gửi."),
            retry_after=QUOTA_RETRY,
            **kwargs,
        )
    if code == PROCESSING:
        return Transient(text("Zalo đang xử lý bài viết."), **kwargs)
    if code in BAD_REQUEST_CODES:
        return Permanent(text(f"Zalo từ chối bài viết: {BAD_REQUEST_CODES[code]}."), **kwargs)
    if code == NIGHT_BROADCAST:
        return Permanent(text("Zalo không gửi tin quảng bá vào ban đêm (22:00–06:00)."), **kwargs)
    return Permanent(text("Zalo từ chối yêu cầu."), **kwargs)


def ambiguous(unsure_is_unknown: bool, what: str, **kwargs: Any) -> ChannelError:
    """Unknown for a call that may have taken effect (create, broadcast); Transient otherwise."""
    if unsure_is_unknown:
        return Unknown(
            f"Không rõ Zalo đã nhận yêu cầu hay chưa ({what}); cần đối chiếu trước khi gửi lại.",
            **kwargs,
        )
    return Transient(f"Zalo tạm thời không trả lời được ({what}); sẽ thử lại.", **kwargs)
