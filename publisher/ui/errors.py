"""Vietnamese error pages for people in a browser (the API keeps problem+json)."""

from __future__ import annotations

import logging

from flask import Response, render_template
from werkzeug.exceptions import HTTPException, InternalServerError, default_exceptions

from publisher.db import db
from publisher.ui.formatting import has_vietnamese, vietnamese_part

log = logging.getLogger(__name__)

TITLES = {
    400: "Yêu cầu không hợp lệ",
    401: "Cần đăng nhập",
    403: "Bạn không có quyền truy cập trang này",
    404: "Không tìm thấy trang",
    405: "Thao tác không được hỗ trợ",
    409: "Dữ liệu vừa thay đổi",
    413: "Tệp gửi lên quá lớn",
    422: "Dữ liệu không hợp lệ",
    429: "Quá nhiều lần thử",
    500: "Lỗi hệ thống",
    503: "Dịch vụ tạm thời gián đoạn",
}
MESSAGES = {
    400: "Trình duyệt gửi một yêu cầu máy chủ không hiểu được. Hãy tải lại trang và thử lại.",
    401: "Hãy đăng nhập để tiếp tục.",
    403: "Tài khoản của bạn không được giao việc này. Nếu cần, hãy liên hệ quản trị viên.",
    404: "Địa chỉ này không tồn tại hoặc nội dung đã bị xoá.",
    405: "Trang này không nhận thao tác vừa gửi.",
    409: "Dữ liệu đã được người khác thay đổi. Hãy tải lại trang.",
    413: "Tệp quá lớn. Ảnh áp phích tối đa 10 MB.",
    422: "Một số trường chưa đúng. Hãy kiểm tra lại.",
    429: "Bạn đã thử quá nhiều lần. Hãy đợi vài phút rồi thử lại.",
    500: "Đã có lỗi ngoài ý muốn. Thao tác chưa được thực hiện; hãy thử lại sau ít phút.",
    503: "Dịch vụ đang bảo trì hoặc quá tải. Hãy thử lại sau ít phút.",
}


def render_error(error: HTTPException) -> Response:
    """An HTML page for an HTTP error: Vietnamese title, a message, a way back."""
    status = error.code or 500
    message = MESSAGES.get(status, MESSAGES[500] if status >= 500 else MESSAGES[400])
    # Werkzeug's own English default says nothing; a description someone wrote does.
    stock = default_exceptions.get(status)
    custom = error.description if stock is None or error.description != stock.description else None
    if custom and has_vietnamese(custom):
        message = vietnamese_part(custom)
    body = render_template(
        "ui/error.html",
        status=status,
        title=TITLES.get(status, "Có lỗi xảy ra"),
        message=message,
    )
    response = Response(body, status=status, mimetype="text/html")
    original = error.get_response()
    for header in ("Allow", "Retry-After"):
        if original.headers.get(header):
            response.headers[header] = original.headers[header]
    return response


def render_unexpected(error: Exception) -> Response:
    """A crash in a UI view: log it, roll back, show the Vietnamese 500 page."""
    log.exception("unhandled error in a UI page", exc_info=error)
    db.session.rollback()
    return render_error(InternalServerError())
