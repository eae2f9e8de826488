"""The platform's WeChat client: wechatpy's, with the shared credentials and the routed session.

``wechat_client()`` is what every caller uses; ``oauth_client()`` serves the web login.
"""

from django.conf import settings
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.oauth import WeChatOAuth

from wechat.credentials import SharedCredential
from wechat.transport import wechat_session

# WeChat's answers that mean "this access token is not (or no longer) valid".
TOKEN_REFUSED = {40001, 40014, 42001}


class PlatformClient(WeChatClient):
    API_BASE_URL = "https://api.weixin.qq.com/cgi-bin/"  # routed by wechat.transport

    def __init__(self):
        super().__init__(
            settings.WECHAT_APP_ID,
            settings.WECHAT_APP_SECRET,
            timeout=settings.WECHAT_HTTP_TIMEOUT,
            # wechatpy's own retry refreshes without a lock in every process; ours is below.
            auto_retry=False,
        )
        self._http = wechat_session()
        self.token = SharedCredential(self.appid, "access_token", self._fetch_token)
        self.jsapi_ticket = SharedCredential(self.appid, "jsapi_ticket", self._fetch_jsapi_ticket)

    # wechatpy reads the token through this property before each call.
    @property
    def access_token(self):
        return self.token.get()

    def fetch_access_token(self):
        raise NotImplementedError("access tokens are refreshed through wechat.credentials")

    def _fetch_token(self) -> tuple[str, int]:
        result = self._fetch_access_token(
            url="https://api.weixin.qq.com/cgi-bin/token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )
        return result["access_token"], int(result.get("expires_in", 7200))

    def _fetch_jsapi_ticket(self) -> tuple[str, int]:
        result = self.jsapi.get_ticket("jsapi")
        return result["ticket"], int(result.get("expires_in", 7200))

    def _request(self, method, url_or_endpoint, **kwargs):
        params = dict(kwargs.pop("params", None) or {})
        token = params.get("access_token") or self.access_token
        params["access_token"] = token
        try:
            return super()._request(method, url_or_endpoint, params=params, **kwargs)
        except WeChatClientException as exc:
            if exc.errcode not in TOKEN_REFUSED:
                raise
            # One retry with the token another process (or this one) fetched; never a storm.
            params["access_token"] = self.token.invalidate(token)
            if params["access_token"] == token:
                raise
            return super()._request(method, url_or_endpoint, params=params, **kwargs)

    # The session storage of wechatpy is unused: nothing reads self.session for the token.


def wechat_client() -> PlatformClient:
    return PlatformClient()


def oauth_client(redirect_uri: str, state: str) -> WeChatOAuth:
    client = WeChatOAuth(
        settings.WECHAT_APP_ID, settings.WECHAT_APP_SECRET, redirect_uri, scope="snsapi_base", state=state
    )
    client._http = wechat_session()  # wechatpy's session attribute: route the code exchange too
    return client


def enabled() -> bool:
    return bool(settings.WECHAT_APP_ID)
