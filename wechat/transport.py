"""Every HTTP call to WeChat leaves through one ``requests`` session that sends WeChat's public
hosts to the configured base URLs.

wechatpy joins most endpoints to ``API_BASE_URL``, but writes some absolute URLs of its own (the
access-token fetch among them). Rewriting in a transport adapter catches both, so setting
``WECHAT_API_BASE_URL`` really does point *every* call at a stand-in or a proxy.
"""

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

PUBLIC_API_BASE = "https://api.weixin.qq.com/"


class RoutingAdapter(HTTPAdapter):
    """Sends ``https://api.weixin.qq.com/…`` to ``base_url…``, and passes anything else as is."""

    def __init__(self, base_url: str, **kwargs):
        self.base_url = base_url
        super().__init__(**kwargs)

    def send(self, request, **kwargs):
        # wechatpy's token fetch passes no timeout; no call to WeChat may hang a worker.
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = settings.WECHAT_HTTP_TIMEOUT
        if request.url.startswith(PUBLIC_API_BASE):
            request.url = self.base_url + request.url[len(PUBLIC_API_BASE) :]
        return super().send(request, **kwargs)


def wechat_session() -> requests.Session:
    session = requests.Session()
    adapter = RoutingAdapter(settings.WECHAT_API_BASE_URL)
    session.mount(PUBLIC_API_BASE, adapter)
    # The adapter is also the one that carries the rewritten request to the stand-in's host.
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
