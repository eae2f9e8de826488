"""The web login from inside WeChat (OAuth 2.0, ``snsapi_base``), binding, and the JS-SDK
configuration (shared/contract/wechat.md, "Web login from WeChat").

1. ``oauth_start`` keeps a one-time ``state`` (with the ``next`` page) in this browser's session
   and sends the browser to WeChat's authorisation page.
2. WeChat sends the browser back to ``oauth_callback`` with ``code`` and ``state``. A ``state``
   that is missing or not this browser's is refused before WeChat is called. The code is
   exchanged for the openid.
3. An openid bound to an active learner logs that learner in (the PC web's session). An unbound
   openid waits in the session ("pending") while the learner logs in or registers; the login
   binds it (``wechat.receivers``). A logged-in learner is bound at once.

The redirect URI is built from the request (its host and scheme), not from ``SITE_URL``: the
state lives in the session, whose cookie belongs to the host the browser is on, so WeChat must
send the browser back to that same host. The host is one of ``ALLOWED_HOSTS`` (Django refuses
others) and the scheme follows ``SECURE_PROXY_SSL_HEADER`` behind the proxy; WeChat itself only
accepts a redirect URI on the domain registered in the official account's back office.
"""

import hmac
import logging
import secrets
import time
from functools import wraps
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from wechatpy.exceptions import WeChatException

from common.rate_limit import RateLimit
from wechat.client import enabled, oauth_client, wechat_client
from wechat.credentials import CredentialUnavailable
from wechat.services import BindingRefused, binding_create, binding_learner, binding_remove

logger = logging.getLogger(__name__)

# The backend a learner found by openid is logged in with: the platform's one backend.
AUTH_BACKEND = "learners.login_guard.GuardedModelBackend"
# Each role's own home (portal.homes): a WeChat-bound learner lands on 我的学习.
DEFAULT_NEXT = "/home/"

# --- What the web login keeps in the browser's session: every key is named here -------------
# {state: {"next": path, "expires": epoch seconds}}: the states this browser was given.
SESSION_STATES = "wechat.oauth_states"
# {"openid": ..., "expires": ...}: an openid bound to nobody, waiting for a login.
SESSION_PENDING = "wechat.pending_openid"
# epoch seconds: until then the login page shows the password form even inside WeChat.
SESSION_FORM_LOGIN = "wechat.form_login_until"

# Set on the request by a login whose pending binding was refused (wechat.receivers): the
# browser is then sent to the profile page, which says why (wechat.login_page).
BIND_REFUSED_ATTRIBUTE = "wechat_binding_refused"

STATE_SECONDS = 10 * 60  # WeChat's code lives 5 minutes; a state a little longer
STATES_KEPT = 5  # a few tabs may start the login at once
PENDING_SECONDS = 30 * 60
FORM_LOGIN_SECONDS = 15 * 60

# Whatever a call to WeChat can end in besides an answer: an error code, a network error or a
# timeout, an answer that is not JSON or lacks the openid, no token to be had.
WECHAT_FAILURES = (WeChatException, requests.RequestException, CredentialUnavailable, ValueError, KeyError)
# WeChat's answers about the code itself (invalid, already used, missing): the browser's fault.
CODE_REFUSED = {40029, 40163, 41008}


def in_wechat(request) -> bool:
    """The page is opened inside WeChat (its in-app browser) and the WeChat end is on."""
    return enabled() and "micromessenger" in request.META.get("HTTP_USER_AGENT", "").lower()


def pending_openid(session) -> str | None:
    pending = session.get(SESSION_PENDING)
    if not pending or pending.get("expires", 0) < time.time():
        return None
    return pending.get("openid") or None


def pending_take(session) -> str | None:
    """The pending openid, removed from the session (it is used once)."""
    openid = pending_openid(session)
    session.pop(SESSION_PENDING, None)
    return openid


def form_login_chosen(session) -> bool:
    return session.get(SESSION_FORM_LOGIN, 0) >= time.time()


