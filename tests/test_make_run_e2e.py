"""The embedded default as a user starts it: ``make run`` (daphne, SQLite, local media/, the demo
seed) in a subprocess, driven by Chromium. The demo learner plays the first lesson of the demo
course for about 50 s on a desktop and pauses; on a phone with WeChat's user agent the same
lesson opens at the second the server recorded, without playing, and a seek back lands and plays
on. Both need the video fetched by byte range from the server itself (config/media.py).
Screenshots go to test-artifacts/."""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import time

import pytest

from tests.e2e import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, ROOT, wait_until

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"needs Chromium at {CHROMIUM} for Playwright"),
    pytest.mark.skipif(shutil.which("make") is None, reason="needs make to run `make run`"),
]

DEMO_COURSE = "化工总控工安全生产基础"
START_UP_SECONDS = 180  # make run installs if needed, migrates and seeds before it serves
PLAY_SECONDS = 50
# Set by CI for the rest of the suite; make run is the embedded default without them.
SERVICE_VARIABLES = (
    "DATABASE_URL",
    "DATABASE_REPLICA_URL",
    "REDIS_URL",
    "AWS_STORAGE_BUCKET_NAME",
    "DJANGO_DEBUG",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(base: str, path: str) -> tuple[int, bytes]:
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def eventually(check, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.25)


def stop(server: subprocess.Popen) -> None:
    """make, daphne and anything else they started: the whole process group."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(server.pid, sig)
        except ProcessLookupError:
            return
        try:
            server.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture
def make_run(tmp_path):
    """``make run`` on a free port with its own database and media folder; its base URL."""
    port = free_port()
    env = {name: value for name, value in os.environ.items() if name not in SERVICE_VARIABLES}
    env.update(
        SQLITE_PATH=str(tmp_path / "db.sqlite3"),
        MEDIA_ROOT=str(tmp_path / "media"),
        PLAYER_HEARTBEAT_SECONDS="5",
    )
    log_path = tmp_path / "make-run.log"
    base = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            ["make", "run", f"PORT={port}"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + START_UP_SECONDS
            while True:
                if server.poll() is not None:
                    pytest.fail(f"make run exited with {server.returncode}:\n{log_path.read_text()[-4000:]}")
                try:
                    if http_get(base, "/healthz")[0] == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"make run not healthy after {START_UP_SECONDS} s:\n{log_path.read_text()[-4000:]}"
                    )
                time.sleep(1)
            yield base
        finally:
            stop(server)
            print(f"--- make run, the end of its log ({log_path}) ---\n{log_path.read_text()[-3000:]}")


def first_lesson_of_the_demo_course(base: str) -> dict:
    status, content = http_get(base, "/api/v1/courses/?page_size=100")
    assert status == 200
    listing = json.loads(content)
    courses = listing["results"] if isinstance(listing, dict) else listing
    course = next(course for course in courses if course["title"] == DEMO_COURSE)
    status, content = http_get(base, f"/api/v1/courses/{course['id']}/")
    assert status == 200
    lesson = json.loads(content)["lessons"][0]
    assert lesson["kind"] == "video" and lesson["duration"] > PLAY_SECONDS + 30, lesson
    return lesson


def log_in(page, base: str, next_url: str) -> None:
    page.goto(f"{base}/accounts/login/?next={next_url}")
    if "/connect/oauth2/authorize" in page.url:
        # Inside WeChat (the phone's user agent) the login page starts the WeChat login: the
        # stand-in's authorisation page asks who is in WeChat, then the form binds that openid.
        page.click("text=o-standin-demo-1")
    page.fill("#id_username", "demo")
    page.fill("#id_password", "demo12345")
    page.click("form.form button[type=submit]")
    page.wait_for_url(f"**{next_url}")
    wait_until(page, "document.getElementById('player') && document.getElementById('player').readyState >= 1")


def position(page) -> float:
    return page.evaluate("document.getElementById('player').currentTime")


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_make_run_resumes_a_lesson_on_a_phone_at_the_servers_second(make_run):
    from playwright.sync_api import sync_playwright

    base = make_run
    lesson = first_lesson_of_the_demo_course(base)
    progress_url = f"{base}/api/v1/progress/lessons/{lesson['id']}/"
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
        )
        try:
            # The desktop: about 50 s of the video, then pause.
            desktop = chromium.new_context(**DESKTOP).new_page()
            desktop.set_default_timeout(15000)
            log_in(desktop, base, lesson["url"])
            assert float(desktop.locator("#lesson").get_attribute("data-position")) == 0
            desktop.evaluate("document.getElementById('player').play()")
            wait_until(
                desktop,
                f"document.getElementById('player').currentTime >= {PLAY_SECONDS}",
                timeout=(PLAY_SECONDS + 40) * 1000,
            )
            desktop.evaluate("document.getElementById('player').pause()")
            paused_at = position(desktop)
            shot(desktop, "make-run-desktop-paused")

            def server_position() -> float:
                return desktop.request.get(progress_url).json()["position"]

            assert eventually(lambda: abs(server_position() - paused_at) < 0.5), (
                server_position(),
                paused_at,
            )
            server_at = server_position()
            assert PLAY_SECONDS - 1 <= server_at <= PLAY_SECONDS + 15, server_at

            # The phone (WeChat): the same lesson opens at the server's second, not at 0:00.
            phone = chromium.new_context(**PHONE).new_page()
            phone.set_default_timeout(15000)
            media = []
            phone.on("response", lambda r: "/media/" in r.url and media.append((r.status, r.request.headers)))
            log_in(phone, base, lesson["url"])
            given = float(phone.locator("#lesson").get_attribute("data-position"))
            assert abs(given - server_at) < 0.5, (given, server_at)
            assert eventually(lambda: abs(position(phone) - server_at) <= 3), (position(phone), server_at)
            assert phone.evaluate("document.getElementById('player').paused")
            assert any(status == 206 for status, _ in media), media  # fetched by range from daphne
            shot(phone, "make-run-phone-resumed")

            # A seek back lands where it was asked to, and playback goes on from there.
            landed = phone.evaluate(
                """() => new Promise((done) => {
                     const video = document.getElementById('player');
                     video.addEventListener('seeked', () => done(video.currentTime), {once: true});
                     video.currentTime = 10; })"""
            )
            assert abs(landed - 10) < 1, landed
            phone.evaluate("document.getElementById('player').play()")
            assert eventually(lambda: position(phone) >= landed + 2), (position(phone), landed)
            assert (
                position(phone) < server_at - 10
            )  # played on from 0:10, not thrown back to the resume point
            phone.evaluate("document.getElementById('player').pause()")
            shot(phone, "make-run-phone-seeked-back")
        finally:
            for context in chromium.contexts:
                for page in context.pages:
                    page.goto("about:blank")
            chromium.close()
