"""Gunicorn server hooks for Prometheus's multiprocess mode (config/metrics.py).

deploy/gunicorn.conf.py imports them (``from config.gunicorn_hooks import child_exit``). Without
``child_exit`` a dead worker's live gauges (open WebSocket connections) would keep counting.
"""

import os


def child_exit(server, worker):
    """Gunicorn calls this in the master when a worker exits."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