def only_when_enabled(view):
    """Without ``WECHAT_APP_ID`` the view does not exist (404), whatever the method or user."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not enabled():
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def _safe_next(request, value) -> str:
    """A path of this site to land on; anything else (another host, a scheme, the login pages
    themselves, which would loop) gives the default."""
    if (
        not value
        or not value.startswith("/")
        or any(ord(char) < 32 or char.isspace() for char in value)
        or not url_has_allowed_host_and_scheme(value, allowed_hosts=set(), require_https=request.is_secure())
    ):
        return DEFAULT_NEXT
    path = value.split("?", 1)[0]
    if path in {reverse("login"), reverse("wechat:oauth-start"), reverse("wechat:oauth-callback")}:
        return DEFAULT_NEXT
    return value


def _login_url(next_url: str) -> str:
    return f"{reverse('login')}?{urlencode({'next': next_url})}"


def _problem(request, status, title, message, next_url=DEFAULT_NEXT, retry=True):
    """A page that says what went wrong and offers the way on: try WeChat again, or log in with
    the password (the login page then shows its form, even inside WeChat)."""
    request.session[SESSION_FORM_LOGIN] = time.time() + FORM_LOGIN_SECONDS
    context = {
        "title": title,
        "message": message,
        "retry_url": f"{reverse('wechat:oauth-start')}?{urlencode({'next': next_url})}" if retry else "",
        "login_url": "" if request.user.is_authenticated else _login_url(next_url),
        "next_url": next_url,
    }
    return TemplateResponse(request, "wechat/login_problem.html", context, status=status)


# --- The OAuth login -------------------------------------------------------------------------
@only_when_enabled
@never_cache
@require_GET
def oauth_start(request):
    next_url = _safe_next(request, request.GET.get("next", ""))
    state = secrets.token_hex(16)  # WeChat allows [a-zA-Z0-9], up to 128 bytes
    now = time.time()
    states = {
        key: value
        for key, value in (request.session.get(SESSION_STATES) or {}).items()
        if value.get("expires", 0) >= now
    }
    states[state] = {"next": next_url, "expires": now + STATE_SECONDS}
    newest = sorted(states.items(), key=lambda item: item[1]["expires"])[-STATES_KEPT:]
    request.session[SESSION_STATES] = dict(newest)
    query = urlencode(
        [
            ("appid", settings.WECHAT_APP_ID),
            ("redirect_uri", request.build_absolute_uri(reverse("wechat:oauth-callback"))),
            ("response_type", "code"),
            ("scope", "snsapi_base"),
            ("state", state),
        ]
    )
    return HttpResponseRedirect(
        f"{settings.WECHAT_OPEN_BASE_URL}connect/oauth2/authorize?{query}#wechat_redirect"
    )


def _state_take(request, given: str) -> dict | None:
    """This browser's entry for ``given`` (removed: a state is used once), or None."""
    states = request.session.get(SESSION_STATES) or {}
    found = None
    for state in states:
        if hmac.compare_digest(state.encode(), given.encode()):
            found = state
    if found is None:
        return None
    entry = states.pop(found)
    request.session[SESSION_STATES] = states
    return entry if entry.get("expires", 0) >= time.time() else None


class LoginCallbackRate(RateLimit):
    """OAuth callbacks per client address (``WECHAT_LOGIN_RATE``): each may cost a call to WeChat,
    whose daily quota is the official account's. Lets everything through with the cache down."""

    scope = "wechat-login"
    setting = "WECHAT_LOGIN_RATE"


def _exchange(request, code: str, state: str) -> str:
    """The openid WeChat gives for ``code``."""
    client = oauth_client(request.build_absolute_uri(reverse("wechat:oauth-callback")), state)
    result = client.fetch_access_token(code)
    openid = result["openid"]
    if not isinstance(openid, str) or not openid:
        raise ValueError("WeChat answered no openid")
    return openid


