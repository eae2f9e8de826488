"""Local media (no S3 bucket) is served as S3 serves it: byte ranges, validators, content types
(config/media.py). Through Django's test client (WSGI and ASGI paths) and over real HTTP from
the live server."""

import http.client
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import MiddlewareNotUsed
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpResponse
from django.test import AsyncClient, RequestFactory

from config.media import CHUNK_BYTES, LocalMediaMiddleware, local_media
from tests.e2e import VIDEO, media_through_the_app
from tests.s3 import s3_storage_settings

DATA = (bytes(range(256)) * 4)[:1000]  # a "video" of 1,000 bytes
URL = "/media/lessons/sample.mp4"


@pytest.fixture
def media_root(settings, tmp_path):
    """MEDIA_ROOT in a temporary folder, with one "video" of 1,000 bytes and a secret beside it."""
    root = tmp_path / "media"
    (root / "lessons").mkdir(parents=True)
    (root / "lessons" / "sample.mp4").write_bytes(DATA)
    (tmp_path / "secret.txt").write_text("not media")
    settings.MEDIA_ROOT = root
    return root


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_no_range_gets_the_whole_file_with_validators_and_accept_ranges(media_root, client):
    response = client.get(URL)
    assert response.status_code == 200
    assert body(response) == DATA
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"] == "video/mp4"
    assert response["Content-Length"] == "1000"
    assert response["ETag"] and response["Last-Modified"]
    again = client.get(URL, headers={"If-None-Match": response["ETag"]})
    assert again.status_code == 304 and body(again) == b""


def test_a_range_gets_206_with_exactly_those_bytes(media_root, client):
    response = client.get(URL, headers={"Range": "bytes=100-199"})
    assert response.status_code == 206
    assert body(response) == DATA[100:200]
    assert response["Content-Range"] == "bytes 100-199/1000"
    assert response["Content-Length"] == "100"
    assert response["Content-Type"] == "video/mp4"


def test_a_suffix_range_gets_the_last_bytes(media_root, client):
    response = client.get(URL, headers={"Range": "bytes=-100"})
    assert response.status_code == 206
    assert body(response) == DATA[-100:]
    assert response["Content-Range"] == "bytes 900-999/1000"


def test_an_open_range_runs_to_the_end(media_root, client):
    response = client.get(URL, headers={"Range": "bytes=990-"})
    assert response.status_code == 206
    assert body(response) == DATA[990:]
    assert response["Content-Range"] == "bytes 990-999/1000"


@pytest.mark.parametrize(("header", "start"), [("bytes=0-0", 0), ("bytes=-1", 999), ("bytes=5-5", 5)])
def test_a_one_byte_range_is_served(media_root, client, header, start):
    """Safari and MP4 demuxers probe with these; WhiteNoise 6.12 alone answers them 416."""
    response = client.get(URL, headers={"Range": header})
    assert response.status_code == 206
    assert body(response) == DATA[start : start + 1]
    assert response["Content-Range"] == f"bytes {start}-{start}/1000"


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5000-6000"])
def test_an_unsatisfiable_range_is_416(media_root, client, header):
    response = client.get(URL, headers={"Range": header})
    assert response.status_code == 416
    assert response["Content-Range"] == "bytes */1000"
    assert body(response) == b""


def test_head_answers_the_headers_only(media_root, client):
    response = client.head(URL)
    assert response.status_code == 200
    assert response["Content-Length"] == "1000"
    assert response["Accept-Ranges"] == "bytes"
    assert body(response) == b""


def test_only_get_and_head(media_root, client):
    response = client.post(URL)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_documents_may_be_framed_by_the_site_only(media_root, client):
    (media_root / "lessons" / "handbook.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    for response in (
        client.get("/media/lessons/handbook.pdf"),
        client.get(URL, headers={"Range": "bytes=0-9"}),
    ):
        assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert client.get("/media/lessons/handbook.pdf")["Content-Type"] == "application/pdf"


def test_a_file_uploaded_after_start_up_is_served(media_root, client):
    assert client.get(URL).status_code == 200  # the middleware is built and has looked
    name = default_storage.save("lessons/安全 手册.pdf", ContentFile(b"%PDF-1.4 new", name="x.pdf"))
    url = default_storage.url(name)
    assert "%" in url  # the Chinese name travels percent-encoded
    response = client.get(url, headers={"Range": "bytes=0-3"})
    assert response.status_code == 206
    assert body(response) == b"%PDF"
    assert response["Content-Type"] == "application/pdf"


