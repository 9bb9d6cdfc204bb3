"""The Graph API emulator's state: pages, tokens, posts and photos, kept like Graph keeps them.

Pure Python, no HTTP: :mod:`tests.fakes.graph_api` parses requests and calls
:class:`GraphState`, which answers with plain dicts or raises :class:`GraphError`.
Every public method takes the state's lock, so the HTTP threads may call it freely.
"""

from __future__ import annotations

import hmac
import itertools
import threading
import time
from collections.abc import Callable

from tests.fakes.graph_errors import GraphError, token_error
from tests.fakes.graph_model import (
    JPEG_MAGIC,
    MAX_PHOTO_BYTES,
    PAGE_FIELDS,
    PHOTO_FIELDS,
    PNG_MAGIC,
    POST_FIELDS,
    READ_SCOPE,
    WRITE_SCOPE,
    Page,
    Photo,
    Post,
    Token,
    appsecret_proof,
    decode_cursor,
    encode_cursor,
    graph_time,
    missing_object,
    requested_fields,
)


class GraphState:
    """Pages, tokens, posts and photos behind one lock."""

    def __init__(self, *, clock: Callable[[], float] = time.time, reject_duplicates: bool = False):
        self.lock = threading.RLock()
        self.clock = clock
        self.reject_duplicates = reject_duplicates
        self.pages: dict[str, Page] = {}
        self.tokens: dict[str, Token] = {}
        self.posts: dict[str, Post] = {}
        self.photos: dict[str, Photo] = {}
        self._ids = itertools.count(100000000000001)

    # ---- set-up -------------------------------------------------------------------------

    def add_page(self, page_id: str, name: str, app_secret: str | None) -> None:
        with self.lock:
            self.pages[page_id] = Page(page_id, name, app_secret)

    def add_token(self, token: Token) -> None:
        with self.lock:
            self.tokens[token.value] = token

    def token(self, value: str) -> Token:
        with self.lock:
            if value not in self.tokens:
                raise KeyError(f"unknown token {value!r}")
            return self.tokens[value]

    # ---- authorisation ------------------------------------------------------------------

    def authorize(self, token_value: str | None, proof: str | None) -> Token:
        """The token behind a call, or the error Graph gives for it."""
        with self.lock:
            if not token_value:
                raise GraphError(104, "An access token is required to request this resource.")
            token = self.tokens.get(token_value)
            if token is None:
                raise GraphError(190, "Invalid OAuth access token - Cannot parse access token")
            if not token.valid:
                raise token_error(token.invalid_subcode)
            now = self.clock()
            if token.expires_at and token.expires_at <= now:
                raise token_error(463)
            if token.data_access_expires_at and token.data_access_expires_at <= now:
                raise GraphError(
                    190, "Error validating access token: data access has expired.", subcode=463
                )
            page = self.pages.get(token.page_id)
            if page is not None and page.app_secret:
                if not proof:
                    raise GraphError(
                        100,
                        "API calls from the server require an appsecret_proof argument",
                        error_type="GraphMethodException",
                    )
                if not hmac.compare_digest(proof, appsecret_proof(page.app_secret, token_value)):
                    raise GraphError(
                        100,
                        "Invalid appsecret_proof provided in the API argument",
                        error_type="GraphMethodException",
                    )
            return token

    def _page_for_write(self, token: Token, page_id: str) -> Page:
        page = self._existing_page(page_id, "post")
        if token.page_id != page_id:
            raise GraphError(200, "(#200) Permissions error", http_status=403)
        if WRITE_SCOPE not in token.scopes:
            raise GraphError(
                200,
                "(#200) If posting to a page, requires both pages_read_engagement and "
                "pages_manage_posts as an admin with sufficient administrative permission",
                http_status=403,
            )
        return page

    def _existing_page(self, page_id: str, verb: str) -> Page:
        page = self.pages.get(page_id)
        if page is None:
            raise missing_object(page_id, verb)
        return page

    @staticmethod
    def _require_read(token: Token) -> None:
        if READ_SCOPE not in token.scopes:
            raise GraphError(
                10,
                "(#10) This endpoint requires the 'pages_read_engagement' permission or the "
                "'Page Public Content Access' feature.",
                http_status=403,
            )

    # ---- writes -------------------------------------------------------------------------

    def create_post(
        self,
        token: Token,
        page_id: str,
        *,
        message: str,
        link: str | None,
        published: bool,
        attached_media: list[str],
    ) -> Post:
        with self.lock:
            self._page_for_write(token, page_id)
            if not (message or link or attached_media):
                raise GraphError(100, "(#100) Missing message or attachment")
            photos = []
            for fbid in attached_media:
                photo = self.photos.get(fbid)
                if photo is None or photo.page_id != page_id:
                    raise GraphError(100, f"(#100) param attached_media[{fbid}] is invalid")
                if photo.published or photo.attached_to:
                    raise GraphError(100, f"(#100) Photo {fbid} is already published")
                photos.append(photo)
            if self.reject_duplicates and not attached_media:
                latest = self._latest_post(page_id)
                if latest is not None and (latest.message, latest.link) == (message, link):
                    raise GraphError(506, "(#506) Duplicate status message")
            post = self._new_post(page_id, message=message, link=link, published=published)
            post.attached_media = [p.id for p in photos]
            for photo in photos:
                photo.attached_to = post.id
            return post

    def create_photo(
        self,
        token: Token,
        page_id: str,
        *,
        caption: str,
        published: bool,
        data: bytes | None,
        filename: str | None,
        mime: str | None,
        url: str | None,
    ) -> Photo:
        with self.lock:
            self._page_for_write(token, page_id)
            if data is None and not url:
                raise GraphError(324, "(#324) Requires upload file")
            if data is not None and (
                not data.startswith((PNG_MAGIC, JPEG_MAGIC)) or len(data) > MAX_PHOTO_BYTES
            ):
                raise GraphError(324, "Missing or invalid image file", subcode=1366046)
            photo = Photo(
                id=str(next(self._ids)),
                page_id=page_id,
                published=published,
                created_time=self.clock(),
                caption=caption,
                data=data,
                filename=filename,
                mime=mime,
                url=url,
            )
            if published:
                post = self._new_post(page_id, message=caption, link=None, published=True)
                post.photo_id = photo.id
                photo.post_id = post.id
            self.photos[photo.id] = photo
            return photo

    def seed_post(self, page_id: str, message: str, created_time: float, link: str | None) -> Post:
        with self.lock:
            self._existing_page(page_id, "post")
            post = self._new_post(page_id, message=message, link=link, published=True)
            post.created_time = created_time
            return post

    def _new_post(self, page_id: str, *, message: str, link: str | None, published: bool) -> Post:
        seq = next(self._ids)
        post = Post(
            id=f"{page_id}_{seq}",
            page_id=page_id,
            seq=seq,
            created_time=self.clock(),
            message=message,
            link=link,
            is_published=published,
        )
        self.posts[post.id] = post
        return post

    def _latest_post(self, page_id: str) -> Post | None:
        mine = [p for p in self.posts.values() if p.page_id == page_id]
        return max(mine, key=lambda p: (p.created_time, p.seq), default=None)

    def delete(self, token: Token, object_id: str) -> None:
        with self.lock:
            post = self.posts.get(object_id)
            photo = self.photos.get(object_id)
            owner = post.page_id if post else photo.page_id if photo else None
            if owner is None:
                raise missing_object(object_id, "delete")
            self._page_for_write(token, owner)
            if post is not None:
                del self.posts[object_id]
                if post.photo_id:
                    self.photos.pop(post.photo_id, None)
            else:
                del self.photos[object_id]
                if photo.post_id:
                    self.posts.pop(photo.post_id, None)

    # ---- reads --------------------------------------------------------------------------

    def read_object(self, token: Token, object_id: str, fields: str | None) -> dict:
        with self.lock:
            if object_id in self.posts:
                self._require_read(token)
                names = requested_fields(
                    fields, ("created_time", "message", "id"), POST_FIELDS, "Post"
                )
                return self.posts[object_id].fields(names)
            if object_id in self.photos:
                photo = self.photos[object_id]
                names = requested_fields(fields, ("id", "created_time"), PHOTO_FIELDS, "Photo")
                values = {
                    "id": photo.id,
                    "name": photo.caption,
                    "created_time": graph_time(photo.created_time),
                    "link": f"https://www.facebook.com/photo.php?fbid={photo.id}",
                    "page_story_id": photo.post_id,
                }
                return {n: values[n] for n in names if values[n] is not None}
            if object_id in self.pages:
                names = requested_fields(fields, ("id", "name"), PAGE_FIELDS, "Page")
                page = self.pages[object_id]
                return {n: getattr(page, n) for n in names}
            raise missing_object(object_id, "get")

    def published_posts(
        self,
        token: Token,
        page_id: str,
        *,
        fields: str | None,
        since: float | None,
        until: float | None,
        limit: int,
        after: str | None,
    ) -> tuple[list[dict], str | None, str | None, bool]:
        """One page of published posts, newest first: (data, first cursor, last cursor, more)."""
        with self.lock:
            self._existing_page(page_id, "get")
            self._require_read(token)
            names = requested_fields(fields, ("created_time", "message", "id"), POST_FIELDS, "Post")
            chosen = sorted(
                (
                    p
                    for p in self.posts.values()
                    if p.page_id == page_id
                    and p.is_published
                    and (since is None or p.created_time >= since)
                    and (until is None or p.created_time <= until)
                ),
                key=lambda p: (p.created_time, p.seq),
                reverse=True,
            )
            if after:
                bound = decode_cursor(after)
                chosen = [p for p in chosen if (p.created_time, p.seq) < bound]
            window = chosen[:limit]
            more = len(chosen) > limit
            data = [p.fields(names) for p in window]
            first = encode_cursor(window[0]) if window else None
            last = encode_cursor(window[-1]) if window else None
            return data, first, last, more

    def debug_token(self, input_token: str) -> dict:
        with self.lock:
            token = self.tokens.get(input_token)
            if token is None:
                return {
                    "is_valid": False,
                    "scopes": [],
                    "error": {"code": 190, "message": "Invalid OAuth access token."},
                }
            data: dict = {
                "app_id": token.app_id,
                "type": token.token_type,
                "application": "Emulated app",
                "expires_at": token.expires_at,
                "data_access_expires_at": token.data_access_expires_at,
                "is_valid": token.valid,
                "scopes": list(token.scopes),
                "profile_id": token.profile_id,
                "user_id": "900000000000001",
            }
            now = self.clock()
            expired = token.expires_at and token.expires_at <= now
            if not token.valid or expired:
                failure = token_error(token.invalid_subcode if not token.valid else 463)
                data["is_valid"] = False
                data["error"] = {
                    "code": 190,
                    "message": failure.message,
                    "subcode": failure.subcode,
                }
            return data
