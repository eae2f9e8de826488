"""The S3 storage path, against a local S3 server (moto_server) that the test starts."""

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from django.core.files.base import ContentFile
from storages.backends.s3 import S3Storage

from tests.test_settings import _load_settings

BUCKET = "zibo-media-test"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    executable = shutil.which("moto_server", path=str(Path(sys.executable).parent))
    if executable is None:
        pytest.skip("moto_server is not installed (pip install 'moto[server]')")
    port = _free_port()
    server = subprocess.Popen(
        [executable, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        server.kill()
        pytest.fail("moto_server did not start within 30 s")
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    ).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.terminate()
    server.wait(timeout=10)


def test_a_file_saved_to_s3_reads_back(s3_endpoint):
    storage = S3Storage(
        bucket_name=BUCKET,
        endpoint_url=s3_endpoint,
        access_key="test",
        secret_key="test",
        region_name="us-east-1",
        file_overwrite=False,
    )
    name = storage.save("lessons/demo/hello.txt", ContentFile("淄博技能在线".encode()))
    assert storage.exists(name)
    with storage.open(name) as handle:
        assert handle.read().decode() == "淄博技能在线"
    assert storage.size(name) == len("淄博技能在线".encode())
    assert storage.url(name).startswith(f"{s3_endpoint}/{BUCKET}/lessons/demo/hello")
    # A second save under the same name does not overwrite: uploads never clobber each other.
    second = storage.save("lessons/demo/hello.txt", ContentFile(b"other"))
    assert second != name


def test_the_seed_copies_demo_media_to_s3(s3_endpoint, settings, db):
    """With the S3 settings, media goes to the bucket, not to the local media/ folder."""
    from django.core.files.storage import storages

    settings.DEBUG = True
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "access_key": "test",
                "secret_key": "test",
                "region_name": "us-east-1",
            },
        },
    }
    from demo.seed import _stored_media

    storages._storages.clear()
    try:
        name = _stored_media("care-1.mp4")
        client = boto3.client(
            "s3",
            endpoint_url=s3_endpoint,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            region_name="us-east-1",
        )
        head = client.head_object(Bucket=BUCKET, Key=name)
        assert head["ContentLength"] == (Path("demo/media/care-1.mp4")).stat().st_size
    finally:
        storages._storages.clear()


def test_the_bucket_setting_selects_s3_storage():
    result = _load_settings(
        DJANGO_DEBUG="1",
        AWS_STORAGE_BUCKET_NAME=BUCKET,
        AWS_S3_ENDPOINT_URL="http://127.0.0.1:9",
    )
    assert result.returncode == 0, result.stderr
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.core.files.storage import default_storage as s; "
            "print(type(s._wrapped if hasattr(s, '_wrapped') else s).__name__, s.bucket_name)",
        ],
        env={
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "1",
            "AWS_STORAGE_BUCKET_NAME": BUCKET,
            "PATH": "/usr/bin:/bin",
        },
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == ["S3Storage", BUCKET]
