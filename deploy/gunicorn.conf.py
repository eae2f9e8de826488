"""gunicorn settings for the web processes (zibo-web.service; bench/scale.sh uses it too).

    gunicorn -c deploy/gunicorn.conf.py config.wsgi:application

Read from the environment (/etc/zibo/env), each with a default:

- ``GUNICORN_BIND``: ``unix:/run/zibo/web.sock`` (nginx's ``zibo_web`` upstream);
- ``WEB_CONCURRENCY``: worker processes, by default one per core. Each sync worker serves one
  request at a time and uses one core at most, so more workers than cores only add memory;
- ``GUNICORN_WORKER_CLASS``: ``sync``, what bench/run.sh measured fastest for this app's short
  requests (docs/benchmarks.md). ``gthread`` with ``GUNICORN_THREADS`` > 1 lets a worker wait on
  a slow upload or S3 call without holding up the others, at some CPU cost per request;
- ``GUNICORN_TIMEOUT``: 60 s before a silent worker is killed and replaced;
- ``GUNICORN_MAX_REQUESTS``: 10,000 requests before a worker is replaced (bounds slow leaks);
- ``PROMETHEUS_MULTIPROC_DIR``: where the workers' metrics files live (config/metrics.py); it is
  emptied when the master starts, and a dead worker's gauges are removed (config/gunicorn_hooks).
"""

import contextlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
chdir = str(ROOT)
if str(ROOT) not in sys.path:  # for config.gunicorn_hooks below
    sys.path.insert(0, str(ROOT))

wsgi_app = "config.wsgi:application"
bind = [os.environ.get("GUNICORN_BIND", "unix:/run/zibo/web.sock")]
workers = int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 2)
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = max_requests // 10
# Not preloaded: each worker opens its own database pool, Redis connections and push thread after
# the fork, and a reload (SIGHUP) picks up new code.
preload_app = False
# nginx is the only client (on the unix socket or loopback); it sets X-Forwarded-Proto.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# nginx logs every request with its request id; gunicorn logs only its own events.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")
control_socket_disable = True
proc_name = "zibo-web"


def on_starting(server):
    """Empty the metrics directory: files left by a previous master would be summed with ours."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)
        for stale in Path(directory).glob("*.db"):  # only prometheus_client's files
            stale.unlink(missing_ok=True)


# The ops part's hook (prometheus_client multiprocess mode); absent in older trees.
with contextlib.suppress(ImportError):
    from config.gunicorn_hooks import child_exit  # noqa: F401
