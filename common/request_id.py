"""The id of the request (or task) being served, for the logs.

A request keeps the id nginx gave it (``X-Request-ID``) or gets a new one
(``config.observability.RequestIdMiddleware``); a background task enqueued while serving it runs
under the same id (``common.background``), so one search of the logs finds both. Outside a
request or task the id is ``"-"``.
"""

import contextvars
import logging
import re
import uuid

_current: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
# What a client may send as its own id: short, no spaces or control characters (it is logged).
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def current() -> str:
    return _current.get()


def new_id() -> str:
    return uuid.uuid4().hex


def accept(candidate: str | None) -> str:
    """The client's id when it looks like one, otherwise a new one."""
    return candidate if candidate and _ACCEPTABLE.match(candidate) else new_id()


def bind(request_id: str) -> contextvars.Token:
    """Serve what follows under this id; ``reset(token)`` to return to the previous one."""
    return _current.set(request_id)


def reset(token: contextvars.Token) -> None:
    _current.reset(token)


class RequestIdFilter(logging.Filter):
    """Puts ``request_id`` on every log record (the formatters print it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get()
        return True