def test_a_change_of_media_root_is_followed(media_root, client, settings, tmp_path):
    assert client.get(URL).status_code == 200
    other = tmp_path / "other-media"
    (other / "lessons").mkdir(parents=True)
    (other / "lessons" / "sample.mp4").write_bytes(b"other")
    settings.MEDIA_ROOT = other
    assert body(client.get(URL)) == b"other"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/media/../secret.txt",
        "/media/%2e%2e/secret.txt",
        "/media/%2E%2E%2Fsecret.txt",
        "/media/lessons/../../secret.txt",
        "/media/lessons/%2e%2e%2f%2e%2e%2fsecret.txt",
        "/media/..%5csecret.txt",
        "/media/../config/settings.py",
        "/media/%2e%2e/%2e%2e/config/settings.py",
        "/media//etc/passwd",
        "/media/%2fetc/passwd",
        "/media/lessons/./sample.mp4",
        "/media/lessons/sample.mp4%00.txt",
    ],
)
def test_path_traversal_and_odd_paths_are_404(media_root, client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert b"not media" not in body(response)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/media/lessons/missing.mp4", "/media/lessons/", "/media/lessons", "/media/"]
)
def test_a_missing_file_or_a_folder_is_404(media_root, client, path):
    assert client.get(path).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["documents/report.pdf", "scorm/7/0123456789ab/index.html"])
def test_files_served_by_their_own_views_are_not_served_here(media_root, client, name):
    """Wagtail documents go through /documents/ (collection privacy) and unpacked SCORM packages
    through scorm:content (enrolled learners only): never around those checks."""
    (media_root / name).parent.mkdir(parents=True)
    (media_root / name).write_bytes(b"private")
    assert client.get(f"/media/{name}").status_code == 404


@pytest.mark.django_db
def test_with_an_s3_bucket_the_middleware_stands_aside(media_root, client, settings):
    assert local_media() == (str(media_root), "/media/")
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage_settings("http://127.0.0.1:9")}
    assert local_media() is None
    with pytest.raises(MiddlewareNotUsed):
        LocalMediaMiddleware(lambda request: HttpResponse())
    # The file is still on the local disk, but media is S3's now: nothing here serves it.
    assert client.get(URL).status_code == 404


def test_a_running_middleware_stands_aside_when_media_moves_to_s3(media_root, settings):
    middleware = LocalMediaMiddleware(lambda request: HttpResponse("the app"))
    assert middleware(RequestFactory().get(URL)).status_code == 200
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage_settings("http://127.0.0.1:9")}
    assert middleware(RequestFactory().get(URL)).content == b"the app"


def test_other_paths_pass_through(media_root):
    middleware = LocalMediaMiddleware(lambda request: HttpResponse("the app"))
    assert middleware(RequestFactory().get("/mediabox/lessons/sample.mp4")).content == b"the app"
    assert middleware(RequestFactory().get("/courses/")).content == b"the app"


async def test_under_asgi_the_file_is_streamed_in_chunks(media_root):
    """daphne (make run) takes the asynchronous path: the body is read in chunks off the event
    loop, never whole into memory (Django would, for a synchronous file)."""
    big = bytes(range(256)) * (3 * CHUNK_BYTES // 256 + 7)
    (media_root / "lessons" / "big.mp4").write_bytes(big)
    client = AsyncClient()
    response = await client.get("/media/lessons/big.mp4", headers={"Range": f"bytes=10-{len(big) - 1}"})
    assert response.status_code == 206 and response.is_async
    chunks = [chunk async for chunk in response.streaming_content]
    assert b"".join(chunks) == big[10:]
    assert len(chunks) > 1 and max(len(chunk) for chunk in chunks) <= CHUNK_BYTES
    assert response["Content-Range"] == f"bytes 10-{len(big) - 1}/{len(big)}"
    head = await client.head(URL)
    assert head.status_code == 200 and head["Content-Length"] == "1000"
    suffix = await client.get(URL, headers={"Range": "bytes=-100"})
    assert b"".join([chunk async for chunk in suffix.streaming_content]) == DATA[-100:]


def http_get(base_url: str, path: str, **headers):
    """One GET over a real socket: the status, the headers and the body."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


# Like every live-server test here: the flush at its end must restore the data other
# transactional tests start from (content types, the Wagtail tree).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_live_server_answers_ranges_over_http(media_root, live_server, monkeypatch):
    """Over a real socket, from the WSGI application the live server runs: a demo video."""
    media_through_the_app(monkeypatch)
    video = VIDEO.read_bytes()
    (media_root / "lessons" / "care-1.mp4").write_bytes(video)
    path = "/media/lessons/care-1.mp4"
    status, headers, content = http_get(live_server.url, path, Range="bytes=100-199")
    assert (status, headers["Content-Range"], content) == (206, f"bytes 100-199/{len(video)}", video[100:200])
    status, headers, content = http_get(live_server.url, path)
    assert (status, content) == (200, video)
    assert headers["Accept-Ranges"] == "bytes" and headers["X-Frame-Options"] == "SAMEORIGIN"
    assert http_get(live_server.url, path, Range=f"bytes={len(video)}-")[0] == 416
    assert http_get(live_server.url, "/media/../secret.txt")[0] == 404
    assert http_get(live_server.url, "/media/%2e%2e/secret.txt")[0] == 404
