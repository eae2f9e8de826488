"""``/ws/progress/``: progress pushed to all of a learner's connections, takeover to the superseded."""

import os

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator

from api.tokens import token_issue
from progress.services import events_record
from tests.factories import LearnerFactory, enroll, make_course
from tests.progress_helpers import Player

# serialized_rollback keeps the rows that migrations create (Wagtail's root page and locale).
pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.asyncio]

LAYERS = {
    "memory": {"BACKEND": "channels.layers.InMemoryChannelLayer"},
    "redis": {  # as config/settings.py configures it with REDIS_URL
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {
            "hosts": [os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")],
            "prefix": "zbjn-test",
        },
    },
}


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def layer(request, settings):
    settings.CHANNEL_LAYERS = {"default": LAYERS[request.param]}
    channel_layers.backends.clear()
    yield request.param
    channel_layers.backends.clear()


@pytest.fixture
def setup(db):
    learner = LearnerFactory()
    course = make_course(lessons=1, duration=600)
    enroll(learner, course)
    token = token_issue(learner.user)
    return learner, course.lessons.get(), token


def application():
    from config.asgi import application

    return application


async def connect(path, headers=None):
    communicator = WebsocketCommunicator(application(), path, headers=headers or [])
    connected, _ = await communicator.connect()
    return communicator, connected


async def test_progress_reaches_every_connection_of_the_learner(layer, setup):
    learner, lesson, key = await sync_to_async(lambda: setup)()
    phone, ok1 = await connect(f"/ws/progress/?token={key}")
    desk, ok2 = await connect(f"/ws/progress/?token={key}")
    assert ok1 and ok2
    p = Player(lesson.pk, "app")
    await sync_to_async(events_record)(learner=learner, raw_events=[p.play(0, 0), p.beat(20, 20)])
    for connection in (phone, desk):
        message = await connection.receive_json_from(timeout=5)
        assert message["type"] == "progress"
        assert message["lesson"] == lesson.pk
        assert message["credited_seconds"] == 20
        assert message["position"] == 20
        assert message["channel"] == "app"
    await phone.disconnect()
    await desk.disconnect()


async def test_a_takeover_is_pushed_naming_the_superseded_session(layer, setup):
    learner, lesson, key = await sync_to_async(lambda: setup)()
    socket, ok = await connect(f"/ws/progress/?token={key}")
    assert ok
    pc = Player(lesson.pk, "pc")
    app = Player(lesson.pk, "app", base=pc.base)
    await sync_to_async(events_record)(learner=learner, raw_events=[pc.play(0, 0), pc.beat(20, 20)])
    assert (await socket.receive_json_from(timeout=5))["type"] == "progress"
    await sync_to_async(events_record)(learner=learner, raw_events=[app.play(20, 30)])
    messages = [await socket.receive_json_from(timeout=5) for _ in range(2)]
    takeover = next(m for m in messages if m["type"] == "takeover")
    assert takeover == {"type": "takeover", "session": pc.session, "channel": "app"}
    await socket.disconnect()


async def test_another_learner_hears_nothing(layer, setup):
    learner, lesson, key = await sync_to_async(lambda: setup)()
    stranger = await sync_to_async(LearnerFactory)()
    stranger_key = await sync_to_async(token_issue)(stranger.user)
    socket, ok = await connect(f"/ws/progress/?token={stranger_key}")
    assert ok
    await sync_to_async(events_record)(learner=learner, raw_events=[Player(lesson.pk).play(0, 0)])
    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()


async def test_anonymous_and_bad_tokens_are_refused(setup):
    _, connected = await connect("/ws/progress/")
    assert not connected
    _, connected = await connect("/ws/progress/?token=not-a-token")
    assert not connected


async def test_the_web_page_connects_with_its_session_cookie_from_an_allowed_origin(setup):
    from django.test import Client

    learner, lesson, _ = await sync_to_async(lambda: setup)()
    client = Client()
    await sync_to_async(client.force_login)(learner.user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    socket, ok = await connect("/ws/progress/", [(b"cookie", cookie), (b"origin", b"http://127.0.0.1:8000")])
    assert ok
    await socket.disconnect()
    _, ok = await connect("/ws/progress/", [(b"cookie", cookie), (b"origin", b"https://evil.example")])
    assert not ok