@only_when_enabled
@never_cache
@require_GET
def oauth_callback(request):
    rate = LoginCallbackRate()
    if not rate.hit(request, fail_open=True):
        minutes = max(1, -(-rate.wait_seconds() // 60))
        response = _problem(
            request,
            429,
            _("登录过于频繁"),
            _("从这个网络发起的微信登录过于频繁，请%(minutes)s分钟后再从公众号菜单进入，或使用账号密码登录。")
            % {"minutes": minutes},
        )
        response["Retry-After"] = str(rate.wait_seconds())
        return response
    given = request.GET.get("state", "")
    if not given:
        return _problem(
            request,
            400,
            _("登录链接不完整"),
            _("微信返回的登录信息不完整。请从公众号菜单重新进入，或使用账号密码登录。"),
        )
    entry = _state_take(request, given)
    if entry is None:
        # Forged, replayed, expired or started in another browser: WeChat is not called.
        return _problem(
            request,
            403,
            _("登录链接已失效"),
            _("这个登录链接已用过、已过期或不是在本浏览器中发起的。请重新进入。"),
        )
    next_url = _safe_next(request, entry.get("next", ""))
    code = request.GET.get("code", "")
    if not code:
        return _problem(request, 400, _("未获得微信授权"), _("微信没有完成授权。"), next_url)
    try:
        openid = _exchange(request, code, given)
    except WECHAT_FAILURES as error:
        errcode = getattr(error, "errcode", None)
        logger.warning("WeChat OAuth code exchange failed: %s %s", type(error).__name__, errcode or "")
        if errcode in CODE_REFUSED:
            return _problem(
                request, 400, _("微信授权已失效"), _("微信的授权码无效或已使用，请重新进入。"), next_url
            )
        return _problem(
            request,
            502,
            _("暂时无法连接微信"),
            _("微信暂时没有响应，请稍后重试，或使用账号密码登录。"),
            next_url,
        )
    request.session.pop(SESSION_FORM_LOGIN, None)
    if request.user.is_authenticated:
        return _bind_signed_in(request, openid, next_url)
    learner = binding_learner(openid)
    if learner is None:
        # Bound to nobody: the learner logs in (or registers) and the login binds it.
        request.session[SESSION_PENDING] = {"openid": openid, "expires": time.time() + PENDING_SECONDS}
        return HttpResponseRedirect(_login_url(next_url))
    if not learner.user.is_active:
        return _problem(
            request,
            403,
            _("账号已停用"),
            _("与这个微信绑定的账号已停用，请联系培训机构。"),
            next_url,
            retry=False,
        )
    request.session.pop(SESSION_PENDING, None)
    login(request, learner.user, backend=AUTH_BACKEND)  # a new session key, as any login
    return HttpResponseRedirect(next_url)


def _bind_signed_in(request, openid: str, next_url: str):
    """Someone already logged in came through WeChat: bind their account, or say why not."""
    learner = getattr(request.user, "learner", None)
    if learner is None:
        return _problem(
            request, 403, _("无法绑定微信"), _("只有学员账号可以绑定微信。"), next_url, retry=False
        )
    try:
        binding_create(learner, openid)
    except BindingRefused as refusal:
        return _problem(request, 409, _("无法绑定微信"), refusal.message, next_url, retry=False)
    messages.success(request, _("已绑定您的微信，今后在微信中打开将自动登录。"))
    return HttpResponseRedirect(next_url)


# --- Unbinding -------------------------------------------------------------------------------
@only_when_enabled
@require_POST
@login_required
def unbind(request):
    learner = getattr(request.user, "learner", None)
    if learner is None:
        raise PermissionDenied(_("只有学员账号可以绑定微信。"))
    if binding_remove(learner):
        messages.success(request, _("已解除微信绑定。"))
    return HttpResponseRedirect(reverse("me:profile"))


# --- The JS-SDK configuration ----------------------------------------------------------------
def _page_of_this_site(request, url: str) -> bool:
    return url.startswith(("https://", "http://")) and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


@only_when_enabled
@never_cache
@require_GET
def jssdk_config(request):
    """``wx.config``'s values for the page at ``url`` (a page of this site), signed with the
    shared JS-SDK ticket as WeChat's JS-SDK describes: the SHA-1 of
    ``jsapi_ticket=…&noncestr=…&timestamp=…&url=…`` (keys sorted, the URL without its fragment).
    Any visitor may ask: sharing a course page needs no login, and the ticket never leaves."""
    url = request.GET.get("url", "").split("#", 1)[0]
    if not _page_of_this_site(request, url):
        return JsonResponse({"detail": _("url 须为本站页面的完整地址。")}, status=400)
    try:
        client = wechat_client()
        ticket = client.jsapi_ticket.get()
    except WECHAT_FAILURES as error:
        logger.warning("WeChat JS-SDK ticket unavailable: %s", type(error).__name__)
        return JsonResponse({"detail": _("暂时无法连接微信，请稍后再试。")}, status=502)
    nonce = secrets.token_hex(8)
    timestamp = int(time.time())
    signature = client.jsapi.get_jsapi_signature(nonce, ticket, timestamp, url)
    return JsonResponse(
        {"appId": settings.WECHAT_APP_ID, "timestamp": timestamp, "nonceStr": nonce, "signature": signature}
    )
