"""State of the Zalo OA emulator: apps, token chains, articles, broadcasts; strict checks."""

from __future__ import annotations

import itertools
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

ACCESS_TTL = 90000
REFRESH_TTL = 90 * 24 * 3600
LIMITS = {"title": 150, "author": 50, "description": 300}
PARAGRAPH_TYPES = {"text", "image", "video", "product"}


class ZaloError(Exception):
    """An OpenAPI error answer: HTTP 200 with a negative ``error``, as Zalo does."""

    def __init__(self, code: int, message: str, *, http_status: int = 200) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message}


@dataclass
class Article:
    id: str
    title: str
    author: str
    description: str
    cover: dict[str, Any]
    body: list[dict[str, Any]]
    status: str
    comment: str
    created_ms: int
    seq: int
    removed: bool = False
    verified: bool = False
    views: int = 0
    shares: int = 0

    def detail(self, base_url: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "normal",
            "title": self.title,
            "author": self.author,
            "description": self.description,
            "status": self.status,
            "comment": self.comment,
            "cover": dict(self.cover),
            "body": [dict(p) for p in self.body],
            "create_date": self.created_ms,
            "link_view": f"{base_url}/article/{self.id}",
        }

    def slice_item(self, base_url: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "normal",
            "title": self.title,
            "status": self.status,
            "total_view": self.views,
            "total_share": self.shares,
            "create_date": self.created_ms,
            "update_date": self.created_ms,
            "thumb": self.cover.get("photo_url"),
            "link_view": f"{base_url}/article/{self.id}",
        }


@dataclass
class Chain:
    """One app's tokens: every pair issued, which refresh tokens are spent."""

    app_id: str
    secret: str
    access: dict[str, float] = field(default_factory=dict)  # token -> expiry
    refresh: dict[str, float] = field(default_factory=dict)  # token -> expiry
    spent: set[str] = field(default_factory=set)
    revoked: bool = False


