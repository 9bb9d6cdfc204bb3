"""Token rotation: one refresh per expiry, the new pair stored before use, never spent twice."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from channels.base import ChannelBroken, HealthReport, Transient
from channels.zalo import EXPIRES_SETTING, REFRESH_AHEAD
from tests.servers import free_port
from tests.unit.zalo.conftest import make_post


def test_expired_access_token_is_refreshed_once_and_stored_first(make_adapter, zalo, store):
    old_access, old_refresh = store.settings["access_token"], store.settings["refresh_token"]
    adapter = make_adapter()
    zalo.expire_access_tokens()
    adapter.publish(make_post())
    assert len(zalo.articles()) == 1
    assert [r["verdict"] for r in zalo.refreshes] == ["ok"]
    assert zalo.refreshes[0]["refresh_token"] == old_refresh
    [commit] = store.commits
    assert commit["access_token"] != old_access and commit["refresh_token"] != old_refresh
    assert datetime.fromisoformat(commit[EXPIRES_SETTING]) > datetime.now(UTC) + timedelta(hours=24)
    # Every call after the refresh used the stored new token.
    create = zalo.calls("/article/create")[-1]
    assert create.headers["access_token"] == store.settings["access_token"]
    [refresh_call] = zalo.calls("/v4/oa/access_token")
    assert refresh_call.headers["secret_key"] == store.settings["app_secret"]
    assert refresh_call.params["grant_type"] == "refresh_token"


def test_two_workers_never_spend_one_refresh_token(make_adapter, zalo, store):
    adapters = [make_adapter() for _ in range(4)]
    zalo.expire_access_tokens()
    zalo.delay(0.2, path_contains="/v4/oa/access_token")  # a slow refresh widens the race
    errors: list[BaseException] = []

    def run(adapter, n):
        try:
            adapter.publish(make_post(title=f"Bài {n}", publication_id=n))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(a, n)) for n, a in enumerate(adapters)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert errors == []
    assert [r["verdict"] for r in zalo.refreshes] == ["ok"]
    assert len(zalo.articles()) == 4


def test_expiry_known_ahead_refreshes_before_the_call(make_adapter, zalo, store):
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    adapter = make_adapter(settings={EXPIRES_SETTING: past})
    store.settings[EXPIRES_SETTING] = past
    adapter.publish(make_post())
    assert [r["verdict"] for r in zalo.refreshes] == ["ok"]
    # No call was made with the old token first: the refresh came before the create.
    assert zalo.requests_log[0].path == "/v4/oa/access_token"


def test_refused_refresh_breaks_the_channel_with_the_way_back(make_adapter, zalo, store):
    adapter = make_adapter()
    zalo.expire_access_tokens()
    zalo.revoke("3012345678901234567")
    with pytest.raises(ChannelBroken, match="cấp quyền lại") as caught:
        adapter.publish(make_post())
    assert zalo.articles() == []
    assert store.commits == []
    assert store.settings["refresh_token"] not in str(caught.value)


def test_lost_refresh_answer_is_asked_once_more_then_breaks(make_adapter, zalo, store):
    adapter = make_adapter()
    zalo.expire_access_tokens()
    zalo.drop_after_store(path_contains="/v4/oa/access_token")
    with pytest.raises(ChannelBroken, match="cấp quyền lại"):
        adapter.publish(make_post())
    # Zalo rotated on the dropped call; the second ask with the same token was refused.
    assert [r["verdict"] for r in zalo.refreshes] == ["ok", "reused"]
    assert zalo.articles() == []


def test_lost_refresh_answer_that_zalo_never_processed_recovers(make_adapter, zalo, store):
    adapter = make_adapter()
    zalo.expire_access_tokens()
    zalo.inject_raw(502, path_contains="/v4/oa/access_token")  # refused before serving
    adapter.publish(make_post())
    assert [r["verdict"] for r in zalo.refreshes] == ["ok"]
    assert len(zalo.articles()) == 1


def test_unreachable_oauth_host_is_transient(make_adapter, zalo, store):
    adapter = make_adapter(oauth_url=f"http://127.0.0.1:{free_port()}")
    zalo.expire_access_tokens()
    with pytest.raises(Transient):
        adapter.publish(make_post())
    assert store.commits == []


def test_check_refreshes_ahead_of_expiry(make_adapter, zalo, store):
    old_refresh = store.settings["refresh_token"]
    report = make_adapter().check()
    assert isinstance(report, HealthReport) and report.status == "ok"
    assert report.expires_at is not None and report.expires_at > datetime.now(UTC) + REFRESH_AHEAD
    assert store.settings["refresh_token"] != old_refresh
    # With a fresh token stored, the next check spends nothing.
    make_adapter(settings=dict(store.settings)).check()
    assert len(zalo.refreshes) == 1
    assert len(zalo.calls("/oa/getoa")) == 2


def test_check_of_a_revoked_app_breaks(make_adapter, zalo):
    zalo.revoke("3012345678901234567")
    with pytest.raises(ChannelBroken):
        make_adapter().check()


def test_secrets_stay_out_of_errors(make_adapter, zalo, store):
    adapter = make_adapter()
    zalo.inject_error(-201, f"echo {store.settings['access_token']}", path_contains="/create")
    with pytest.raises(Exception) as caught:
        adapter.publish(make_post())
    text = f"{caught.value} {getattr(caught.value, 'excerpt', '')}"
    assert store.settings["access_token"] not in text
