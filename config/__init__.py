"""Project configuration: settings, URLs, ASGI/WSGI entry points.

Named ``config`` rather than the design's ``platform`` because a top-level package called
``platform`` would shadow Python's standard ``platform`` module, which botocore and pytest import.
"""
