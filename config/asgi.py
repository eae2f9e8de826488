"""ASGI entry point: HTTP through Django, WebSockets through Channels (served by daphne)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402  (needs Django set up first)

from api.websocket_auth import TokenOrSessionAuth  # noqa: E402
from config.observability import RequestIdWebsocketMiddleware  # noqa: E402
from config.startup import freeze_startup_objects  # noqa: E402
from progress.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # One request id per connection, for every line its consumer logs.
        "websocket": RequestIdWebsocketMiddleware(TokenOrSessionAuth(URLRouter(websocket_urlpatterns))),
    }
)

freeze_startup_objects()
