"""Shared by the browser tests: Chromium via Playwright, device profiles, screenshots."""

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
VIDEO = ROOT / "demo" / "media" / "care-1.mp4"
WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN"
)
# Zibo's learners: browsers that ask for Chinese (the pages follow Accept-Language; English
# is one click away in the language switcher).
# How every browser test launches Chromium (headless in a container, videos may autoplay).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]

DESKTOP = {"viewport": {"width": 1366, "height": 768}, "locale": "zh-CN"}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "user_agent": WECHAT_UA,
    "locale": "zh-CN",
    "is_mobile": True,
    "has_touch": True,
}


def media_through_the_app(monkeypatch) -> None:
    """Send the live server's media requests to the application, as under ``make run``, where
    ``config.media.LocalMediaMiddleware`` answers them with byte ranges. pytest-django's live
    server otherwise answers them itself, before any middleware, with Django's static ``serve``
    view: whole files only, in which Chromium cannot seek."""
    from django.test.testcases import _MediaFilesHandler

    monkeypatch.setattr(_MediaFilesHandler, "_should_handle", lambda self, path: False)


def wait_until(page, expression: str, arg=None, timeout: float = 15000):
    """Playwright's ``wait_for_function``, polled from the test: the expression (or function
    text) is evaluated through DevTools (``page.evaluate``) until it is truthy. Playwright's own
    in-page polling compiles the string with eval, which the pages' Content-Security-Policy (no
    'unsafe-eval') refuses whenever the condition is not already true at the first check.
    ``page`` may be a page or a frame; ``timeout`` is in milliseconds, as Playwright's."""
    import time

    deadline = time.monotonic() + timeout / 1000
    while True:
        value = page.evaluate(expression, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"still false after {timeout / 1000:.0f} s: {expression}")
        time.sleep(0.1)
