"""What a server process does once Django is loaded, before it serves requests."""

import gc

from django.urls import get_resolver


def freeze_startup_objects() -> None:
    """Load every view module now (through the URLconf), then move all the objects loaded so far
    — modules, classes, settings, Wagtail's registries: several hundred thousand — out of the
    garbage collector's reach (``gc.freeze``). They live as long as the process anyway, and a
    full collection walking them paused a worker for up to 170 ms every thousand heartbeats or
    so, which every queued request waited out; frozen, the longest pause measured 35 ms
    (docs/benchmarks.md)."""
    get_resolver().url_patterns  # noqa: B018  (imports the URLconf and the views it names)
    gc.freeze()
