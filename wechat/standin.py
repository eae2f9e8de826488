"""A stand-in for WeChat's servers, for development and tests (there is no internet here).

It answers the calls the platform makes (``WECHAT_API_BASE_URL``) and plays the browser side of
the OAuth login (``WECHAT_OPEN_BASE_URL``) as WeChat's public protocol describes them:

- ``GET  cgi-bin/token`` → an access token; an older token is then refused with 40001, as WeChat
  does (one valid token per account);
- ``GET  cgi-bin/ticket/getticket?type=jsapi`` → a JS-SDK ticket;
- ``POST cgi-bin/message/template/send``, ``cgi-bin/menu/create`` → recorded;
- ``GET  connect/oauth2/authorize`` → a page to pick the openid to log in as (or, with
  ``auto_openid`` set, straight back to ``redirect_uri`` with ``code`` and ``state``);
- ``GET  sns/oauth2/access_token`` → the openid for a code (each code once).

It is a plain WSGI application with no Django, run in a thread by the tests
(``StandIn().start()``) or on its own for ``make run``: ``python -m wechat.standin --port 8001``.
Every call is recorded in ``calls``; ``fail_next(path, errcode)`` makes the next call to a path
answer a WeChat error.
"""

import argparse
import html
import itertools
import json
import secrets
import threading
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs, urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

