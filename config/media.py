"""Local media (the embedded default, no S3 bucket) served the way S3 serves it: byte ranges
(206), ``ETag``/``Last-Modified`` with 304s, and a content type from the file name, by WhiteNoise.

A video can then be seeked, and a second device resumes at the second the server recorded:
Chromium and Safari fetch a video by range and cannot seek in one that comes whole. Django's
``django.views.static.serve`` sends whole files only.

The middleware is active whenever the default storage is the local file system (no
``AWS_STORAGE_BUCKET_NAME``), in development and in production alike: an operator without S3
gets working media from the same process. With S3 it removes itself (``MiddlewareNotUsed``).
WhiteNoise runs in "autorefresh" mode, which looks each request up on disk, so that uploads made
while the server runs are found.

What it serves and what not:

- only paths under ``MEDIA_URL``; anything else passes through untouched;
- a path that is not canonical (``..``, ``//``, a backslash, however encoded) or names no regular
  file below ``MEDIA_ROOT`` is a 404, as is a folder;
- ``documents/`` (Wagtail documents: served by Wagtail's ``/documents/`` view, which applies
  collection privacy) and ``scorm/`` (unpacked SCORM packages: served by ``scorm:content`` to
  enrolled learners only) are 404 here, never served around those views' checks;
- ``X-Frame-Options: SAMEORIGIN`` on every answer: lesson pages show documents in a same-origin
  frame (``XFrameOptionsMiddleware``, further in, never sees these responses).

Under ASGI (``make run`` serves HTTP with daphne) the body is read from disk in chunks by an
asynchronous iterator: Django would read a synchronous file whole into memory before sending it.
"""

from __future__ import annotations

import os
from http import HTTPStatus
from urllib.parse import urlparse
from wsgiref.headers import Headers

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.http import Http404
from django.utils.module_loading import import_string
from whitenoise.base import WhiteNoise
from whitenoise.middleware import WhiteNoiseFileResponse
from whitenoise.responders import MissingFileError, NotARegularFileError, Response, SlicedFile, StaticFile
from whitenoise.string_utils import ensure_leading_trailing_slash

# Served by their own views, with their own checks (see the module docstring).
PRIVATE_FOLDERS = ("documents/", "scorm/")
CHUNK_BYTES = 64 * 1024
FRAME_OPTIONS = "SAMEORIGIN"


def local_media() -> tuple[str, str] | None:
    """Where the default storage keeps files on this machine and the URL path they are served
    under, e.g. ``("/srv/zibo/media", "/media/")``; None when media is stored elsewhere (S3)."""
    backend = import_string(settings.STORAGES["default"]["BACKEND"])
    if not issubclass(backend, FileSystemStorage):
        return None
    storage = storages["default"]
    prefix = urlparse(storage.base_url or "").path
    if settings.FORCE_SCRIPT_NAME:
        script_name = settings.FORCE_SCRIPT_NAME.rstrip("/")
        if prefix.startswith(script_name):
            prefix = prefix[len(script_name) :]
    return storage.location, ensure_leading_trailing_slash(prefix)


class MediaFile(StaticFile):
    def get_range_response(self, range_header, base_headers, file_handle):
        """WhiteNoise's own, except that a one-byte range (``bytes=0-0``, ``bytes=-1``: Safari and
        MP4 demuxers send them) is served: WhiteNoise 6.12 compares ``start >= end`` on an
        inclusive end and answers 416 (evansd/whitenoise#711). The parsing is WhiteNoise's."""
        headers = [item for item in base_headers if item[0] != "Content-Length"]
        size = int(dict(base_headers)["Content-Length"])
        start, end = self.get_byte_range(range_header, size)
        if start > end:
            return self.get_range_not_satisfiable_response(file_handle, size)
        if file_handle is not None:
            file_handle = SlicedFile(file_handle, start, end)
        headers.append(("Content-Range", f"bytes {start}-{end}/{size}"))
        headers.append(("Content-Length", str(end - start + 1)))
        return Response(HTTPStatus.PARTIAL_CONTENT, headers, file_handle)


