"""Graph error answers and network failures classified into the typed errors of channels.base."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from channels.base import ChannelBroken, ChannelError, Permanent, RateLimited, Transient, Unknown
from channels.fanpage.usage import regain_seconds, throttle_seconds

# App and user limits are rolling one-hour windows that recover gradually; Page and
# business-use-case limits recover slower, and a policy block lasts hours.
APP_LIMIT_RETRY = 600.0
PAGE_LIMIT_RETRY = 3600.0
POLICY_BLOCK_RETRY = 6 * 3600.0

_TOKEN_IN_TEXT = re.compile(r"(access_token|input_token)=[^&\s\"']+")
_TOKEN_REASONS = {
    458: "người dùng đã gỡ ứng dụng khỏi tài khoản",
    459: "tài khoản quản trị đang bị Facebook tạm khoá (checkpoint)",
    460: "mật khẩu tài khoản quản trị đã thay đổi",
    463: "mã truy cập đã hết hạn",
    464: "tài khoản quản trị chưa được xác minh",
    467: "mã truy cập đã bị vô hiệu (tài khoản đã đăng xuất)",
    492: "tài khoản cấp mã không còn vai trò quản trị trên Trang",
}


def _redact(text: str) -> str:
    return _TOKEN_IN_TEXT.sub(r"\1=***", text)


def _ambiguous(method: str, what: str, **kwargs: Any) -> ChannelError:
    """Transient when repeating is harmless; Unknown for a POST that may have taken effect."""
    if method == "POST":
        return Unknown(
            f"Không rõ Facebook đã đăng bài hay chưa ({what}); cần đối chiếu trước khi đăng lại.",
            **kwargs,
        )
    return Transient(f"Facebook tạm thời không trả lời được ({what}); sẽ thử lại.", **kwargs)


def classify_error(
    status: int, payload: Any, headers: Mapping[str, str], *, method: str, excerpt: str = ""
) -> ChannelError:
    """The typed error for a Graph error answer (see the module's table)."""
    error = payload.get("error") if isinstance(payload, Mapping) else None
    if not isinstance(error, Mapping):
        if status >= 500 or status < 400:
            return _ambiguous(method, f"HTTP {status}", excerpt=excerpt, code=str(status))
        return Permanent(f"Facebook từ chối yêu cầu (HTTP {status}).", excerpt=excerpt)
    code = error.get("code") if isinstance(error.get("code"), int) else -1
    subcode = error.get("error_subcode") if isinstance(error.get("error_subcode"), int) else None
    code_text = f"{code}/{subcode}" if subcode else str(code)
    graph_text = str(error.get("message") or "")
    if error.get("error_user_msg"):
        graph_text += f" — {error.get('error_user_title') or ''} {error['error_user_msg']}".rstrip()
    kwargs: dict[str, Any] = {"excerpt": excerpt, "code": code_text}

    def text(reason: str) -> str:
        return f"{reason} [Facebook {code_text}: {graph_text}]"

    if code in (4, 17, 32, 613) or 80000 <= code <= 80014:
        default = APP_LIMIT_RETRY if code in (4, 17) else PAGE_LIMIT_RETRY
        regain = regain_seconds(headers)
        wait = regain if regain > 0 else max(default, throttle_seconds(headers))
        minutes = max(1, round(wait / 60))
        reason = f"Facebook giới hạn số lần gọi; tạm dừng khoảng {minutes} phút rồi thử lại."
        return RateLimited(text(reason), retry_after=wait, **kwargs)
    if code == 368:
        reason = (
            "Trang đang bị Facebook tạm chặn đăng bài vì cho là vi phạm chính sách; "
            f"tạm dừng kênh khoảng {round(POLICY_BLOCK_RETRY / 3600)} giờ."
        )
        return RateLimited(text(reason), retry_after=POLICY_BLOCK_RETRY, **kwargs)
    if code in (102, 190):
        why = _TOKEN_REASONS.get(subcode or 0, "mã truy cập không hợp lệ")
        return ChannelBroken(
            text(f"Mã truy cập của Trang không dùng được: {why}; cần cấp lại quyền."), **kwargs
        )
    if code == 10 or 200 <= code <= 299:
        reason = "Ứng dụng thiếu quyền đăng hoặc đọc bài trên Trang; cần cấp lại quyền."
        return ChannelBroken(text(reason), **kwargs)
    if code == 100 and "appsecret_proof" in graph_text:
        reason = (
            "Khoá bí mật ứng dụng (app secret) không khớp với mã truy cập; cần sửa cấu hình kênh."
        )
        return ChannelBroken(text(reason), **kwargs)
    if code == 100 and subcode == 33:
        return Permanent(
            text("Bài viết hoặc Trang không tồn tại hoặc không truy cập được."), **kwargs
        )
    if code == 506:
        return Permanent(text("Facebook từ chối vì trùng nội dung với bài vừa đăng."), **kwargs)
    if code == 104:
        return Permanent(text("Yêu cầu thiếu mã truy cập."), **kwargs)
    if code == 324 or subcode == 1366046:
        return Permanent(text("Ảnh không hợp lệ: cần JPEG hoặc PNG dưới 4 MB."), **kwargs)
    if code in (1, 2) or error.get("is_transient") is True or status >= 500:
        return _ambiguous(method, f"lỗi {code_text}: {graph_text}", **kwargs)
    return Permanent(text("Facebook từ chối yêu cầu."), **kwargs)
