"""Render time of the course page and the lesson page (the player) on SQLite with the demo data.

    DJANGO_DEBUG=1 .venv/bin/python bench/pages.py [requests]

Runs in-process with Django's test client (no network, no server), after migrating and seeding a
fresh SQLite database in a temporary folder; DEBUG is switched off while measuring so that query
logging does not count. Prints p50/p90/p99 in milliseconds and the queries per request.
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
workdir = tempfile.mkdtemp(prefix="zibo-pages-bench.")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["DJANGO_DEBUG"] = "1"
os.environ["SQLITE_PATH"] = f"{workdir}/db.sqlite3"
os.environ["MEDIA_ROOT"] = f"{workdir}/media"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402


def measure(client: Client, path: str, count: int) -> tuple[list[float], int]:
    client.get(path)  # warm caches (templates, Wagtail's site root)
    queries = []
    with connection.execute_wrapper(lambda execute, sql, *args: queries.append(sql) or execute(sql, *args)):
        assert client.get(path).status_code == 200, path
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return timings, len(queries)


def main(count: int) -> None:
    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    from courses.models import CoursePage

    course = CoursePage.objects.get(slug="elderly-care-advanced")
    lesson = course.lessons.get(kind="video")
    client = Client()
    from demo.seed import DEMO_LEARNER

    username, password = DEMO_LEARNER
    assert client.login(username=username, password=password)
    paths = {
        "course page (signed in)": course.url,
        "lesson page / player": f"{course.url}lessons/{lesson.pk}/",
        "home page": "/",
        "my archive (signed in)": "/me/archive/",
    }
    print(f"{'page':<26} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'queries':>8}   ({count} requests each)")
    with override_settings(DEBUG=False):
        for label, path in paths.items():
            timings, queries = measure(client, path, count)
            cuts = statistics.quantiles(timings, n=100)
            print(
                f"{label:<26} {statistics.median(timings):8.1f} {cuts[89]:8.1f} {cuts[98]:8.1f} {queries:8d}"
            )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