class MediaFiles(WhiteNoise):
    """WhiteNoise over one media folder: files are served byte for byte as stored (an upload
    named ``x.gz`` is a file like any other, never a compressed variant of ``x``)."""

    def __init__(self, root: str, prefix: str, *, max_age: int):
        super().__init__(application=None, autorefresh=True, max_age=max_age, allow_all_origins=False)
        self.prefix = prefix
        self.private = tuple(prefix + folder for folder in PRIVATE_FOLDERS)
        self.add_files(root, prefix=prefix)

    def find(self, path: str) -> MediaFile | None:
        if path.startswith(self.private):
            return None
        try:
            return self.find_file(path)
        except NotARegularFileError:  # a FIFO, a socket: nothing to serve
            return None

    @staticmethod
    def is_compressed_variant(path, stat_cache=None):
        return False

    def get_static_file(self, path, url, stat_cache=None):
        if stat_cache is None and not os.path.exists(path):
            raise MissingFileError(path)
        headers = Headers([])
        self.add_mime_headers(headers, path, url)
        self.add_cache_headers(headers, path, url)
        headers["Accept-Ranges"] = "bytes"
        headers["X-Frame-Options"] = FRAME_OPTIONS
        return MediaFile(path, headers.items(), stat_cache=stat_cache)


def _response(result, content) -> WhiteNoiseFileResponse:
    response = WhiteNoiseFileResponse(content, status=int(result.status))
    del response["Content-Type"]  # WhiteNoise's headers name the type (none on a 304 or 416)
    for key, value in result.headers:
        response[key] = value
    response["X-Frame-Options"] = FRAME_OPTIONS
    return response


async def _chunks(file):
    """The file's bytes, read off the event loop; closed at the end or when the client leaves."""
    read = sync_to_async(file.read, thread_sensitive=False)
    try:
        while chunk := await read(CHUNK_BYTES):
            yield chunk
    finally:
        file.close()


async def _nothing():
    return
    yield  # an empty asynchronous iterator


class LocalMediaMiddleware:
    """Serves ``MEDIA_URL`` from ``MEDIA_ROOT`` with WhiteNoise (see the module docstring).
    Place it right after WhiteNoise's own middleware."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        if local_media() is None:
            raise MiddlewareNotUsed("media is not on the local file system (S3 serves it)")
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)
        self._files: MediaFiles | None = None
        self._stale = True
        setting_changed.connect(self._setting_changed)

    def _setting_changed(self, *, setting, **kwargs):
        if setting in ("MEDIA_ROOT", "MEDIA_URL", "STORAGES", "DEBUG"):
            self._stale = True  # tests change them: looked up again on the next request

    def files(self) -> MediaFiles | None:
        if self._stale:
            where = local_media()
            max_age = 0 if settings.DEBUG else 3600
            self._files = MediaFiles(*where, max_age=max_age) if where else None
            self._stale = False
        return self._files

    def __call__(self, request):
        if self.is_async:
            return self.__acall__(request)
        files = self.files()
        if files is None or not request.path_info.startswith(files.prefix):
            return self.get_response(request)
        media_file = files.find(request.path_info)
        if media_file is None:
            raise Http404("No such media file")
        result = media_file.get_response(request.method, request.META)
        return _response(result, result.file if result.file is not None else ())

    async def __acall__(self, request):
        files = self.files()
        if files is None or not request.path_info.startswith(files.prefix):
            return await self.get_response(request)

        def look_up():  # stat and open: off the event loop
            media_file = files.find(request.path_info)
            return media_file and media_file.get_response(request.method, request.META)

        result = await sync_to_async(look_up, thread_sensitive=False)()
        if result is None:
            raise Http404("No such media file")
        return _response(result, _chunks(result.file) if result.file is not None else _nothing())
