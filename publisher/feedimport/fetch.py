"""Download a feed with the guards a server-side fetcher needs.

Feed URLs are typed in by editors, so this fetcher is a server-side request
forgery (SSRF) surface: it only speaks http and https, refuses hosts that resolve
to loopback, private, link-local, multicast, reserved or unspecified addresses
(unless ``allow_private``, for tests and closed networks), and re-checks every
redirect hop, which is why redirects are followed by hand. The body is streamed
with a size cap and an overall deadline, so a hostile or broken server can
neither exhaust memory nor hold a worker forever.

Which addresses may be reached is decided in one place, :mod:`channels.outbound`,
shared with the webhook channel: the name is checked before each hop, and sessions
from ``public_only_session`` (what ``fetch_feed`` uses unless given a session) check
the address each socket actually connected to, which defeats DNS rebinding.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urldefrag, urljoin

import requests
import urllib3

from channels import outbound
from channels.outbound import AddressRefused

USER_AGENT = "campaign-publisher/0.1 (feed importer)"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"
)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK_BYTES = 64 * 1024


class FeedFetchError(Exception):
    """A feed could not be fetched: ``message_vi`` for editors, ``detail_en`` for logs.

    ``transient`` is True when trying again later may succeed (timeouts, 5xx, 429).
    """

    def __init__(self, message_vi: str, detail_en: str, *, transient: bool = False) -> None:
        super().__init__(message_vi)
        self.message_vi = message_vi
        self.detail_en = detail_en
        self.transient = transient


@dataclass(frozen=True)
class FetchResult:
    """The answer: ``url`` is the final URL after redirects; ``body`` is empty on 304."""

    status: Literal["ok", "not_modified"]
    url: str
    body: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None


def fetch_feed(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    allow_private: bool = False,
    timeout: tuple[float, float] = (5, 15),
    max_bytes: int = 5_000_000,
    max_redirects: int = 5,
    session: requests.Session | None = None,
    total_timeout: float = 60.0,
) -> FetchResult:
    """Fetch ``url`` with a conditional GET; raise :class:`FeedFetchError` on any failure.

    ``timeout`` is (connect, read-gap) per request; ``total_timeout`` bounds the whole
    exchange including a body that trickles in. A session passed in is used as it is
    and left open; make it with ``channels.outbound.public_only_session`` to keep the connect-time
    address check.
    """
    if session is not None:
        http = session
    else:
        http = outbound.outbound_session(allow_private=allow_private)
    try:
        return _fetch(
            http,
            url,
            etag=etag,
            last_modified=last_modified,
            allow_private=allow_private,
            timeout=timeout,
            max_bytes=max_bytes,
            max_redirects=max_redirects,
            deadline=time.monotonic() + total_timeout,
        )
    finally:
        if session is None:
            http.close()


def _fetch(
    http: requests.Session,
    url: str,
    *,
    etag: str | None,
    last_modified: str | None,
    allow_private: bool,
    timeout: tuple[float, float],
    max_bytes: int,
    max_redirects: int,
    deadline: float,
) -> FetchResult:
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    current = urldefrag(url.strip()).url
    visited: set[str] = set()
    for _hop in range(max_redirects + 1):
        check_url(current, allow_private=allow_private)
        visited.add(current)
        with _get(http, current, headers, timeout) as response:
            status = response.status_code
            if status in _REDIRECTS:
                target = _redirect_target(response, current)
                if target in visited:
                    raise FeedFetchError(
                        "Vòng lặp chuyển hướng",
                        f"redirect loop: {current} -> {target}",
                    )
                current = target
                continue
            if status == 304:
                return FetchResult(
                    status="not_modified",
                    url=current,
                    body=b"",
                    content_type=response.headers.get("Content-Type"),
                    etag=response.headers.get("ETag") or etag,
                    last_modified=response.headers.get("Last-Modified") or last_modified,
                )
            if not 200 <= status < 300:
                raise _http_error(status, current)
            body = _read_capped(response, current, max_bytes=max_bytes, deadline=deadline)
            return FetchResult(
                status="ok",
                url=current,
                body=body,
                content_type=response.headers.get("Content-Type"),
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
            )
    raise FeedFetchError(
        f"Quá nhiều lần chuyển hướng (trên {max_redirects})",
        f"more than {max_redirects} redirects starting at {url}",
    )


def _get(
    http: requests.Session, url: str, headers: Mapping[str, str], timeout: tuple[float, float]
) -> requests.Response:
    try:
        return http.get(
            url, headers=dict(headers), timeout=timeout, allow_redirects=False, stream=True
        )
    except AddressRefused as exc:  # the connection landed on a non-public address
        raise _refused(exc) from exc
    except requests.exceptions.Timeout as exc:
        raise FeedFetchError(
            "Hết thời gian chờ nguồn tin phản hồi", f"timed out: {url}: {exc}", transient=True
        ) from exc
    except requests.exceptions.SSLError as exc:
        raise FeedFetchError(
            "Chứng chỉ bảo mật (SSL) của nguồn tin không hợp lệ", f"TLS error: {url}: {exc}"
        ) from exc
    except requests.exceptions.ConnectionError as exc:
        raise FeedFetchError(
            "Không kết nối được tới nguồn tin", f"connection failed: {url}: {exc}", transient=True
        ) from exc
    except (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema) as exc:
        raise FeedFetchError("Địa chỉ nguồn tin không hợp lệ", f"invalid URL {url}: {exc}") from exc
    except requests.exceptions.RequestException as exc:
        raise FeedFetchError(
            "Nguồn tin trả lời không đúng giao thức HTTP", f"bad response from {url}: {exc}"
        ) from exc


def _redirect_target(response: requests.Response, current: str) -> str:
    location = response.headers.get("Location", "").strip()
    if not location:
        raise FeedFetchError(
            "Nguồn tin chuyển hướng nhưng không cho biết địa chỉ mới",
            f"HTTP {response.status_code} without Location from {current}",
        )
    return urldefrag(urljoin(current, location)).url


def _http_error(status: int, url: str) -> FeedFetchError:
    detail = f"HTTP {status} from {url}"
    if status in (404, 410):
        return FeedFetchError(f"Không tìm thấy nguồn tin (HTTP {status})", detail)
    if status in (401, 403):
        return FeedFetchError(f"Nguồn tin từ chối truy cập (HTTP {status})", detail)
    if status == 429:
        return FeedFetchError(
            "Nguồn tin yêu cầu giảm tần suất truy cập (HTTP 429)", detail, transient=True
        )
    return FeedFetchError(f"Nguồn tin trả về lỗi HTTP {status}", detail, transient=status >= 500)


def _megabytes(n: int) -> str:
    # Vietnamese writes a decimal comma: 1,5 MB.
    return f"{n / 1_000_000:g}".replace(".", ",")


def _too_large(max_bytes: int, url: str, seen: str) -> FeedFetchError:
    return FeedFetchError(
        f"Nguồn tin quá lớn (trên {_megabytes(max_bytes)} MB)",
        f"body from {url} exceeds {max_bytes} bytes ({seen})",
    )


def _read_capped(
    response: requests.Response, url: str, *, max_bytes: int, deadline: float
) -> bytes:
    declared = response.headers.get("Content-Length", "").strip()
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes, url, f"Content-Length {declared}")
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            # read1 returns whatever one socket read brings, so a server that
            # trickles bytes (each gap shorter than the read timeout) still meets
            # the deadline; read()/iter_content would wait to fill a whole chunk.
            # Decoded bytes are counted, so the cap also stops a gzip bomb.
            chunk = response.raw.read1(_CHUNK_BYTES, decode_content=True)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                raise _too_large(max_bytes, url, "streamed")
            if time.monotonic() > deadline:
                raise FeedFetchError(
                    "Hết thời gian chờ: nguồn tin gửi dữ liệu quá chậm",
                    f"total deadline passed while reading {url}",
                    transient=True,
                )
            chunks.append(chunk)
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise FeedFetchError(
            "Hết thời gian chờ nguồn tin phản hồi", f"read timed out: {url}", transient=True
        ) from exc
    except urllib3.exceptions.DecodeError as exc:
        raise FeedFetchError(
            "Nguồn tin gửi dữ liệu nén bị hỏng", f"cannot decode body of {url}: {exc}"
        ) from exc
    except urllib3.exceptions.HTTPError as exc:
        raise FeedFetchError(
            "Mất kết nối khi đang tải nguồn tin", f"body of {url} cut short: {exc}", transient=True
        ) from exc
    return b"".join(chunks)


_REFUSED_VI = {
    "invalid": "Địa chỉ nguồn tin không hợp lệ",
    "scheme": "Chỉ hỗ trợ nguồn tin qua http hoặc https",
    "unresolvable": "Không tìm thấy tên miền của nguồn tin",
    "private": "Địa chỉ nội bộ bị chặn",
}


def _refused(exc: AddressRefused) -> FeedFetchError:
    return FeedFetchError(
        _REFUSED_VI[exc.reason], exc.detail, transient=exc.reason == "unresolvable"
    )


def check_url(url: str, *, allow_private: bool = False) -> None:
    """Refuse a URL we must not fetch (see :mod:`channels.outbound`), as a feed error."""
    try:
        outbound.check_url(url, allow_private=allow_private)
    except AddressRefused as exc:
        raise _refused(exc) from exc
