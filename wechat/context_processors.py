"""What every page knows of the WeChat end (config/settings.py, TEMPLATES)."""

from wechat.client import enabled
from wechat.login import in_wechat, pending_openid


def wechat(request):
    """``wechat_enabled``: the WeChat end is on (pages hide its features otherwise);
    ``in_wechat``: the page is opened in WeChat's browser (its lesson pages send channel
    ``wechat``); ``wechat_pending``: an openid waits to be bound by the next login."""
    on = enabled()
    session = getattr(request, "session", None)
    return {
        "wechat_enabled": on,
        "in_wechat": on and in_wechat(request),
        # Read only by the pages that ask (the session is not touched otherwise).
        "wechat_pending": lambda: bool(on and session is not None and pending_openid(session)),
    }
