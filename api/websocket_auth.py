"""WebSocket authentication for ``/ws/progress/`` (the HTTP API's is in ``api.authentication``).

The app connects with ``?token=<token>`` (no cookies, and often no Origin header); the web pages
connect with the session cookie, and for them the Origin is checked against ALLOWED_HOSTS so
another site cannot open a socket with the learner's cookie.
"""

from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import AllowedHostsOriginValidator
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from knox.crypto import hash_token
from knox.models import AuthToken


@database_sync_to_async
def _user_for_token(key: str):
    """The user of an unexpired API token (django-rest-knox: looked up by its digest)."""
    token = AuthToken.objects.select_related("user").filter(digest=hash_token(key)).first()
    if token is None or not token.user.is_active or (token.expiry and token.expiry <= timezone.now()):
        return AnonymousUser()
    return token.user


class TokenOrSessionAuth:
    def __init__(self, inner):
        self.inner = inner
        self.session_stack = AllowedHostsOriginValidator(AuthMiddlewareStack(inner))

    async def __call__(self, scope, receive, send):
        query = parse_qs(scope.get("query_string", b"").decode())
        token = (query.get("token") or [""])[0]
        if token:
            scope = dict(scope, user=await _user_for_token(token))
            return await self.inner(scope, receive, send)
        return await self.session_stack(scope, receive, send)
