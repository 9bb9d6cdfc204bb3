"""``GET /api/v1/channel-kinds`` and the OpenAPI enums come from the adapter registry."""

from __future__ import annotations

from channels.registry import adapters, kinds


def test_channel_kinds_lists_every_registered_adapter_with_its_settings(client, make_user):
    _, headers = make_user("editor")
    response = client.get("/api/v1/channel-kinds", headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert [row["kind"] for row in body] == kinds()
    by_kind = {row["kind"]: row for row in body}
    loudspeaker = by_kind["loudspeaker"]
    assert loudspeaker["label"] == "Loa truyền thanh xã"
    assert loudspeaker["settings"]["commune_codes"]["label"] == "Xã/phường nhận bản tin"
    assert by_kind["fanpage"]["settings"]["access_token"]["secret"] is True
    assert by_kind["webhook"]["capabilities"]["withdraw"] is False
    # Every setting of every kind carries a Vietnamese label and help, not its key.
    for cls in adapters():
        for name, spec in by_kind[cls.kind]["settings"].items():
            assert spec["label"] != name and spec["help"], (cls.kind, name)


def test_channel_kinds_needs_channels_read(client, make_user):
    assert client.get("/api/v1/channel-kinds").status_code == 401
    _, headers = make_user("operator")
    assert client.get("/api/v1/channel-kinds", headers=headers).status_code == 403


def test_the_openapi_kind_enum_is_the_registry(client):
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    assert schemas["ChannelCreate"]["properties"]["kind"]["enum"] == kinds()
    assert schemas["ChannelKind"]["properties"]["kind"]["enum"] == kinds()
