"""The S3 storage path, against a local S3 server (moto_server) that the test starts."""

import subprocess
import sys
from pathlib import Path

from django.core.files.base import ContentFile
from storages.backends.s3 import S3Storage

from tests.s3 import BUCKET, s3_client, s3_storage_settings
from tests.test_settings import _load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_a_file_saved_to_s3_reads_back(s3_endpoint):
    storage = S3Storage(**s3_storage_settings(s3_endpoint)["OPTIONS"])
    name = storage.save("lessons/demo/hello.txt", ContentFile("淄博技能在线".encode()))
    assert storage.exists(name)
    with storage.open(name) as handle:
        assert handle.read().decode() == "淄博技能在线"
    assert storage.size(name) == len("淄博技能在线".encode())
    assert storage.url(name).startswith(f"{s3_endpoint}/{BUCKET}/lessons/demo/hello")
    # A second save under the same name does not overwrite: uploads never clobber each other.
    second = storage.save("lessons/demo/hello.txt", ContentFile(b"other"))
    assert second != name


def test_the_seed_copies_demo_media_to_s3(s3_media, db):
    """With the S3 settings, media goes to the bucket, not to the local media/ folder."""
    from demo.seed import _stored_media

    name = _stored_media("care-1.mp4")
    head = s3_client(s3_media).head_object(Bucket=BUCKET, Key=name)
    assert head["ContentLength"] == (ROOT / "demo" / "media" / "care-1.mp4").stat().st_size


def test_a_lesson_upload_is_checked_then_stored_in_s3(s3_media, db):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from courses.models import Lesson
    from tests.factories import make_course

    course = make_course(lessons=0)
    video = (ROOT / "demo" / "media" / "care-2.mp4").read_bytes()
    lesson = Lesson(course=course, title="上传", kind="video", media=SimpleUploadedFile("care.mp4", video))
    lesson.full_clean(exclude=["course"])
    lesson.save()
    assert lesson.duration == 150  # read from the file before it was stored
    body = s3_client(s3_media).get_object(Bucket=BUCKET, Key=lesson.media.name)["Body"].read()
    assert body == video
    assert lesson.media.url.startswith(f"{s3_media}/{BUCKET}/lessons/")


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


def test_a_scorm_package_is_unpacked_to_s3_and_served_from_there(s3_media, db, client):
    from scorm.services import package_import
    from tests.factories import LearnerFactory, enroll
    from tests.scorm_factories import minimal_package, scorm_course

    course, lesson = scorm_course(minimal_package())
    package = package_import(lesson=lesson)
    s3 = s3_client(s3_media)
    keys = {
        item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET, Prefix=package.storage_prefix)["Contents"]
    }
    assert {
        f"{package.storage_prefix.rstrip('/')}/imsmanifest.xml",
        f"{package.storage_prefix.rstrip('/')}/index.html",
    } <= keys
    learner = LearnerFactory()
    enroll(learner, course)
    client.force_login(learner.user)
    response = client.get(f"/scorm/lessons/{lesson.pk}/content/index.html", follow=True)
    assert response.status_code == 200
    assert b"LMSInitialize" in response.content