class ZaloState:
    def __init__(self, clock: Callable[[], float], processing_polls: int) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.processing_polls = processing_polls
        self.chains: dict[str, Chain] = {}
        self.articles: dict[str, Article] = {}
        self.jobs: dict[str, tuple[str, int]] = {}  # token -> (article id, polls left)
        self.broadcasts: list[dict[str, Any]] = []
        self.refreshes: list[dict[str, Any]] = []  # every refresh request and its verdict
        self._ids = itertools.count(7_000_000_001)
        self._seq = itertools.count(1)

    # ---- tokens -------------------------------------------------------------------------

    def add_app(
        self, app_id: str, secret: str, *, access_ttl: float = ACCESS_TTL
    ) -> tuple[str, str]:
        with self.lock:
            chain = self.chains.setdefault(app_id, Chain(app_id, secret))
            return self._issue(chain, access_ttl)

    def _issue(self, chain: Chain, access_ttl: float) -> tuple[str, str]:
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        chain.access[access] = self.clock() + access_ttl
        chain.refresh[refresh] = self.clock() + REFRESH_TTL
        return access, refresh

    def refresh(
        self, app_id: str, secret: str | None, grant: str, token: str, access_ttl: float
    ) -> dict[str, Any]:
        """The OAuth answer: a new pair, or an error body (HTTP 200, no access_token)."""
        with self.lock:
            chain = self.chains.get(app_id)
            verdict = "ok"
            if chain is None or chain.revoked:
                verdict = "unknown app"
            elif secret != chain.secret:
                verdict = "bad secret"
            elif grant != "refresh_token":
                verdict = "bad grant"
            elif token in chain.spent:
                verdict = "reused"
            elif token not in chain.refresh or chain.refresh[token] <= self.clock():
                verdict = "invalid"
            self.refreshes.append({"refresh_token": token, "verdict": verdict})
            if verdict != "ok":
                return {
                    "error": -14014 if verdict in ("reused", "invalid") else -14002,
                    "error_name": "Invalid refresh token" if verdict != "bad secret" else "Bad",
                    "error_reason": verdict,
                    "error_description": f"Refresh token is not valid ({verdict})",
                }
            assert chain is not None
            chain.spent.add(token)
            del chain.refresh[token]
            access, refresh = self._issue(chain, access_ttl)
            return {
                "access_token": access,
                "refresh_token": refresh,
                "expires_in": str(int(access_ttl)),
            }

    def authorise(self, token: str | None) -> Chain:
        with self.lock:
            for chain in self.chains.values():
                if token in chain.access:
                    if chain.revoked:
                        raise ZaloError(-216, "Access token is invalid")
                    if chain.access[token] <= self.clock():
                        raise ZaloError(-220, "access_token is expired or removed")
                    return chain
            raise ZaloError(-216, "Access token is invalid")

    def expire_access(self) -> None:
        with self.lock:
            for chain in self.chains.values():
                for token in chain.access:
                    chain.access[token] = self.clock() - 1

    # ---- articles -----------------------------------------------------------------------

    def create(self, body: Mapping[str, Any]) -> str:
        if body.get("type") != "normal":
            raise ZaloError(-201, "type is invalid!")
        for name, limit in LIMITS.items():
            value = body.get(name)
            if not isinstance(value, str) or not value.strip():
                raise ZaloError(-201, f"{name} is invalid!")
            if len(value) > limit:
                raise ZaloError(-210, "Parameter exceeds allowable limit")
        cover = body.get("cover")
        if (
            not isinstance(cover, Mapping)
            or cover.get("cover_type") != "photo"
            or not str(cover.get("photo_url") or "").startswith(("http://", "https://"))
            or cover.get("status") not in ("show", "hide")
        ):
            raise ZaloError(-201, "cover is invalid!")
        paragraphs = body.get("body")
        if not isinstance(paragraphs, list) or not paragraphs:
            raise ZaloError(-201, "body is invalid!")
        for p in paragraphs:
            if not isinstance(p, Mapping) or p.get("type") not in PARAGRAPH_TYPES:
                raise ZaloError(-201, "body is invalid!")
            if p["type"] == "text" and not isinstance(p.get("content"), str):
                raise ZaloError(-201, "body is invalid!")
            if p["type"] == "image" and not str(p.get("url") or "").startswith("http"):
                raise ZaloError(-201, "body is invalid!")
        status = body.get("status", "hide")
        comment = body.get("comment", "show")
        if status not in ("show", "hide") or comment not in ("show", "hide"):
            raise ZaloError(-201, "status is invalid!")
        with self.lock:
            article = Article(
                id=str(next(self._ids)),
                title=body["title"],
                author=body["author"],
                description=body["description"],
                cover=dict(cover),
                body=[dict(p) for p in paragraphs],
                status=status,
                comment=comment,
                created_ms=int(self.clock() * 1000),
                seq=next(self._seq),
            )
            self.articles[article.id] = article
            token = secrets.token_hex(16)
            self.jobs[token] = (article.id, self.processing_polls)
            return token

    def verify(self, token: Any) -> str:
        with self.lock:
            job = self.jobs.get(str(token or ""))
            if job is None:
                raise ZaloError(-201, "token is invalid!")
            article_id, polls = job
            if polls > 0:
                self.jobs[str(token)] = (article_id, polls - 1)
                raise ZaloError(-214, "Article is being processed")
            self.articles[article_id].verified = True
            return article_id

    def live(self, article_id: Any) -> Article:
        with self.lock:
            article = self.articles.get(str(article_id or ""))
            if article is None or article.removed:
                raise ZaloError(-201, "id is invalid!")
            return article

    def listing(self) -> list[Article]:
        with self.lock:
            found = [a for a in self.articles.values() if not a.removed]
            return sorted(found, key=lambda a: (a.created_ms, a.seq), reverse=True)

    def broadcast(self, body: Mapping[str, Any]) -> str:
        try:
            target = body["recipient"]["target"]
            payload = body["message"]["attachment"]["payload"]
            assert body["message"]["attachment"]["type"] == "template"
            assert payload["template_type"] == "media"
            elements = payload["elements"]
            assert isinstance(target, Mapping) and isinstance(elements, list) and elements
            assert all(e.get("media_type") == "article" for e in elements)
        except (KeyError, TypeError, AssertionError):
            raise ZaloError(-201, "message is invalid!") from None
        for element in elements:
            self.live(element.get("attachment_id"))
        with self.lock:
            message_id = secrets.token_hex(8)
            self.broadcasts.append(
                {
                    "message_id": message_id,
                    "article_ids": [str(e["attachment_id"]) for e in elements],
                    "target": dict(target),
                }
            )
            return message_id
