"""A real HTTP server on 127.0.0.1 serving the shapes feeds come in, and their failures."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ETAG = '"bao-lc-v1"'
LAST_MODIFIED = "Fri, 20 Dec 2024 00:30:00 GMT"

RSS = """<?xml version="1.0" encoding="{encoding}"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
<title>Báo Lai Châu</title><link>https://baolaichau.vn/</link><description>Tin tức</description>
<item>
  <title>Chủ nhật Đỏ: hơn 300 đơn vị máu</title>
  <link>https://baolaichau.vn/xa-hoi/chu-nhat-do-300-don-vi.html</link>
  <guid isPermaLink="false">bao-lc-{prefix}1</guid>
  <description>Sáng 20/12, hơn 300 người hiến máu.</description>
  <content:encoded><![CDATA[<p onclick="alert(1)">Sáng 20/12 tại
  <a href="/dia-diem">Nhà Văn hóa</a>.</p><script>alert(2)</script>
  <img src="/anh/1.jpg" onerror="alert(3)">]]></content:encoded>
  <pubDate>Fri, 20 Dec 2024 07:30:00 +0700</pubDate>
</item>
<item>
  <title>&lt;script&gt;alert(4)&lt;/script&gt;Điều kiện hiến máu</title>
  <link>https://baolaichau.vn/xa-hoi/dieu-kien.html</link>
  <guid isPermaLink="false">bao-lc-{prefix}2</guid>
  <description>Từ 18 đến 60 tuổi; nam từ 45 kg, nữ từ 42 kg.</description>
  <pubDate>Thu, 19 Dec 2024 08:00:00 +0700</pubDate>
</item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Viện Huyết học</title>
<link href="https://vienhuyethoc.vn/"/><id>tag:vhh,2025:feed</id>
<updated>2025-04-07T08:00:00Z</updated>
<entry><title>Ngày toàn dân hiến máu 7/4</title><id>tag:vhh,2025:1</id>
<link href="https://vienhuyethoc.vn/tin/7-4"/><updated>2025-04-07T08:00:00+07:00</updated>
<content type="html">&lt;p&gt;Đủ 18 tuổi, nặng từ 45 kg (nam), 42 kg (nữ).&lt;/p&gt;</content>
</entry>
</feed>"""

RECOVERABLE = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Báo hỏng nhẹ</title><link>https://hong.vn/</link>
<item><title>Tin&nbsp;hiến máu</title><link>https://hong.vn/1</link><guid>hong-1</guid>
<description>Vẫn đọc được</description></item>
</channel></rss>"""

BROKEN = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Hỏng</title></channel></rs"""

HTML_PAGE = "<!doctype html><html><body><h1>Trang chủ</h1></body></html>"


def rss(encoding: str = "UTF-8", prefix: str = "") -> bytes:
    return RSS.format(encoding=encoding, prefix=prefix).encode("utf-8")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FeedServer

    def do_GET(self) -> None:
        self.server.seen.append((self.path, dict(self.headers)))
        route = self.server.routes.get(self.path.split("?")[0])
        try:
            if route is None:
                self.reply(404, b"not found", content_type="text/plain")
            else:
                route(self)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up on purpose (size cap)

    def log_message(self, format: str, *args: object) -> None:
        pass

    def reply(self, status: int, body: bytes = b"", **headers: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)


class FeedServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Callable[[_Handler], None]] = {}
        self.seen: list[tuple[str, dict[str, str]]] = []

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def requests_to(self, path: str) -> list[dict[str, str]]:
        return [headers for seen, headers in self.seen if seen == path]


def _conditional(body: bytes, content_type: str) -> Callable[[_Handler], None]:
    def route(h: _Handler) -> None:
        if (
            h.headers.get("If-None-Match") == ETAG
            or h.headers.get("If-Modified-Since") == LAST_MODIFIED
        ):
            h.reply(304, ETag=ETAG, Last_Modified=LAST_MODIFIED)
        else:
            h.reply(200, body, Content_Type=content_type, ETag=ETAG, Last_Modified=LAST_MODIFIED)

    return route


def _enormous(h: _Handler) -> None:
    # Six megabytes of a valid-looking feed, more than the 5 MB cap; no Content-Length,
    # so the cap must stop the stream itself.
    h.send_response(200)
    h.send_header("Content-Type", "application/rss+xml")
    h.send_header("Connection", "close")
    h.end_headers()
    h.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel><title>To</title>')
    chunk = b"<item><title>" + b"x" * 65_000 + b"</title></item>"
    for _ in range(96):
        h.wfile.write(chunk)


def _redirect(to: str) -> Callable[[_Handler], None]:
    return lambda h: h.reply(302, b"", Location=to)


def standard_routes(server: FeedServer) -> None:
    server.routes.update(
        {
            "/rss.xml": lambda h: h.reply(200, rss(), Content_Type="application/rss+xml"),
            "/mirror.xml": lambda h: h.reply(
                200, rss(prefix="mirror-"), Content_Type="application/rss+xml"
            ),
            "/unchanged.xml": _conditional(rss(prefix="u"), "application/rss+xml; charset=utf-8"),
            "/atom.xml": lambda h: h.reply(200, ATOM.encode(), Content_Type="application/atom+xml"),
            # The header and the prolog both claim Latin-1; the bytes are UTF-8.
            "/wrong-encoding.xml": lambda h: h.reply(
                200,
                rss(encoding="ISO-8859-1", prefix="w"),
                Content_Type="text/xml; charset=ISO-8859-1",
            ),
            "/recoverable.xml": lambda h: h.reply(
                200, RECOVERABLE.encode(), Content_Type="application/rss+xml"
            ),
            "/broken.xml": lambda h: h.reply(200, BROKEN.encode(), Content_Type="application/xml"),
            "/page.html": lambda h: h.reply(200, HTML_PAGE.encode(), Content_Type="text/html"),
            "/enormous.xml": _enormous,
            "/loop-a": _redirect("/loop-b"),
            "/loop-b": _redirect("/loop-a"),
            "/moved": _redirect("/rss.xml"),
            "/gone": lambda h: h.reply(410, b"gone", Content_Type="text/plain"),
        }
    )


@contextmanager
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer()
    standard_routes(server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
