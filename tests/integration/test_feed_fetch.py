"""fetch_feed (and parse_feed on its answers) against a real HTTP server on 127.0.0.1.

The server serves the shapes real feeds come in, and the failures they come with:
wrong encodings, broken XML, endless bodies, redirect loops, slow answers.
"""

from __future__ import annotations

import gzip
import ipaddress
import socket
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from channels import outbound
from channels.outbound import public_only_session
from publisher.feedimport import fetch as fetch_module
from publisher.feedimport.fetch import FeedFetchError, fetch_feed
from publisher.feedimport.parse import FeedParseError, parse_feed

ETAG = '"v1-hien-mau"'
LAST_MODIFIED = "Fri, 20 Dec 2024 00:30:00 GMT"

RSS = """<?xml version="1.0" encoding="{encoding}"?>
<rss version="2.0"><channel>
<title>Báo Lai Châu</title><link>https://baolaichau.vn/</link><description>Tin tức</description>
<item><title>{title}</title><link>/tin/1.html</link><guid>bao-1</guid>
<description>Người hiến máu được cấp Giấy chứng nhận hiến máu tình nguyện.</description>
<pubDate>Fri, 20 Dec 2024 07:30:00 +0700</pubDate></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Viện Huyết học</title>
<link href="https://vienhuyethoc.vn/"/><id>tag:vhh,2025:feed</id><updated>2025-04-07T08:00:00Z</updated>
<entry><title>Ngày toàn dân hiến máu 7/4</title><id>tag:vhh,2025:1</id>
<link href="https://vienhuyethoc.vn/tin/1"/><updated>2025-04-07T08:00:00+07:00</updated>
<content type="html">&lt;p&gt;Đủ 18 tuổi, nặng từ 45 kg (nam), 42 kg (nữ).&lt;/p&gt;</content>
</entry>
</feed>"""

TITLE = "Chủ nhật Đỏ: hơn 300 đơn vị máu"


def _rss(encoding: str = "UTF-8", title: str = TITLE) -> str:
    return RSS.format(encoding=encoding, title=title)


class _Handler(BaseHTTPRequestHandler):
    routes: dict[str, Callable[[_Handler], None]] = {}
    seen: list[tuple[str, dict[str, str]]] = []
    release = threading.Event()

    def do_GET(self) -> None:
        self.seen.append((self.path, dict(self.headers)))
        route = self.routes.get(self.path.split("?")[0])
        try:
            if route is None:
                self.send_error(404)
            else:
                route(self)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up on purpose (size cap, timeout)

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

    def redirect(self, status: int, location: str) -> None:
        self.reply(status, Location=location)


def _conditional(h: _Handler) -> None:
    if h.headers.get("If-None-Match") == ETAG:
        h.reply(304, ETag=ETAG)
        return
    since = h.headers.get("If-Modified-Since")
    if since and parsedate_to_datetime(since) >= parsedate_to_datetime(LAST_MODIFIED):
        h.reply(304, Last_Modified=LAST_MODIFIED)
        return
    h.reply(
        200,
        _rss().encode(),
        Content_Type="application/rss+xml; charset=utf-8",
        ETag=ETAG,
        Last_Modified=LAST_MODIFIED,
    )


def _endless(h: _Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "application/rss+xml")
    h.end_headers()  # no Content-Length: the body ends when the connection does
    h.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel><!--')
    block = b" " * 65536
    for _ in range(320):  # 20 MB, far over any cap the tests use
        h.wfile.write(block)


