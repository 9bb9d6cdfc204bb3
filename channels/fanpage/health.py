"""Judging a ``debug_token`` answer: is the Page token usable, and for how long."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from channels.base import HealthReport

EXPIRY_WARNING_DAYS = 7
REQUIRED_SCOPES = ("pages_manage_posts", "pages_read_engagement")
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _when(value: Any) -> datetime | None:
    """A Graph unix time as an aware UTC datetime; None for 0 (never) or junk."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return datetime.fromtimestamp(value, UTC)
    return None


def _expiry_reason(what: str, moment: datetime, now: datetime) -> str | None:
    left = moment - now
    local = moment.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M")
    if left.total_seconds() <= 0:
        return f"{what} đã hết hạn lúc {local}; cần cấp lại quyền."
    if left.days < EXPIRY_WARNING_DAYS:
        span = f"{left.days} ngày" if left.days >= 1 else "chưa đầy 1 ngày"
        return f"{what} sẽ hết hạn sau {span} (lúc {local}); cần cấp lại quyền trước hạn."
    return None


def _health_from(data: Mapping[str, Any], page_id: str, now: datetime) -> HealthReport:
    """Judge a ``debug_token`` answer for the Page we post to."""
    scopes = [str(s) for s in data.get("scopes") or []]
    expires = _when(data.get("expires_at"))
    data_expires = _when(data.get("data_access_expires_at"))
    soonest = min((m for m in (expires, data_expires) if m is not None), default=None)
    error = data.get("error") if isinstance(data.get("error"), Mapping) else {}
    details = {
        "is_valid": bool(data.get("is_valid")),
        "type": data.get("type"),
        "profile_id": data.get("profile_id"),
        "app_id": data.get("app_id"),
        "scopes": scopes,
        "expires_at": expires.isoformat() if expires else None,
        "data_access_expires_at": data_expires.isoformat() if data_expires else None,
        "error": error.get("message"),
    }
    reasons: list[str] = []
    if not data.get("is_valid"):
        why = f" ({error['message']})" if error.get("message") else ""
        reasons.append(f"Mã truy cập không hợp lệ hoặc đã bị thu hồi{why}; cần cấp lại quyền.")
    else:
        kind = data.get("type")
        if kind and kind != "PAGE":
            reasons.append(f"Đây không phải mã truy cập của Trang (loại {kind}).")
        profile = str(data.get("profile_id") or "")
        if profile != page_id:
            reasons.append(
                f"Mã truy cập thuộc Trang {profile or 'không rõ'}, không phải Trang {page_id} "
                "đã cấu hình."
            )
        missing = [s for s in REQUIRED_SCOPES if s not in scopes]
        if missing:
            reasons.append(f"Mã truy cập thiếu quyền {', '.join(missing)}; cần cấp lại quyền.")
        warnings: list[str] = []
        for what, moment in (("Mã truy cập", expires), ("Quyền truy cập dữ liệu", data_expires)):
            reason = _expiry_reason(what, moment, now) if moment else None
            if reason and moment is not None and moment <= now:
                reasons.append(reason)
            elif reason:
                warnings.append(reason)
        if warnings and not reasons:
            # Still valid: flag it loudly, but keep posting until the day it lapses.
            note = " Trang vẫn đăng bình thường cho đến khi hết hạn."
            return HealthReport("expiring", " ".join(warnings) + note, soonest, details)
        reasons.extend(warnings)
    if reasons:
        return HealthReport("needs_attention", " ".join(reasons), soonest, details)
    return HealthReport("ok", "", soonest, details)
