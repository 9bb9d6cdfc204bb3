"""Graph API endpoints of the emulator: which call does what to the state."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from tests.fakes.graph_errors import GraphError
from tests.fakes.graph_faults import Usage
from tests.fakes.graph_model import Token
from tests.fakes.graph_state import GraphState
from tests.fakes.graph_wire import LoggedRequest, attached_media, field_names, flag, moment


class GraphRoutes:
    """Serves one parsed request against the state; raises GraphError for error answers."""

    def __init__(self, state: GraphState, usage: Usage) -> None:
        self.state = state
        self.usage = usage

    def page_of(self, parts: list[str], token: str | None) -> str | None:
        """The Page a call concerns, for the usage headers."""
        if len(parts) == 2:
            return parts[0]
        if len(parts) == 1 and parts[0] != "debug_token":
            return parts[0].split("_", 1)[0] if "_" in parts[0] else parts[0]
        with self.state.lock:
            record = self.state.tokens.get(token or "")
            return record.page_id if record else None

    def serve(self, parts: list[str], entry: LoggedRequest, base_url: str) -> dict:
        """The JSON answer to a request for ``parts`` (the path after the version)."""
        method, params = entry.method, entry.params
        if len(parts) == 1 and parts[0] == "debug_token":
            edge = "debug_token"
        elif len(parts) == 1:
            edge = "node"
        else:
            edge = parts[1] if len(parts) == 2 else ""
        route = (method, edge)
        if route == ("GET", "debug_token"):
            return self._debug_token(params, entry.token)
        token = self.state.authorize(entry.token, params.get("appsecret_proof"))
        limit_error = self.usage.count_call()
        if limit_error is not None:
            raise limit_error
        if route == ("POST", "feed"):
            post = self.state.create_post(
                token,
                parts[0],
                message=params.get("message", ""),
                link=params.get("link"),
                published=flag(params, "published"),
                attached_media=attached_media(params),
            )
            names = field_names(params.get("fields")) or ["id"]
            return self.state.read_object(token, post.id, ",".join(names))
        if route == ("POST", "photos"):
            upload = entry.files.get("source")
            photo = self.state.create_photo(
                token,
                parts[0],
                caption=params.get("message") or params.get("caption", ""),
                published=flag(params, "published"),
                data=upload.data if upload else None,
                filename=upload.filename if upload else None,
                mime=upload.mime if upload else None,
                url=params.get("url"),
            )
            answer = {"id": photo.id}
            if photo.post_id:
                answer["post_id"] = photo.post_id
            return answer
        if route in (("GET", "published_posts"), ("GET", "feed")):
            return self._published_posts(token, parts[0], entry, base_url)
        if route == ("GET", "node"):
            return self.state.read_object(token, parts[0], params.get("fields"))
        if route == ("DELETE", "node"):
            self.state.delete(token, parts[0])
            return {"success": True}
        raise GraphError(2500, f"Unknown path components: /{'/'.join(parts)}")

    def _debug_token(self, params: dict[str, str], token: str | None) -> dict:
        input_token = params.get("input_token")
        if not input_token:
            raise GraphError(100, "(#100) The parameter input_token is required")
        try:
            self.state.authorize(token, params.get("appsecret_proof"))
        except GraphError as exc:
            # Inspecting a broken token with itself is allowed: Graph answers 200, is_valid false.
            if not (exc.code == 190 and token == input_token):
                raise
        return {"data": self.state.debug_token(input_token)}

    def _published_posts(
        self, token: Token, page_id: str, entry: LoggedRequest, base_url: str
    ) -> dict:
        params = entry.params
        try:
            limit = min(100, max(1, int(params.get("limit", "25"))))
        except ValueError as exc:
            raise GraphError(100, "(#100) Param limit must be a number") from exc
        data, first, last, more = self.state.published_posts(
            token,
            page_id,
            fields=params.get("fields"),
            since=moment(params.get("since")),
            until=moment(params.get("until")),
            limit=limit,
            after=params.get("after"),
        )
        answer: dict[str, Any] = {"data": data}
        if first:
            answer["paging"] = {"cursors": {"before": first, "after": last}}
            if more:
                query = {k: v for k, v in params.items() if k not in ("after", "before")}
                query["after"] = last
                answer["paging"]["next"] = f"{base_url}{entry.path}?{urlencode(query)}"
        return answer
