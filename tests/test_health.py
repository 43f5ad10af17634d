"""GET /api/health on the web tier: every service behind the page, and which one is down."""

from __future__ import annotations


import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from asbcr.stack import free_port
from tests.run_async import run_async
from web import server


def stand_in(path: str, status: int = 200) -> web.Application:
    async def answer(request):
        return web.json_response({"status": "ok"}, status=status)

    app = web.Application()
    app.router.add_get(path, answer)
    return app


async def health_behind(rasa_url: str, actions_url: str):
    app = server.create_app(rasa_url=rasa_url, actions_url=actions_url)
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/api/health")
        return response.status, await response.json()


async def with_stand_ins(rasa_status: int = 200, actions_up: bool = True):
    async with TestServer(stand_in("/", rasa_status)) as rasa:
        if not actions_up:
            return await health_behind(str(rasa.make_url("")), f"http://127.0.0.1:{free_port()}")
        async with TestServer(stand_in("/health")) as actions:
            return await health_behind(str(rasa.make_url("")), str(actions.make_url("")))


@pytest.fixture(autouse=True)
def applications_database(tmp_path, monkeypatch):
    monkeypatch.setenv("ASBCR_DATABASE_URL", f"sqlite:///{tmp_path / 'applications.db'}")
    monkeypatch.delenv("ASBCR_TRACKER_URL", raising=False)
    monkeypatch.delenv("ASBCR_LOCK_URL", raising=False)


def test_all_up_is_200_with_every_check_named():
    status, body = run_async(with_stand_ins(), timeout=30)
    assert status == 200, body
    assert body == {
        "status": "ok",
        "down": [],
        "checks": {"page": "ok", "rasa": "ok", "action_server": "ok", "applications_database": "ok"},
    }


def test_a_dead_action_server_is_named_while_rasa_answers():
    status, body = run_async(with_stand_ins(actions_up=False), timeout=30)
    assert status == 503
    assert body["down"] == ["action_server"] and body["checks"]["rasa"] == "ok"


def test_rasa_answering_an_error_is_down():
    status, body = run_async(with_stand_ins(rasa_status=500), timeout=30)
    assert (status, body["down"]) == (503, ["rasa"])


def test_an_unreachable_applications_database_is_named(monkeypatch, tmp_path):
    from casework import db

    db.dispose_all()
    monkeypatch.setenv("ASBCR_DATABASE_URL", f"sqlite:///{tmp_path / 'no-such-folder' / 'x' / 'applications.db'}")
    (tmp_path / "no-such-folder").write_text("a file where the folder should be")
    try:
        status, body = run_async(with_stand_ins(), timeout=30)
    finally:
        db.dispose_all()
    assert (status, body["down"]) == (503, ["applications_database"])


def test_configured_tracker_and_lock_stores_are_checked(monkeypatch):
    monkeypatch.setenv("ASBCR_TRACKER_URL", f"postgresql://nobody@127.0.0.1:{free_port()}/tracker")
    monkeypatch.setenv("ASBCR_LOCK_URL", f"redis://127.0.0.1:{free_port()}/0")
    status, body = run_async(with_stand_ins(), timeout=30)
    assert status == 503
    assert sorted(body["down"]) == ["lock_store", "tracker_store"]


def test_a_real_redis_lock_store_answers(monkeypatch):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis is not reachable: {error}")
    monkeypatch.setenv("ASBCR_LOCK_URL", "redis://127.0.0.1:6379/0")
    status, body = run_async(with_stand_ins(), timeout=30)
    assert (status, body["checks"]["lock_store"]) == (200, "ok"), body


def test_a_real_postgresql_tracker_store_answers(monkeypatch):
    psycopg2 = pytest.importorskip("psycopg2")
    url = "postgresql://postgres@127.0.0.1:5432/test"
    try:
        psycopg2.connect(url, connect_timeout=3).close()
    except psycopg2.OperationalError as error:
        pytest.skip(f"PostgreSQL is not reachable: {error}")
    monkeypatch.setenv("ASBCR_TRACKER_URL", url)
    status, body = run_async(with_stand_ins(), timeout=30)
    assert (status, body["checks"]["tracker_store"]) == (200, "ok"), body
