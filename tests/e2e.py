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
DESKTOP = {"viewport": {"width": 1366, "height": 768}, "locale": "zh-CN"}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "user_agent": WECHAT_UA,
    "locale": "zh-CN",
    "is_mobile": True,
    "has_touch": True,
}


def serve_media_with_ranges(context, media_root: Path, media_url: str = "/media/") -> None:
    """Answer the browser's media requests as the production media origin (S3 or a CDN) does:
    with byte ranges. Django's live-server media handler sends whole files only, and Chromium
    cannot seek in a video it cannot fetch by range. Use it on a context whose service workers
    are blocked (Playwright does not route requests a service worker makes)."""
    import mimetypes
    import re
    from urllib.parse import unquote, urlparse

    def handle(route, request):
        path = media_root / unquote(urlparse(request.url).path.removeprefix(media_url))
        if not path.is_file():
            return route.continue_()
        data = path.read_bytes()
        size = len(data)
        headers = {
            "Accept-Ranges": "bytes",
            "Content-Type": mimetypes.guess_type(path.name)[0] or "application/octet-stream",
        }
        wanted = re.fullmatch(r"bytes=(\d*)-(\d*)", request.headers.get("range", "").strip())
        if not wanted or not (wanted[1] or wanted[2]):
            return route.fulfill(status=200, headers=headers, body=data)
        if wanted[1]:
            start, end = int(wanted[1]), min(int(wanted[2]) if wanted[2] else size - 1, size - 1)
        else:  # the last N bytes
            start, end = max(0, size - int(wanted[2])), size - 1
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        return route.fulfill(status=206, headers=headers, body=data[start : end + 1])

    context.route(f"**{media_url}**", handle)