TOKEN_SECONDS = 7200
# Not a secret: the stand-in's fixed development credentials, printed by make run.
STANDIN_APPID = "wx-standin"
STANDIN_SECRET = "standin-secret"  # noqa: S105


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class StandIn:
    def __init__(
        self, appid=STANDIN_APPID, secret=STANDIN_SECRET, *, auto_openid=None, token_seconds=TOKEN_SECONDS
    ):
        self.appid = appid
        self.secret = secret
        self.auto_openid = auto_openid
        self.token_seconds = token_seconds
        self.calls: list[tuple[str, dict, object]] = []
        self.sent_templates: list[dict] = []
        self.menus: list[dict] = []
        self.followers = ["o-standin-demo-1", "o-standin-demo-2"]
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self._failures: dict[str, list[int]] = {}
        self._codes: dict[str, str] = {}
        self.current_token: str | None = None
        self.tokens_issued = 0
        self.tickets_issued = 0
        self._server = None
        self._thread = None

    # --- control --------------------------------------------------------------------------
    def start(self, host="127.0.0.1", port=0):
        self._server = make_server(
            host, port, self, server_class=_ThreadingServer, handler_class=_QuietHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    def fail_next(self, path: str, errcode: int, times: int = 1):
        with self._lock:
            self._failures.setdefault(path.strip("/"), []).extend([errcode] * times)

    def expire_token(self):
        """WeChat invalidated the current token early (it does, e.g. after a reset)."""
        with self._lock:
            self.current_token = None

    def calls_to(self, path: str) -> list:
        return [call for call in self.calls if call[0] == path.strip("/")]

    def issue_code(self, openid: str) -> str:
        code = "code-" + secrets.token_urlsafe(12)
        with self._lock:
            self._codes[code] = openid
        return code

    # --- WSGI -----------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "").strip("/")
        query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        body = None
        if environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(length) if length else b""
            try:
                body = json.loads(raw.decode("utf-8")) if raw else None
            except ValueError:
                body = raw
        with self._lock:
            self.calls.append((path, query, body))
            queued = self._failures.get(path)
            failure = queued.pop(0) if queued else None
        if failure is not None:
            return self._json(start_response, {"errcode": failure, "errmsg": f"stand-in failure {failure}"})
        handler = self.ROUTES.get(path)
        if handler is None:
            return self._json(
                start_response, {"errcode": 40066, "errmsg": "invalid url"}, status="404 Not Found"
            )
        return handler(self, start_response, query, body)

    @staticmethod
    def _json(start_response, payload, status="200 OK"):
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        start_response(status, [("Content-Type", "application/json; charset=utf-8")])
        return [data]

    def _token_error(self, query):
        token = query.get("access_token")
        if not token or token != self.current_token:
            return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
        return None

    def _token(self, start_response, query, body):
        if query.get("appid") != self.appid or query.get("secret") != self.secret:
            return self._json(start_response, {"errcode": 40013, "errmsg": "invalid appid"})
        with self._lock:
            self.tokens_issued += 1
            self.current_token = f"TOKEN-{self.tokens_issued}-{secrets.token_hex(4)}"
            token = self.current_token
        return self._json(start_response, {"access_token": token, "expires_in": self.token_seconds})

    def _ticket(self, start_response, query, body):
        error = self._token_error(query)
        if error:
            return self._json(start_response, error)
        with self._lock:
            self.tickets_issued += 1
            ticket = f"TICKET-{self.tickets_issued}"
        return self._json(
            start_response, {"errcode": 0, "errmsg": "ok", "ticket": ticket, "expires_in": 7200}
        )

    def _template_send(self, start_response, query, body):
        error = self._token_error(query)
        if error:
            return self._json(start_response, error)
        with self._lock:
            self.sent_templates.append(body)
            msgid = next(self._counter)
        return self._json(start_response, {"errcode": 0, "errmsg": "ok", "msgid": msgid})

    def _menu_create(self, start_response, query, body):
        error = self._token_error(query)
        if error:
            return self._json(start_response, error)
        with self._lock:
            self.menus.append(body)
        return self._json(start_response, {"errcode": 0, "errmsg": "ok"})

    def _authorize(self, start_response, query, body):
        redirect_uri = query.get("redirect_uri", "")
        state = query.get("state", "")
        if query.get("appid") != self.appid or not redirect_uri:
            start_response("400 Bad Request", [("Content-Type", "text/plain; charset=utf-8")])
            return ["appid 或 redirect_uri 无效".encode()]
        chosen = query.get("openid") or self.auto_openid
        if chosen:
            code = self.issue_code(chosen)
            joiner = "&" if "?" in redirect_uri else "?"
            start_response(
                "302 Found",
                [("Location", f"{redirect_uri}{joiner}{urlencode({'code': code, 'state': state})}")],
            )
            return [b""]
        # A page standing in for WeChat's consent screen: pick who is "in WeChat".
        links = "".join(
            f'<li><a href="?{html.escape(urlencode({**query, "openid": openid}))}">{html.escape(openid)}</a></li>'
            for openid in self.followers
        )
        page = (
            "<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>"
            "<title>微信授权（模拟）</title><h1>微信授权（模拟）</h1>"
            f"<p>以哪个微信用户（openid）进入？</p><ul>{links}</ul>"
            "<form><input name=openid placeholder=openid>"
            + "".join(
                f'<input type=hidden name="{html.escape(k)}" value="{html.escape(v)}">'
                for k, v in query.items()
                if k != "openid"
            )
            + "<button>授权</button></form>"
        )
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [page.encode("utf-8")]

    def _code_exchange(self, start_response, query, body):
        if query.get("appid") != self.appid or query.get("secret") != self.secret:
            return self._json(start_response, {"errcode": 40013, "errmsg": "invalid appid"})
        with self._lock:
            openid = self._codes.pop(query.get("code", ""), None)
        if openid is None:
            return self._json(start_response, {"errcode": 40029, "errmsg": "invalid code"})
        return self._json(
            start_response,
            {
                "access_token": "web-" + secrets.token_hex(6),
                "expires_in": 7200,
                "refresh_token": "r",
                "openid": openid,
                "scope": "snsapi_base",
            },
        )

    ROUTES = {
        "cgi-bin/token": _token,
        "cgi-bin/ticket/getticket": _ticket,
        "cgi-bin/message/template/send": _template_send,
        "cgi-bin/menu/create": _menu_create,
        "connect/oauth2/authorize": _authorize,
        "sns/oauth2/access_token": _code_exchange,
    }


def main():
    parser = argparse.ArgumentParser(description="A stand-in for WeChat's servers (development only).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--appid", default=STANDIN_APPID)
    parser.add_argument("--secret", default=STANDIN_SECRET)
    args = parser.parse_args()
    standin = StandIn(args.appid, args.secret).start(args.host, args.port)
    print(f"WeChat stand-in on {standin.base_url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        standin.stop()


if __name__ == "__main__":
    main()
