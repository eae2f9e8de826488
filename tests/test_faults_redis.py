"""Redis failing while learners study: a private redis-server, owned by the test, is the
platform's cache and channel layer (as REDIS_URL makes it), and is killed, frozen and restarted
between heartbeats.

What a learner and an operator notice: every heartbeat is still answered at once and credited
(the credit is in the database); the live pushes stop, and the outage is logged once, not once
per heartbeat; when Redis is back, the pushes reach the open connections again. Redis on the
heartbeat path is the channel layer's publish (``progress.notify``, off the request's thread);
the cache has short socket time limits (``config.redis_cache``) so that a hung Redis costs a
cache call a second, never a request held forever.
"""

import asyncio
import logging
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest
import redis
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.core.cache import caches
from rest_framework.test import APIClient

from api.tokens import token_issue
from config.asgi import application  # set up here: django.setup() reconfigures logging (caplog)
from progress import notify
from tests.factories import LearnerFactory, enroll, make_course
from tests.progress_helpers import Player, send

# serialized_rollback keeps the rows that migrations create (Wagtail's root page and locale).
pytestmark = [
    pytest.mark.faults,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.asyncio,
]

REQUEST_TIME_LIMIT = 2.0  # seconds: a heartbeat is answered within this even with Redis down


class PrivateRedis:
    """A redis-server of the test's own on a free port (the shared one is never touched)."""

    def __init__(self):
        executable = shutil.which("redis-server")
        if executable is None:
            pytest.skip("redis-server is not installed")
        self.executable = executable
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.executable,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis.from_url(self.url, socket_timeout=0.5).ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        pytest.fail("the private redis-server did not start within 10 s")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def freeze(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)


@pytest.fixture
def private_redis():
    server = PrivateRedis()
    server.start()
    yield server
    if server.process is not None:
        server.thaw()
    server.kill()


@pytest.fixture
def platform_on_private_redis(private_redis, settings):
    """The cache and the channel layer on the private Redis, as config/settings.py builds them
    from REDIS_URL (Django rebuilds its caches when CACHES changes; the channel layers are
    rebuilt on first use after ``backends.clear()``)."""
    original_caches = settings.CACHES
    cache = {"BACKEND": "config.redis_cache.RedisCache", "LOCATION": private_redis.url, "KEY_PREFIX": "zbjn"}
    settings.CACHES = {"default": cache, "shared": cache}
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [private_redis.url], "prefix": "zbjn"},
        }
    }
    channel_layers.backends.clear()
    notify._pusher._dropped = 0  # the process's push loop outlives tests: no outage carried over
    yield private_redis
    channel_layers.backends.clear()
    settings.CACHES = original_caches  # before conftest's clean-up clears the caches


@pytest.fixture
def studying(db):
    learner = LearnerFactory()
    course = make_course(lessons=1, duration=600)
    enroll(learner, course)
    token = token_issue(learner.user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client, course.lessons.get(), token


async def heartbeat(client, events: list[dict]) -> dict:
    """Send events as the player does; the answer must come at once and accept them."""
    started = time.monotonic()
    response = await sync_to_async(send)(client, events)
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.content
    assert elapsed < REQUEST_TIME_LIMIT, f"a heartbeat took {elapsed:.1f} s"
    assert [result["status"] for result in response.json()["results"]] == ["accepted"] * len(events)
    return response.json()


async def credited_seconds(client, lesson) -> int:
    response = await sync_to_async(client.get)(f"/api/v1/progress/lessons/{lesson.pk}/")
    return response.json()["credited_seconds"]


async def connected_socket(token: str) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, f"/ws/progress/?token={token}")
    connected, _ = await communicator.connect()
    assert connected
    return communicator


def push_log(caplog, text: str) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name == "progress.notify" and text in record.getMessage()
    ]


async def eventually(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.1)
    return condition()


async def test_heartbeats_are_credited_while_redis_is_down_and_pushes_return_with_it(
    platform_on_private_redis, studying, caplog
):
    caplog.set_level(logging.INFO, logger="progress.notify")
    client, lesson, token = await sync_to_async(lambda: studying)()
    player = Player(lesson.pk, "app")
    phone = await connected_socket(token)

    await heartbeat(client, [player.play(0, 0), player.beat(20, 20)])
    push = await phone.receive_json_from(timeout=5)
    assert (push["type"], push["credited_seconds"]) == ("progress", 20)

    platform_on_private_redis.kill()
    for position in (40, 60, 80):
        answer = await heartbeat(client, [player.beat(position, position)])
        assert answer["progress"][0]["credited_seconds"] == position
    assert await credited_seconds(client, lesson) == 80  # read back from the database
    assert await phone.receive_nothing(timeout=1)  # the pushes are dropped, not queued for ever
    assert await eventually(lambda: push_log(caplog, "live pushes failing"))
    await asyncio.sleep(0.5)  # the other two failed pushes are behind it in the queue
    failures = push_log(caplog, "live pushes failing")
    assert len(failures) == 1, "an outage is logged once, not per heartbeat"
    assert failures[0].levelname == "ERROR" and failures[0].exc_info is not None

    platform_on_private_redis.start()  # the same address, empty: subscriptions must be renewed
    # The held connection's subscriber reconnects on its own (about a second later: it retries
    # once a second); heartbeats go on meanwhile, and a push reaches it again within seconds.
    push, deadline, position = None, time.monotonic() + 15, 80
    while push is None and time.monotonic() < deadline:
        position += 20
        await heartbeat(client, [player.beat(position, position)])
        # receive_nothing, not a receive that times out: a timed-out receive ends the consumer.
        if not await phone.receive_nothing(timeout=2):
            push = await phone.receive_json_from()
    assert push is not None, "no push reached the open connection after Redis returned"
    assert push["type"] == "progress" and push["credited_seconds"] in range(100, position + 1, 20)
    assert await credited_seconds(client, lesson) == position
    recovered = push_log(caplog, "live pushes work again")
    assert len(recovered) == 1
    dropped = int(re.search(r"(\d+) pushes were dropped", recovered[0].getMessage()).group(1))
    assert dropped >= 3  # the three sent while Redis was down (and any sent before it was back)
    await phone.disconnect()


async def test_a_hung_redis_holds_neither_heartbeats_nor_cache_calls(platform_on_private_redis, studying):
    client, lesson, _token = await sync_to_async(lambda: studying)()
    player = Player(lesson.pk, "pc")
    await heartbeat(client, [player.play(0, 0)])

    platform_on_private_redis.freeze()  # accepts connections, answers nothing (a stalled host)
    for position in (20, 40):
        await heartbeat(client, [player.beat(position, position)])
    assert await credited_seconds(client, lesson) == 40

    # A cache call fails within the cache's socket time limit instead of waiting for ever.
    outcome: dict = {}

    def cache_call():
        started = time.monotonic()
        try:
            caches["default"].get("any-key")
        except redis.RedisError as error:
            outcome["error"] = error
        outcome["elapsed"] = time.monotonic() - started

    worker = threading.Thread(target=cache_call, daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "a cache call hung on the frozen Redis"
    assert isinstance(outcome.get("error"), redis.TimeoutError)
    assert outcome["elapsed"] < REQUEST_TIME_LIMIT

    platform_on_private_redis.thaw()
    await heartbeat(client, [player.beat(60, 60)])
    assert await credited_seconds(client, lesson) == 60
