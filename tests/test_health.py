import pytest

pytestmark = pytest.mark.django_db


def test_healthz_says_the_process_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_stays_200_when_the_channel_layer_fails_and_readyz_says_503(client, settings):
    """Liveness must not fail with a service (a restart would mend nothing); readiness names it
    (tests/test_readiness.py)."""
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",  # as with REDIS_URL
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    channel_layers.backends.clear()
    try:
        health = client.get("/healthz")
        ready = client.get("/readyz")
    finally:
        channel_layers.backends.clear()
    assert health.status_code == 200
    assert ready.status_code == 503
    assert ready.json()["checks"]["channel_layer"]["status"] == "error"
    assert ready.json()["checks"]["database"]["status"] == "ok"
