"""The progress side's Prometheus metrics (exported by config.metrics at ``/metrics``).

Label values are bounded: an event's outcome and its channel from the contract's list (whatever
else a client sends counts as "other").
"""

from collections import Counter as Tally

from prometheus_client import Counter, Gauge

from progress.models import Channel

_CHANNELS = frozenset(Channel.values)

PROGRESS_EVENTS = Counter(
    "zbjn_progress_events_total", "Progress events received, by outcome and channel", ["status", "channel"]
)
# livesum: under gunicorn/daphne with PROMETHEUS_MULTIPROC_DIR, the open connections of the live
# processes, summed.
WEBSOCKETS_OPEN = Gauge(
    "zbjn_websocket_connections_open", "Open progress WebSocket connections", multiprocess_mode="livesum"
)


def _channel_label(raw) -> str:
    channel = raw.get("channel") if isinstance(raw, dict) else None
    # Only a string can name a channel (a client may send a list or an object: unhashable).
    return channel if isinstance(channel, str) and channel in _CHANNELS else "other"


def batch_events_count(raw_events: list, results: list[dict]) -> None:
    """Count one batch's events by outcome (accepted, duplicate, rejected) and channel: one
    increment per pair, not per event."""
    tally = Tally(
        (result.get("status", "rejected"), _channel_label(raw))
        for raw, result in zip(raw_events, results, strict=False)
    )
    for (status, channel), count in tally.items():
        PROGRESS_EVENTS.labels(status, channel).inc(count)
