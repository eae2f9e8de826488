"""Real-name verification: the providers (development backend, HTTP backend against a stand-in
server), the check after registration, roster import and activation, what staff see, and
certificates held back until the learner is verified."""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from archive.models import ArchiveEntry, Certificate
from learners.models import Learner, VerificationStatus
from learners.services import learner_verification_record
from learners.verification import (
    BAD_NUMBER_DETAIL,
    MISMATCH_DETAIL,
    DevelopmentBackend,
    HttpBackend,
    identity_check,
)
from progress.completion import course_completion_record
from tests.conftest import client_for
from tests.factories import LearnerFactory, enroll, make_course, valid_id_number
from tests.institutions_factories import make_world
from tests.rosters_factories import class_with_staff, good_rows, roster_id, upload, xlsx_bytes
from tests.test_settings import DATA_KEYS, STRONG_SECRET, _load_settings
from vocabulary.training import CertificateType

pytestmark = pytest.mark.django_db

REGISTER_URL = "/api/v1/auth/register/"
GOOD_ID = valid_id_number(901)


def registration(**changes) -> dict:
    return {
        "username": "wangfang",
        "password": "Zibo-skills-2026",
        "real_name": "王芳",
        "id_number": GOOD_ID,
        "phone": "13805339001",
        "district": "张店区",
        "target_group": "unemployed",
        **changes,
    }


# --- the stand-in real-name service ----------------------------------------------------------------


class StandIn:
    """What the stand-in server answers next, and what it was asked."""

    def __init__(self):
        self.status = 200
        self.payload: dict | bytes = {"match": True, "detail": "一致"}
        self.delay = 0.0
        self.requests: list[dict] = []


