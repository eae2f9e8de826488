"""The S3 server failing during an upload: institution staff record a certificate issued
elsewhere with its scan (the upload that writes to storage, the private bucket prefix), while
the S3 server behind a small proxy cuts the connection in the middle of the upload or is gone.

What the staff member notices: the page answers at once that storage is unavailable and to send
again later (503, the form kept), nothing is recorded (no row, no log record, no object in the
bucket), and the same form sent once the server is back records the certificate.
"""

import contextlib
import socket
import threading
import uuid

import pytest
from botocore.config import Config
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.test import Client
from django.utils import timezone
from storages.backends.s3 import S3Storage

from archive.models import ExternalCertificate, LogRecord
from archive.verify import chain_verify
from learners.models import Learner
from tests.institutions_factories import make_world
from tests.s3 import BUCKET, s3_client, s3_storage_settings
from vocabulary.training import CertificateType

pytestmark = [pytest.mark.faults, pytest.mark.django_db]

# A scan of 512 KB, cut after 64 KB: the connection drops in the middle of the request's body.
SCAN = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 2048
CUT_AFTER_BYTES = 64 * 1024


class FlakyProxy:
    """A TCP proxy in front of the S3 server. ``mode``: ``"pass"`` forwards; ``"cut"`` forwards
    the first ``CUT_AFTER_BYTES`` of a request and then drops both connections; ``"down"``
    refuses every connection as a stopped server does (the listening socket is closed)."""

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.mode = "pass"
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.mode == "down":
                client.close()
                continue
            threading.Thread(target=self._serve, args=(client, self.mode), daemon=True).start()

    def _serve(self, client: socket.socket, mode: str) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        threading.Thread(target=self._pump, args=(upstream, client, None), daemon=True).start()
        self._pump(client, upstream, CUT_AFTER_BYTES if mode == "cut" else None)

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket, limit: int | None) -> None:
        forwarded = 0
        try:
            while True:
                data = source.recv(16384)
                if not data:
                    break
                if limit is not None and forwarded + len(data) > limit:
                    target.sendall(data[: limit - forwarded])
                    break  # drop both sides in the middle of the request
                target.sendall(data)
                forwarded += len(data)
        except OSError:
            pass
        for side in (source, target):
            with contextlib.suppress(OSError):
                side.shutdown(socket.SHUT_RDWR)
            side.close()

    def close(self) -> None:
        self._closed = True
        self.listener.close()


@pytest.fixture
def flaky_s3(s3_endpoint, monkeypatch):
    """The scans' private storage in the S3 bucket, reached through the proxy. The field's
    storage is replaced (a FileField resolves its storage once, when models load)."""
    proxy = FlakyProxy(int(s3_endpoint.rsplit(":", 1)[1]))
    proxy.location = f"private-faults-{uuid.uuid4().hex}"  # the bucket outlives the test
    options = {
        **s3_storage_settings(proxy.endpoint)["OPTIONS"],
        "location": proxy.location,
        # Bounded as production should be: a dead server costs seconds, not minutes of retries.
        "client_config": Config(
            connect_timeout=2, read_timeout=5, retries={"max_attempts": 2, "mode": "standard"}
        ),
    }
    monkeypatch.setattr(ExternalCertificate._meta.get_field("scan"), "storage", S3Storage(**options))
    yield proxy
    proxy.close()


def stored_scans(endpoint: str, location: str) -> list[str]:
    """The scans in the bucket under the test's location, by their names in the storage."""
    listing = s3_client(endpoint).list_objects_v2(Bucket=BUCKET, Prefix=f"{location}/")
    return [item["Key"].removeprefix(f"{location}/") for item in listing.get("Contents", [])]


@pytest.fixture
def world():
    world = make_world()
    Learner.objects.filter(pk=world.learner_a.pk).update(verified=True)
    return world


def record_form(world) -> dict:
    return {
        "id_number": world.learner_a.id_number,
        "type": CertificateType.SKILL_LEVEL,
        "number": "S000099990001",
        "issuer": "淄博市职业技能鉴定中心",
        "issued_on": timezone.localdate().isoformat(),
        "scan": SimpleUploadedFile("scan.png", SCAN, content_type="image/png"),
    }


@pytest.mark.parametrize("failure", ["cut", "down"])
def test_a_failed_scan_upload_records_nothing_and_the_same_form_works_later(
    world, flaky_s3, s3_endpoint, failure
):
    staff = Client()
    staff.force_login(world.staff_a)
    records_before = LogRecord.objects.count()

    flaky_s3.mode = failure
    refused = staff.post("/certificates/external/", record_form(world))
    assert refused.status_code == 503
    page = refused.content.decode()
    assert "文件存储暂时不可用" in page and "请稍后重新提交" in page
    assert "S000099990001" in page  # the form is shown again, filled in
    assert ExternalCertificate.objects.count() == 0
    assert LogRecord.objects.count() == records_before  # the log record was rolled back too
    assert stored_scans(s3_endpoint, flaky_s3.location) == []  # no half-stored object

    flaky_s3.mode = "pass"
    recorded = staff.post("/certificates/external/", record_form(world))
    assert recorded.status_code == 302
    certificate = ExternalCertificate.objects.get()
    assert stored_scans(s3_endpoint, flaky_s3.location) == [certificate.scan.name]
    body = s3_client(s3_endpoint).get_object(
        Bucket=BUCKET, Key=f"{flaky_s3.location}/{certificate.scan.name}"
    )
    assert body["Body"].read() == SCAN
    assert chain_verify().ok


def test_a_scan_stored_for_a_row_that_fails_is_deleted_again(world, flaky_s3, s3_endpoint, monkeypatch):
    """The scan is stored before its row is inserted: when the insert then fails (here the same
    certificate recorded at the same moment by someone else), no object is left that no row
    points to."""

    def insert_losing_the_race(self, *args, **kwargs):
        self.scan.save(self.scan.name, self.scan.file, save=False)  # stored, as pre_save does
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(ExternalCertificate, "save", insert_losing_the_race)
    staff = Client()
    staff.force_login(world.staff_a)
    answer = staff.post("/certificates/external/", record_form(world))
    assert answer.status_code == 400 and "已经登记过" in answer.content.decode()
    assert ExternalCertificate.objects.count() == 0
    assert stored_scans(s3_endpoint, flaky_s3.location) == []
