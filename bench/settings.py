"""Benchmark settings: the project's settings unchanged, plus the bare baseline URL.

Servers under test are started with ``DJANGO_SETTINGS_MODULE=bench.settings`` so that one
process serves both the real endpoint and the baseline (``bench.urls``).
"""

from config.env import env_int
from config.settings import *  # noqa: F403
from config.settings import DATABASES

ROOT_URLCONF = "bench.urls"

# Experiment only, off unless set: persistent SQLite connections. The project's settings give
# SQLite none (CONN_MAX_AGE 0), so every request opens a connection and, being the last one to
# close, checkpoints the WAL. bench/run.sh never sets this; docs/benchmarks.md says where it was
# used to measure that cost.
_sqlite_age = env_int("BENCH_SQLITE_CONN_MAX_AGE", -1)
if _sqlite_age >= 0 and DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["CONN_MAX_AGE"] = _sqlite_age