@pytest.fixture
def stand_in(settings):
    """A real-name service on 127.0.0.1 (a port of its own) in a thread, configured as the
    provider through the settings, as IDENTITY_VERIFICATION_URL does in production."""
    state = StandIn()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.requests.append(
                {
                    "path": self.path,
                    "body": json.loads(body),
                    "authorization": self.headers.get("Authorization"),
                    "content_type": self.headers.get("Content-Type"),
                }
            )
            if state.delay:
                time.sleep(state.delay)
            payload = state.payload
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            try:
                self.send_response(state.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (the timeout test)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.IDENTITY_VERIFICATION_PROVIDER = "learners.verification.HttpBackend"
    settings.IDENTITY_VERIFICATION_URL = f"http://127.0.0.1:{server.server_port}/v1/id-check"
    settings.IDENTITY_VERIFICATION_TOKEN = "stand-in-token"
    settings.IDENTITY_VERIFICATION_TIMEOUT = 2.0
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def a_closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- the development backend -------------------------------------------------------------------------


def test_the_development_backend_is_the_default_in_development():
    assert django_settings.IDENTITY_VERIFICATION_PROVIDER == "learners.verification.DevelopmentBackend"
    assert django_settings.IDENTITY_DEV_REJECT_NAMES == ["冒名顶替"]


def test_the_development_backend_verifies_a_good_id_number():
    result = DevelopmentBackend().verify("王芳", GOOD_ID)
    assert result.outcome == VerificationStatus.VERIFIED and result.verified
    assert result.method == "dev"


def test_the_development_backend_rejects_a_listed_name_with_its_detail(settings):
    assert DevelopmentBackend().verify("冒名顶替", GOOD_ID).detail == MISMATCH_DETAIL
    settings.IDENTITY_DEV_REJECT_NAMES = ["李四", "赵五"]
    result = DevelopmentBackend().verify(" 赵五 ", GOOD_ID)
    assert result.outcome == VerificationStatus.REJECTED and not result.verified
    assert result.detail.startswith("姓名与身份证号不一致")
    assert DevelopmentBackend().verify("冒名顶替", GOOD_ID).verified


def test_the_development_backend_rejects_a_wrong_check_digit():
    wrong = GOOD_ID[:17] + ("0" if GOOD_ID[17] != "0" else "1")
    result = DevelopmentBackend().verify("王芳", wrong)
    assert result.outcome == VerificationStatus.REJECTED
    assert result.detail == BAD_NUMBER_DETAIL
    assert DevelopmentBackend().verify("王芳", "3703").outcome == VerificationStatus.REJECTED


# --- the HTTP backend against the stand-in server --------------------------------------------------


def test_the_http_backend_posts_name_and_id_number_with_the_token(stand_in):
    result = HttpBackend().verify("王芳", GOOD_ID)
    assert result.outcome == VerificationStatus.VERIFIED
    assert result.method == "http" and result.detail == "一致"
    (request,) = stand_in.requests
    assert request["path"] == "/v1/id-check"
    assert request["body"] == {"name": "王芳", "id_number": GOOD_ID}
    assert request["authorization"] == "Bearer stand-in-token"
    assert request["content_type"] == "application/json"


def test_the_http_backend_reports_a_mismatch_with_the_services_detail(stand_in):
    stand_in.payload = {"match": False, "detail": "姓名与身份证号不一致"}
    result = HttpBackend().verify("王芳", GOOD_ID)
    assert result.outcome == VerificationStatus.REJECTED
    assert result.detail == "姓名与身份证号不一致"
    stand_in.payload = {"match": False}
    assert HttpBackend().verify("王芳", GOOD_ID).detail == MISMATCH_DETAIL


@pytest.mark.parametrize(
    ("status", "payload"),
    [
        (500, {"error": "internal"}),
        (503, b"<html>busy</html>"),
        (401, {"error": "bad token"}),
        (200, b"not json"),
        (200, {"match": "yes"}),
        (200, ["match", True]),
    ],
)
def test_an_error_or_an_answer_without_a_boolean_match_is_unavailable(stand_in, status, payload):
    stand_in.status, stand_in.payload = status, payload
    result = HttpBackend().verify("王芳", GOOD_ID)
    assert result.outcome == VerificationStatus.UNAVAILABLE
    assert result.detail.startswith("实名核验服务暂不可用")


def test_a_service_slower_than_the_timeout_is_unavailable(stand_in, settings):
    settings.IDENTITY_VERIFICATION_TIMEOUT = 0.3
    stand_in.delay = 2.0
    started = time.monotonic()
    result = HttpBackend().verify("王芳", GOOD_ID)
    assert result.outcome == VerificationStatus.UNAVAILABLE
    assert time.monotonic() - started < 1.5


def test_a_service_that_cannot_be_reached_is_unavailable(settings):
    settings.IDENTITY_VERIFICATION_URL = f"http://127.0.0.1:{a_closed_port()}/"
    assert HttpBackend().verify("王芳", GOOD_ID).outcome == VerificationStatus.UNAVAILABLE


# --- the check runs after registration (web and API) -------------------------------------------------


def test_web_registration_stores_the_outcome(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/register/", registration())
    assert response.status_code == 302
    learner = Learner.objects.get(user__username="wangfang")
    assert learner.verified is True
    assert learner.verification_status == VerificationStatus.VERIFIED
    assert learner.verification_method == "dev"
    assert learner.verification_checked_at is not None
    assert learner.verified_by is None


def test_api_registration_stores_a_rejection_and_the_learner_is_not_verified(
    api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(REGISTER_URL, registration(real_name="冒名顶替"), format="json")
    assert response.status_code == 201, response.json()
    learner = Learner.objects.get(user__username="wangfang")
    assert learner.verified is False
    assert learner.verification_status == VerificationStatus.REJECTED
    assert learner.verification_detail == MISMATCH_DETAIL


def test_api_registration_through_the_http_service_stores_its_answer(
    api, stand_in, django_capture_on_commit_callbacks
):
    stand_in.payload = {"match": False, "detail": "姓名与身份证号不一致"}
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(REGISTER_URL, registration(), format="json")
    assert response.status_code == 201
    learner = Learner.objects.get(user__username="wangfang")
    assert (learner.verification_status, learner.verification_detail) == ("rejected", "姓名与身份证号不一致")
    assert stand_in.requests[0]["body"] == {"name": "王芳", "id_number": GOOD_ID}


def test_an_unavailable_service_still_registers_and_leaves_the_learner_unverified(
    api, stand_in, django_capture_on_commit_callbacks
):
    stand_in.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(REGISTER_URL, registration(), format="json")
    assert response.status_code == 201
    assert response.json()["token"]
    learner = Learner.objects.get(user__username="wangfang")
    assert learner.verified is False
    assert learner.verification_status == VerificationStatus.UNAVAILABLE


class BrokenProvider:
    def verify(self, real_name, id_number):
        raise RuntimeError("provider bug")


def test_a_provider_that_raises_never_fails_registration(
    client, settings, django_capture_on_commit_callbacks
):
    settings.IDENTITY_VERIFICATION_PROVIDER = "tests.test_verification.BrokenProvider"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/register/", registration())
    assert response.status_code == 302
    learner = Learner.objects.get(user__username="wangfang")
    assert learner.verification_status == VerificationStatus.UNAVAILABLE and not learner.verified


def test_the_check_waits_for_the_commit(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert api.post(REGISTER_URL, registration(), format="json").status_code == 201
    learner = Learner.objects.get(user__username="wangfang")
    assert learner.verification_status == VerificationStatus.PENDING  # not checked before the commit
    assert len(callbacks) == 1


def test_me_keeps_verified_and_adds_the_status(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        token = api.post(REGISTER_URL, registration(real_name="冒名顶替"), format="json").json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    body = api.get("/api/v1/me/").json()
    assert body["verified"] is False
    assert body["verification_status"] == "rejected"


# --- roster import and activation --------------------------------------------------------------------


def test_a_roster_import_checks_the_learners_it_creates(settings, django_capture_on_commit_callbacks):
    settings.IDENTITY_DEV_REJECT_NAMES = ["学员2"]
    training_class, staff = class_with_staff()
    client = client_for(staff)
    preview = client.post(
        f"/api/v1/classes/{training_class.pk}/roster/preview/",
        {"file": upload(xlsx_bytes(good_rows()))},
        format="multipart",
    ).json()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/classes/{training_class.pk}/roster/{preview['upload_id']}/confirm/",
            {"checksum": preview["checksum"]},
            format="json",
        )
    assert response.json()["created"] == 3
    status = {n: Learner.objects.with_id_number(roster_id(n)).get().verification_status for n in (1, 2, 3)}
    assert status == {1: "verified", 2: "rejected", 3: "verified"}


@pytest.fixture
def imported():
    """A learner created from a roster (no password) whose check found the service down."""
    learner = LearnerFactory(phone="13905339001", verification_status=VerificationStatus.UNAVAILABLE)
    learner.user.set_unusable_password()
    learner.user.save()
    return learner


def activate(client, learner):
    return client.post(
        "/accounts/activate/",
        {"id_number": learner.id_number, "phone": learner.phone, "password": "Zibo-learn-2026"},
    )


def test_activation_checks_again_a_learner_the_service_did_not_answer_for(
    client, imported, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert activate(client, imported).status_code == 200
    imported.refresh_from_db()
    assert imported.user.has_usable_password()
    assert imported.verified and imported.verification_status == VerificationStatus.VERIFIED


def test_activation_does_not_check_again_a_learner_already_rejected(
    client, imported, django_capture_on_commit_callbacks
):
    Learner.objects.filter(pk=imported.pk).update(
        verification_status=VerificationStatus.REJECTED, verification_detail=MISMATCH_DETAIL
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert activate(client, imported).status_code == 200
    assert callbacks == []
    imported.refresh_from_db()
    assert imported.verification_status == VerificationStatus.REJECTED and not imported.verified


# --- staff see the outcome; a rejection never undoes a confirmation ------------------------------


@pytest.fixture
def world(settings):
    world = make_world()
    settings.IDENTITY_DEV_REJECT_NAMES = ["张明"]
    identity_check(world.learner_a)  # rejected
    return world


def test_staff_see_the_outcome_in_the_class_api(world):
    body = client_for(world.staff_a).get(f"/api/v1/classes/{world.class_a.pk}/").json()
    (member,) = body["members"]
    assert member["learner"] == world.learner_a.pk
    assert member["verified"] is False
    assert member["verification_status"] == "rejected"
    assert member["verification_detail"] == MISMATCH_DETAIL


def test_staff_see_the_outcome_on_the_class_page(client, world):
    client.force_login(world.staff_a)
    html = client.get(f"/institution/classes/{world.class_a.pk}/").content.decode()
    assert f"核验未通过：{MISMATCH_DETAIL}" in html
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    assert (
        "Verification failed: The name does not match the ID number."
        in client.get(f"/institution/classes/{world.class_a.pk}/").content.decode()
    )
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    Learner.objects.filter(pk=world.learner_a.pk).update(verification_status=VerificationStatus.PENDING)
    assert "待核验" in client.get(f"/institution/classes/{world.class_a.pk}/").content.decode()


def test_staff_of_another_institution_see_nothing_of_the_learner(client, world):
    other = client_for(world.staff_b)
    assert other.get(f"/api/v1/classes/{world.class_a.pk}/").status_code == 404
    assert other.post(f"/api/v1/learners/{world.learner_a.pk}/verify/", {}, format="json").status_code == 404
    client.force_login(world.staff_b)
    assert client.get(f"/institution/classes/{world.class_a.pk}/").status_code == 404
    own = client.get(f"/institution/classes/{world.class_b.pk}/").content.decode()
    assert world.learner_a.real_name not in own and MISMATCH_DETAIL not in own


def test_staff_confirm_a_rejected_learner_in_person(client, world):
    response = client_for(world.staff_a).post(
        f"/api/v1/learners/{world.learner_a.pk}/verify/", {"note": "身份证原件已核对"}, format="json"
    )
    assert response.json() == {"learner": world.learner_a.pk, "verified": True}
    world.learner_a.refresh_from_db()
    assert world.learner_a.verification_status == VerificationStatus.VERIFIED
    assert world.learner_a.verification_detail == "身份证原件已核对"
    assert world.learner_a.verified_by_id == world.staff_a.pk
    client.force_login(world.staff_a)
    assert "已核验" in client.get(f"/institution/classes/{world.class_a.pk}/").content.decode()


def test_a_later_rejection_or_outage_never_undoes_a_verification(world):
    learner = LearnerFactory(verified=True)
    assert learner.verification_status == VerificationStatus.VERIFIED
    for status in (VerificationStatus.REJECTED, VerificationStatus.UNAVAILABLE):
        learner_verification_record(learner=learner, status=status, method="http", detail="x")
        learner.refresh_from_db()
        assert learner.verified and learner.verification_status == VerificationStatus.VERIFIED


# --- unverified learners study but are certified only once verified ------------------------------


def complete(learner, course):
    enroll(learner, course)
    course_completion_record(learner=learner, course_id=course.pk, completed_at=timezone.now())
    return ArchiveEntry.objects.get(learner=learner, course=course)


def test_an_unverified_learner_is_archived_without_a_certificate_until_staff_verify(client, world):
    learner = world.learner_a
    course = make_course(
        lessons=1, duration=60, title="焊工（五级）", certificate_type=CertificateType.SKILL_LEVEL
    )
    plain = make_course(lessons=1, duration=60, title="安全常识", certificate_type=CertificateType.NONE)
    entry, plain_entry = complete(learner, course), complete(learner, plain)
    assert not Certificate.objects.exists()

    client.force_login(learner.user)
    html = client.get("/me/archive/").content.decode()
    assert "焊工（五级）" in html
    assert html.count("证书将在实名核验通过后颁发") == 1  # not for the course without certificate
    assert "请携带身份证到培训机构现场核验" in html  # the check said no
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get("/me/archive/").content.decode()
    assert "The certificate will be issued once your real-name verification is passed." in english

    verify = client_for(world.staff_a).post(f"/api/v1/learners/{learner.pk}/verify/", {}, format="json")
    assert verify.status_code == 200
    certificate = Certificate.objects.get()
    assert certificate.entry == entry and certificate.type == CertificateType.TRAINING
    assert certificate.issued_at >= entry.completed_at
    assert certificate.number.startswith(f"ZB{timezone.localtime(certificate.issued_at).year}-")
    assert not Certificate.objects.filter(entry=plain_entry).exists()
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    html = client.get("/me/archive/").content.decode()
    assert f'href="/certificates/{certificate.number}/"' in html
    assert "证书将在实名核验通过后颁发" not in html
    # confirming again issues nothing more
    client_for(world.staff_a).post(f"/api/v1/learners/{learner.pk}/verify/", {}, format="json")
    assert Certificate.objects.count() == 1


def test_a_provider_verification_issues_the_held_certificates(settings):
    learner = LearnerFactory()
    entry = complete(learner, make_course(lessons=1, duration=60))
    assert not Certificate.objects.exists()
    assert identity_check(learner).verified
    assert Certificate.objects.get().entry == entry


def test_a_verified_learner_gets_the_certificate_on_completion():
    learner = LearnerFactory(verified=True)
    entry = complete(learner, make_course(lessons=1, duration=60))
    assert entry.certificate.issued_at == entry.completed_at


# --- settings ------------------------------------------------------------------------------------


def test_production_defaults_to_staff_confirmation_or_the_http_service():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.IDENTITY_VERIFICATION_PROVIDER, settings.IDENTITY_VERIFICATION_TIMEOUT)"
    )
    production = {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": STRONG_SECRET, **DATA_KEYS}
    result = _load_settings(code, **production)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["learners.verification.StaffConfirmationOnly", "5.0"]
    result = _load_settings(code, IDENTITY_VERIFICATION_URL="https://id.example/check", **production)
    assert result.stdout.split()[0] == "learners.verification.HttpBackend"


def test_the_http_backend_without_a_url_refuses_to_start():
    result = _load_settings(
        DJANGO_DEBUG="1", IDENTITY_VERIFICATION_PROVIDER="learners.verification.HttpBackend"
    )
    assert result.returncode != 0
    assert "IDENTITY_VERIFICATION_URL" in result.stderr


# --- a completion and a verification racing (PostgreSQL: row locks) ------------------------------


def _race(first, second) -> list[BaseException]:
    """Run ``first`` in a transaction that holds on for a moment after its work, and ``second``
    in another thread once ``first`` has done its work but not committed."""
    from django.db import connection, transaction

    worked = threading.Event()
    errors: list[BaseException] = []

    def run_first():
        try:
            with transaction.atomic():
                first()
                worked.set()
                time.sleep(0.5)  # the second one starts and waits on the learner's row lock
        except BaseException as error:  # noqa: BLE001 — reported by the test
            errors.append(error)
            worked.set()
        finally:
            connection.close()

    def run_second():
        try:
            worked.wait(timeout=10)
            second()
        except BaseException as error:  # noqa: BLE001 — reported by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("completion_first", [True, False])
def test_a_completion_racing_a_verification_still_gets_its_certificate(completion_first):
    from learners.services import learner_verify

    learner = LearnerFactory()
    course = make_course(lessons=1, duration=60)
    enroll(learner, course)

    def completion():
        course_completion_record(
            learner=Learner.objects.get(pk=learner.pk), course_id=course.pk, completed_at=timezone.now()
        )

    def verification():
        learner_verify(learner=Learner.objects.get(pk=learner.pk), verified_by=None, method="http")

    errors = _race(completion, verification) if completion_first else _race(verification, completion)

    assert errors == []
    entry = ArchiveEntry.objects.get(learner=learner)
    assert Certificate.objects.filter(entry=entry).count() == 1
