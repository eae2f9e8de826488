"""Request ids, the access log and the HTTP metrics (docs/operations.md, "Logs" and "Metrics").

``RequestIdMiddleware`` comes first in ``MIDDLEWARE``: it serves each request under the id nginx
gave it (``X-Request-ID``) or a new one, so that every log line of the request carries it
(``common.request_id.RequestIdFilter`` on the log handler), and a task enqueued meanwhile runs
under it (``common.background``). It answers the id in ``X-Request-ID``, writes one access line
per request and counts the request for Prometheus (``config.metrics``). It works under WSGI
(gunicorn) and ASGI (daphne) alike; ``RequestIdWebsocketMiddleware`` does the same for each
WebSocket connection (``config.asgi``).
"""

import logging
import time

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.utils.functional import empty
from django.utils.log import log_response

from common import request_id
from config import metrics

access_logger = logging.getLogger("access")

HEADER = "X-Request-ID"
_META_HEADER = "HTTP_X_REQUEST_ID"


def _user_id(request) -> int | None:
    """The id of the signed-in user, when the request has already looked it up: reading
    ``request.user`` here would cost a session query for a request that never needed it."""
    user = request.__dict__.get("user")
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk if getattr(user, "is_authenticated", False) else None


def _route(request) -> str:
    """The route's name, never the raw path: label values stay few and hold no ids or tokens.
    Static and media files are answered before URL resolution (WhiteNoise, LocalMediaMiddleware)."""
    match = getattr(request, "resolver_match", None)
    if match:
        return match.view_name or "unnamed"
    if request.path.startswith(settings.STATIC_URL):
        return "static"
    if request.path.startswith(settings.MEDIA_URL):
        return "media"
    return "unmatched"


def _finish(request, response, started: float, rid: str) -> None:
    seconds = time.perf_counter() - started
    if response.status_code >= 400:
        # What Django's handler would log after the middleware (a 404 a view returned rather
        # than raised), logged here while the request's id is still bound; log_response marks
        # the response so that the handler does not log it twice.
        log_response("%s: %s", response.reason_phrase, request.path, response=response, request=request)
    route = _route(request)
    metrics.http_request_observe(request.method, route, response.status_code, seconds)
    response[HEADER] = rid
    access_logger.info(
        "%s %s %s %.1fms",
        request.method,
        request.path,  # without the query string: it may hold tokens or codes
        response.status_code,
        seconds * 1000,
        extra={
            "method": request.method,
            "path": request.path,
            "route": route,
            "status": response.status_code,
            "duration_ms": round(seconds * 1000, 1),
            "user_id": _user_id(request),
        },
    )


class RequestIdMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        rid = request_id.accept(request.META.get(_META_HEADER))
        token = request_id.bind(rid)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            _finish(request, response, started, rid)
            return response
        finally:
            request_id.reset(token)

    async def __acall__(self, request):
        rid = request_id.accept(request.META.get(_META_HEADER))
        token = request_id.bind(rid)
        started = time.perf_counter()
        try:
            response = await self.get_response(request)
            _finish(request, response, started, rid)
            return response
        finally:
            request_id.reset(token)


class RequestIdWebsocketMiddleware:
    """Channels middleware: one id per WebSocket connection, taken from the handshake's
    ``X-Request-ID`` (nginx sets it) or new, bound while the connection's consumer runs."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        header = dict(scope.get("headers") or ()).get(b"x-request-id", b"")
        rid = request_id.accept(header.decode("latin-1"))
        token = request_id.bind(rid)
        try:
            return await self.inner({**scope, "request_id": rid}, receive, send)
        finally:
            request_id.reset(token)