def _declared_huge(h: _Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/xml")
    h.send_header("Content-Length", "50000000")
    h.end_headers()
    h.wfile.write(b"<rss/>")  # then hangs up: the client must not wait for the rest


def _drip(h: _Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "application/rss+xml")
    h.end_headers()
    for _ in range(100):
        h.wfile.write(b" ")
        h.wfile.flush()
        if h.release.wait(0.05):
            return


def _slow(h: _Handler) -> None:
    h.release.wait(5)
    h.reply(200, _rss().encode(), Content_Type="application/rss+xml")


ROUTES: dict[str, Callable[[_Handler], None]] = {
    "/rss.xml": lambda h: h.reply(
        200, _rss().encode(), Content_Type="application/rss+xml; charset=utf-8"
    ),
    "/atom.xml": lambda h: h.reply(200, ATOM.encode(), Content_Type="application/atom+xml"),
    # Prolog says ISO-8859-1, header says nothing, bytes are UTF-8.
    "/wrong-prolog.xml": lambda h: h.reply(
        200, _rss("ISO-8859-1").encode("utf-8"), Content_Type="text/xml"
    ),
    # Header and prolog both claim Windows-1252; bytes are UTF-8.
    "/wrong-1252.xml": lambda h: h.reply(
        200,
        _rss("windows-1252", "Hội hiến máu Việt Nam").encode("utf-8"),
        Content_Type="application/rss+xml; charset=windows-1252",
    ),
    "/broken.xml": lambda h: h.reply(
        200,
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Tin</ti',
        Content_Type="text/xml",
    ),
    "/huge.xml": _endless,
    "/huge-declared.xml": _declared_huge,
    "/gzip-bomb.xml": lambda h: h.reply(
        200, gzip.compress(b" " * 3_000_000), Content_Type="text/xml", Content_Encoding="gzip"
    ),
    "/loop-a": lambda h: h.redirect(302, "/loop-b"),
    "/loop-b": lambda h: h.redirect(302, "/loop-a"),
    "/hop-1": lambda h: h.redirect(301, "/hop-2"),
    "/hop-2": lambda h: h.redirect(307, "rss.xml"),
    "/conditional.xml": _conditional,
    "/to-metadata": lambda h: h.redirect(302, "http://169.254.169.254/latest/meta-data/"),
    "/to-private": lambda h: h.redirect(302, "http://10.0.0.7/rss.xml"),
    "/to-ipv6-loopback": lambda h: h.redirect(302, "http://[::1]/rss.xml"),
    "/slow.xml": _slow,
    "/drip.xml": _drip,
    "/error.xml": lambda h: h.reply(500, b"Internal Server Error"),
    "/gone.xml": lambda h: h.reply(404, b"Not Found"),
}


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    _Handler.routes = ROUTES
    _Handler.release.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        _Handler.release.set()  # let slow handlers finish now
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def http() -> Iterator[requests.Session]:
    # Ignore any proxy in the environment: these requests must reach 127.0.0.1.
    session = requests.Session()
    session.trust_env = False
    yield session
    session.close()


def _fetch(http: requests.Session, url: str, **kwargs) -> fetch_module.FetchResult:
    kwargs.setdefault("allow_private", True)
    return fetch_feed(url, session=http, **kwargs)


def _error(http: requests.Session, url: str, **kwargs) -> FeedFetchError:
    with pytest.raises(FeedFetchError) as caught:
        _fetch(http, url, **kwargs)
    error = caught.value
    assert unicodedata.is_normalized("NFC", error.message_vi)
    assert error.detail_en
    return error


def test_rss2_is_fetched_with_our_user_agent_and_parsed(base_url, http):
    result = _fetch(http, f"{base_url}/rss.xml")
    assert result.status == "ok"
    assert result.url == f"{base_url}/rss.xml"
    assert result.content_type == "application/rss+xml; charset=utf-8"
    path, headers = _Handler.seen[-1]
    assert path == "/rss.xml"
    assert headers["User-Agent"].startswith("campaign-publisher/")
    feed = parse_feed(result.body, content_type=result.content_type, base_url=result.url)
    (entry,) = feed.entries
    assert entry.title == TITLE
    assert entry.link == f"{base_url}/tin/1.html"  # relative to the document
    assert entry.published_at.isoformat() == "2024-12-20T00:30:00+00:00"


def test_atom_is_fetched_and_parsed(base_url, http):
    result = _fetch(http, f"{base_url}/atom.xml")
    (entry,) = parse_feed(
        result.body, content_type=result.content_type, base_url=result.url
    ).entries
    assert entry.title == "Ngày toàn dân hiến máu 7/4"
    assert entry.content_html == "<p>Đủ 18 tuổi, nặng từ 45 kg (nam), 42 kg (nữ).</p>"


@pytest.mark.parametrize(
    ("path", "title"),
    [("/wrong-prolog.xml", TITLE), ("/wrong-1252.xml", "Hội hiến máu Việt Nam")],
)
def test_a_wrong_declared_encoding_still_gives_correct_diacritics(base_url, http, path, title):
    result = _fetch(http, base_url + path)
    feed = parse_feed(result.body, content_type=result.content_type, base_url=result.url)
    assert feed.title == "Báo Lai Châu"
    assert feed.entries[0].title == title


def test_broken_xml_gives_a_readable_error(base_url, http):
    result = _fetch(http, f"{base_url}/broken.xml")
    with pytest.raises(FeedParseError) as caught:
        parse_feed(result.body, content_type=result.content_type, base_url=result.url)
    assert caught.value.message_vi == "Nguồn tin bị lỗi định dạng, không đọc được bài nào"


def test_an_endless_body_stops_at_the_size_cap(base_url, http):
    started = time.monotonic()
    error = _error(http, f"{base_url}/huge.xml", max_bytes=1_000_000)
    assert error.message_vi == "Nguồn tin quá lớn (trên 1 MB)"
    assert time.monotonic() - started < 5


def test_a_declared_length_over_the_cap_is_refused_before_reading(base_url, http):
    error = _error(http, f"{base_url}/huge-declared.xml")
    assert error.message_vi == "Nguồn tin quá lớn (trên 5 MB)"
    assert "Content-Length" in error.detail_en


def test_a_compressed_body_is_capped_after_decompression(base_url, http):
    error = _error(http, f"{base_url}/gzip-bomb.xml", max_bytes=1_500_000)
    assert error.message_vi == "Nguồn tin quá lớn (trên 1,5 MB)"


def test_a_redirect_loop_is_an_error(base_url, http):
    error = _error(http, f"{base_url}/loop-a")
    assert error.message_vi == "Vòng lặp chuyển hướng"


def test_a_chain_of_two_redirects_is_followed(base_url, http):
    result = _fetch(http, f"{base_url}/hop-1")
    assert result.status == "ok"
    assert result.url == f"{base_url}/rss.xml"
    assert TITLE.encode() in result.body


def test_redirects_are_bounded(base_url, http):
    error = _error(http, f"{base_url}/hop-1", max_redirects=1)
    assert error.message_vi == "Quá nhiều lần chuyển hướng (trên 1)"


def test_an_unchanged_feed_answers_not_modified(base_url, http):
    first = _fetch(http, f"{base_url}/conditional.xml")
    assert (first.status, first.etag, first.last_modified) == ("ok", ETAG, LAST_MODIFIED)

    by_etag = _fetch(http, f"{base_url}/conditional.xml", etag=first.etag)
    assert (by_etag.status, by_etag.body, by_etag.etag) == ("not_modified", b"", ETAG)
    assert _Handler.seen[-1][1]["If-None-Match"] == ETAG

    by_date = _fetch(http, f"{base_url}/conditional.xml", last_modified=first.last_modified)
    assert (by_date.status, by_date.body) == ("not_modified", b"")
    assert by_date.last_modified == LAST_MODIFIED
    assert _Handler.seen[-1][1]["If-Modified-Since"] == LAST_MODIFIED


def test_loopback_is_refused_without_allow_private(base_url, http):
    before = len(_Handler.seen)
    error = _error(http, f"{base_url}/rss.xml", allow_private=False)
    assert error.message_vi == "Địa chỉ nội bộ bị chặn"
    assert len(_Handler.seen) == before, "the guard must refuse before connecting"


def test_the_default_session_is_opened_and_closed_by_the_fetch(base_url, monkeypatch):
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert fetch_feed(f"{base_url}/rss.xml", allow_private=True).status == "ok"
    with pytest.raises(FeedFetchError) as caught:
        fetch_feed(f"{base_url}/rss.xml")
    assert caught.value.message_vi == "Địa chỉ nội bộ bị chặn"


@pytest.fixture
def loopback_counts_as_public(monkeypatch):
    """Pretend 127.0.0.1 is a public host, to test what the guard does on later hops."""
    real = outbound.is_blocked_address
    test_server = ipaddress.ip_address("127.0.0.1")
    monkeypatch.setattr(outbound, "is_blocked_address", lambda ip: ip != test_server and real(ip))


@pytest.mark.parametrize("path", ["/to-metadata", "/to-private", "/to-ipv6-loopback"])
def test_a_redirect_to_a_private_address_is_refused(
    base_url, http, loopback_counts_as_public, path
):
    error = _error(http, base_url + path, allow_private=False)
    assert error.message_vi == "Địa chỉ nội bộ bị chặn"


def test_a_name_that_rebinds_to_a_private_address_is_caught_at_connect(base_url, http, monkeypatch):
    # The resolver answers with a public address for the check; the connection
    # still lands on 127.0.0.1, as with a DNS rebinding attack.
    monkeypatch.setattr(
        outbound, "_resolve", lambda host, port: [ipaddress.ip_address("93.184.216.34")]
    )
    before = len(_Handler.seen)
    with public_only_session() as guarded:
        guarded.trust_env = False
        error = _error(guarded, f"{base_url}/rss.xml", allow_private=False)
    assert error.message_vi == "Địa chỉ nội bộ bị chặn"
    assert "connected to" in error.detail_en
    assert len(_Handler.seen) == before, "refused after connecting, before sending"


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.vn/rss", "gopher://x/"])
def test_only_http_and_https_are_fetched(http, url):
    error = _error(http, url, allow_private=False)
    assert error.message_vi == "Chỉ hỗ trợ nguồn tin qua http hoặc https"


def test_a_slow_server_times_out(base_url, http):
    started = time.monotonic()
    error = _error(http, f"{base_url}/slow.xml", timeout=(1, 0.3))
    assert error.message_vi == "Hết thời gian chờ nguồn tin phản hồi"
    assert error.transient is True
    assert time.monotonic() - started < 2


def test_a_trickling_body_hits_the_overall_deadline(base_url, http):
    started = time.monotonic()
    # Every gap is far shorter than the read timeout; only the overall deadline can stop it.
    error = _error(http, f"{base_url}/drip.xml", timeout=(1, 1), total_timeout=0.4)
    assert error.message_vi == "Hết thời gian chờ: nguồn tin gửi dữ liệu quá chậm"
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    ("path", "message", "transient"),
    [
        ("/error.xml", "Nguồn tin trả về lỗi HTTP 500", True),
        ("/gone.xml", "Không tìm thấy nguồn tin (HTTP 404)", False),
    ],
)
def test_http_errors_are_reported_in_vietnamese(base_url, http, path, message, transient):
    error = _error(http, base_url + path)
    assert error.message_vi == message
    assert error.transient is transient
    assert "HTTP" in error.detail_en


def _unused_port() -> int:
    # Bound and released at once: nobody listens there during the test.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_port_is_a_connection_error(http):
    error = _error(http, f"http://127.0.0.1:{_unused_port()}/rss.xml", timeout=(1, 1))
    assert error.message_vi == "Không kết nối được tới nguồn tin"
    assert error.transient is True
