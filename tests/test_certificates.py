"""Certificates as evidence (issue 19): the platform's 培训合格证书 with its PDF (Chinese text, a
QR code of the verification URL), its signed Open Badges 3.0 credential that verifies offline
with the published key alone, the public JSON twin, the bureau's revocation (on the page, the
JSON and the next head), and certificates issued elsewhere recorded by institution staff with a
private scan. Personal data: the masked name only, anywhere public."""

import base64
import datetime as dt
import json

import pypdfium2
import pytest
import zxingcpp
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone

from archive import chain
from archive.certificates import certificate_revoke
from archive.models import Certificate, CertificateRevocation, ExternalCertificate, LogRecord
from archive.verify import chain_verify
from learners.models import Learner
from tests.conftest import client_for
from tests.institutions_factories import InstitutionFactory, TrainingClassFactory, make_world, member
from tests.subsidies_factories import completed_entry, subsidised_course
from vocabulary.identity import mask_name
from vocabulary.training import CertificateType

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def world():
    world = make_world()
    Learner.objects.filter(pk=world.learner_a.pk).update(verified=True)
    world.learner_a.refresh_from_db()
    return world


@pytest.fixture
def certificate(world):
    entry = completed_entry(world.learner_a, subsidised_course(title="养老护理员（五级）培训"))
    return Certificate.objects.select_related("entry__learner").get(entry=entry)


@pytest.fixture
def private_media(monkeypatch, tmp_path):
    """The scans' private storage in a temporary folder (a FileField resolves its storage once,
    when models load, so the field's storage is replaced rather than the setting)."""
    location = tmp_path / "private"
    monkeypatch.setattr(ExternalCertificate._meta.get_field("scan"), "storage", FileSystemStorage(location))
    return location


def b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify_offline(token: str, jwks: dict) -> dict:
    """What a holder does with no platform code: the JWK named by the header's kid, and the
    Ed25519 signature over ``header.payload`` checked with the cryptography package."""
    header_part, payload_part, signature_part = token.split(".")
    header = json.loads(b64url(header_part))
    assert header["alg"] == "EdDSA"
    key = next(key for key in jwks["keys"] if key["kid"] == header["kid"])
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and "d" not in key
    public = Ed25519PublicKey.from_public_bytes(b64url(key["x"]))
    public.verify(b64url(signature_part), f"{header_part}.{payload_part}".encode("ascii"))
    return json.loads(b64url(payload_part))


# --- issue ----------------------------------------------------------------------------------------


def test_completion_issues_a_training_certificate_recorded_in_the_log(certificate):
    assert certificate.type == CertificateType.TRAINING
    record = certificate.record
    assert record.kind == chain.Kind.CERTIFICATE_ISSUED
    assert record.refers_to_id == certificate.entry.record_id
    content = json.loads(record.content)
    assert content["certificate"] == certificate.number
    assert "real_name" not in content and "id_number" not in content
    assert chain_verify().ok


def test_the_credential_verifies_offline_with_the_published_key_alone(client, certificate, world):
    jwks = client.get("/.well-known/jwks.json").json()
    payload = verify_offline(certificate.credential, jwks)
    assert {"VerifiableCredential", "OpenBadgeCredential"} <= set(payload["type"])
    assert payload["issuer"]["name"] == "淄博技能在线"
    assert payload["validFrom"].endswith("Z")
    assert payload["number"] == certificate.number
    subject = payload["credentialSubject"]
    assert subject["name"] == mask_name(world.learner_a.real_name)
    achievement = subject["achievement"]
    assert achievement["name"] == "养老护理员（五级）培训"
    assert achievement["occupation"]["code"] == certificate.entry.occupation_code
    assert achievement["level"] == certificate.entry.level
    assert achievement["hours"] == "0.15"
    text = json.dumps(payload, ensure_ascii=False)
    learner = world.learner_a
    for personal in (learner.real_name, learner.id_number, learner.phone):
        assert personal not in text


def test_a_credential_with_one_byte_of_its_payload_changed_fails(client, certificate):
    jwks = client.get("/.well-known/jwks.json").json()
    header, payload, signature = certificate.credential.split(".")
    raw = bytearray(b64url(payload))
    raw[raw.index(b"0.15")] = ord("9")  # the hours, 0.15 → 9.15
    forged = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    with pytest.raises(InvalidSignature):
        verify_offline(f"{header}.{forged}.{signature}", jwks)


# --- the PDF --------------------------------------------------------------------------------------


def test_the_pdf_shows_the_certificate_in_chinese_with_a_qr_code_of_the_verify_url(certificate, world):
    api = client_for(world.learner_a.user)
    listed = api.get("/api/v1/me/archive/").json()["results"][0]["certificate"]
    assert listed["credential"] == certificate.credential and listed["status"] == "valid"
    response = api.get(listed["pdf_url"])
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    page = pypdfium2.PdfDocument(response.content)[0]
    text = page.get_textpage().get_text_range()
    for expected in ("培训合格证书", world.learner_a.real_name, "养老护理员（五级）培训", certificate.number):
        assert expected in text
    assert certificate.entry.occupation_name in text
    codes = zxingcpp.read_barcodes(page.render(scale=2).to_pil())
    assert [code.text for code in codes] == [listed["verify_url"]]
    assert listed["verify_url"].endswith(f"/certificates/{certificate.number}/")


def test_the_pdf_is_for_the_holder_and_staff_who_reach_them(certificate, world):
    url = f"/api/v1/certificates/{certificate.number}/pdf/"
    assert Client().get(url).status_code in (401, 403)
    allowed = [world.learner_a.user, world.staff_a, world.official, world.bureau, world.auditor, world.hr_a]
    refused = [world.learner_b.user, world.staff_b, world.editor]
    for user in allowed:
        assert client_for(user).get(url).status_code == 200, user
    for user in refused:
        response = client_for(user).get(url)
        assert response.status_code == 403 and response.json()["detail"], user
    assert (
        client_for(world.learner_a.user).get("/api/v1/certificates/ZB2026-2222-2222/pdf/").status_code == 404
    )


# --- public page and JSON twin -----------------------------------------------------------------


def test_the_public_json_twin_shows_the_masked_name_only(certificate, world):
    response = Client().get(f"/api/v1/certificates/{certificate.number.lower()}/")
    assert response.status_code == 200
    body = response.json()
    assert body["number"] == certificate.number and body["type"] == "training"
    assert body["holder"] == mask_name(world.learner_a.real_name)
    assert body["status"] == "valid" and body["credential"] == certificate.credential
    assert body["course_title"] == "养老护理员（五级）培训"
    assert body["occupation"]["code"] == certificate.entry.occupation_code
    assert dt.datetime.fromisoformat(body["issued_at"]) == certificate.issued_at
    text = response.content.decode()
    for personal in (world.learner_a.real_name, world.learner_a.id_number, world.learner_a.id_number[-4:]):
        assert personal not in text
    missing = Client().get("/api/v1/certificates/ZB2026-2222-2222/")
    assert missing.status_code == 404 and missing.json()["detail"]
    for hostile in ("%00", "ZB2026-%00", "X" * 40):  # PostgreSQL refuses NUL: a 404, not a 500
        assert Client().get(f"/api/v1/certificates/{hostile}/").status_code == 404
        assert Client().get(f"/certificates/{hostile}/").status_code == 404


def test_the_verify_page_shows_the_qr_and_how_to_check_offline(certificate, world):
    page = Client().get(f"/certificates/{certificate.number}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html and "/.well-known/jwks.json" in html and certificate.credential in html
    assert mask_name(world.learner_a.real_name) in html
    assert world.learner_a.real_name not in html and world.learner_a.id_number[-4:] not in html
    assert 'data-status="valid"' in html
    assert "撤销证书" not in html  # the form is the bureau's


# --- revocation ---------------------------------------------------------------------------------


def test_the_bureau_revokes_with_a_reason_seen_on_the_page_the_json_and_the_next_head(
    client, certificate, world, django_capture_on_commit_callbacks
):
    head_before = client.get("/api/v1/archive/head/").json()
    refused = client_for(world.official).post(
        f"/api/v1/certificates/{certificate.number}/revoke/", {"reason": "x"}, format="json"
    )
    assert refused.status_code == 403
    empty = client_for(world.bureau).post(
        f"/api/v1/certificates/{certificate.number}/revoke/", {}, format="json"
    )
    assert empty.status_code == 400 and empty.json()["detail"]
    with django_capture_on_commit_callbacks(execute=True):  # the cached head is forgotten on commit
        response = client_for(world.bureau).post(
            f"/api/v1/certificates/{certificate.number}/revoke/", {"reason": "培训记录造假"}, format="json"
        )
    assert response.status_code == 200
    assert response.json()["status"] == "revoked" and response.json()["revocation_reason"] == "培训记录造假"
    again = client_for(world.bureau).post(
        f"/api/v1/certificates/{certificate.number}/revoke/", {"reason": "再次"}, format="json"
    )
    assert again.status_code == 400 and "已经撤销" in again.json()["detail"]

    assert Client().get(f"/api/v1/certificates/{certificate.number}/").json()["status"] == "revoked"
    html = Client().get(f"/certificates/{certificate.number}/").content.decode()
    assert 'data-status="revoked"' in html and "培训记录造假" in html
    record = LogRecord.objects.get(kind=chain.Kind.CERTIFICATE_REVOKED)
    assert record.refers_to_id == certificate.record_id
    head_after = client.get("/api/v1/archive/head/").json()
    assert head_after["size"] == head_before["size"] + 1 and head_after["hash"] == record.hash
    assert chain_verify().ok


def test_the_bureau_revokes_from_the_verify_page(certificate, world):
    browser = Client()
    browser.force_login(world.bureau)
    page = browser.get(f"/certificates/{certificate.number}/").content.decode()
    assert "撤销证书" in page
    blank = browser.post(f"/certificates/{certificate.number}/revoke/", {"reason": " "})
    assert blank.status_code == 400 and "撤销原因" in blank.content.decode()
    done = browser.post(f"/certificates/{certificate.number}/revoke/", {"reason": "证书信息有误"})
    assert done.status_code == 302
    assert CertificateRevocation.objects.get().reason == "证书信息有误"
    learner = Client()
    learner.force_login(world.learner_a.user)
    assert learner.post(f"/certificates/{certificate.number}/revoke/", {"reason": "x"}).status_code == 403


def test_the_database_refuses_to_change_or_delete_certificates(certificate):
    with pytest.raises(DatabaseError), transaction.atomic():
        Certificate.objects.filter(pk=certificate.pk).update(number="ZB2026-AAAA-AAAA")
    with pytest.raises(DatabaseError), transaction.atomic():
        Certificate.objects.filter(pk=certificate.pk).delete()
    assert chain.guard_missing() == []


def tamper(sql, params):
    """Raw SQL with the append-only triggers lifted, as someone with the owner's rights could."""
    with transaction.atomic(), chain.guard_lifted(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_verifier_catches_a_certificate_whose_credential_was_swapped(certificate):
    forged = certificate.credential[:-4] + "AAAA"
    tamper("UPDATE archive_certificate SET credential = %s WHERE id = %s", [forged, certificate.pk])
    problem = chain_verify().problem
    assert problem.code == "entry_edited" and problem.seq == certificate.record_id
    assert "credential_sha256" in problem.message and certificate.number in problem.message


def test_the_verifier_catches_a_deleted_certificate(certificate):
    tamper("DELETE FROM archive_certificate WHERE id = %s", [certificate.pk])
    problem = chain_verify().problem
    assert problem.code == "entry_deleted" and problem.seq == certificate.record_id


def test_the_verifier_catches_a_revocation_deleted_behind_the_guard(certificate, world):
    revocation = certificate_revoke(certificate=certificate, reason="培训记录造假", by=world.bureau)
    assert chain_verify().ok
    tamper("DELETE FROM archive_certificaterevocation WHERE id = %s", [revocation.pk])
    problem = chain_verify().problem
    assert problem.code == "entry_deleted" and problem.seq == revocation.record_id


# --- certificates issued elsewhere ----------------------------------------------------------------


def record_form(**fields):
    data = {
        "id_number": fields.pop("id_number"),
        "type": CertificateType.SKILL_LEVEL,
        "number": "S000012345678",
        "issuer": "淄博市职业技能鉴定中心",
        "issued_on": timezone.localdate().isoformat(),
        "scan": SimpleUploadedFile("scan.png", PNG, content_type="image/png"),
    }
    data.update(fields)
    return data


def test_staff_record_an_external_certificate_with_a_private_scan(world, private_media):
    course = subsidised_course(certificate_type=CertificateType.SKILL_LEVEL)
    member(TrainingClassFactory(institution=world.institution_a, course=course), world.learner_a)
    entry = completed_entry(world.learner_a, course)
    # A training of the same kind at another institution is never the one it is attached to.
    elsewhere = subsidised_course("4-10-01-06", certificate_type=CertificateType.SKILL_LEVEL)
    member(TrainingClassFactory(institution=InstitutionFactory(), course=elsewhere), world.learner_a)
    completed_entry(world.learner_a, elsewhere, completed_at=timezone.now() + dt.timedelta(minutes=5))
    staff = Client()
    staff.force_login(world.staff_a)
    response = staff.post("/certificates/external/", record_form(id_number=world.learner_a.id_number))
    assert response.status_code == 302
    recorded = ExternalCertificate.objects.get()
    assert recorded.learner == world.learner_a and recorded.entry == entry
    assert recorded.record.kind == chain.Kind.EXTERNAL_CERTIFICATE
    assert recorded.record.refers_to_id == entry.record_id
    assert (private_media / recorded.scan.name).read_bytes() == PNG
    assert "/media/" not in recorded.scan.name
    listed = client_for(world.learner_a.user).get("/api/v1/me/archive/").json()["results"]
    by_entry = {row["id"]: row["external_certificates"] for row in listed}
    assert [row["number"] for row in by_entry.pop(entry.pk)] == ["S000012345678"]
    assert list(by_entry.values()) == [[]]  # not on the training at the other institution

    scan_url = f"/certificates/external/{recorded.pk}/scan/"
    assert b"".join(staff.get(scan_url).streaming_content) == PNG
    for user, expected in ((world.learner_a.user, 200), (world.staff_b, 404), (world.learner_b.user, 404)):
        browser = Client()
        browser.force_login(user)
        assert browser.get(scan_url).status_code == expected, user
    assert Client().get(scan_url).status_code == 302  # to the login page
    listed = staff.get("/certificates/external/").content.decode()
    assert "S000012345678" in listed and scan_url in listed
    assert chain_verify().ok


def test_external_certificates_refuse_what_cannot_be_recorded(world, private_media):
    staff = Client()
    staff.force_login(world.staff_a)
    outside = staff.post("/certificates/external/", record_form(id_number=world.learner_b.id_number))
    assert outside.status_code == 400 and "不在本机构" in outside.content.decode()
    not_scan = record_form(
        id_number=world.learner_a.id_number,
        scan=SimpleUploadedFile("x.png", b"<html>", content_type="image/png"),
    )
    assert staff.post("/certificates/external/", not_scan).status_code == 400
    future = record_form(
        id_number=world.learner_a.id_number,
        issued_on=(timezone.localdate() + dt.timedelta(days=2)).isoformat(),
    )
    assert staff.post("/certificates/external/", future).status_code == 400
    assert (
        staff.post("/certificates/external/", record_form(id_number=world.learner_a.id_number)).status_code
        == 302
    )
    twice = staff.post("/certificates/external/", record_form(id_number=world.learner_a.id_number))
    assert twice.status_code == 400 and "已经登记过" in twice.content.decode()
    assert ExternalCertificate.objects.count() == 1
    for user in (world.learner_a.user, world.official, world.bureau, world.editor):
        browser = Client()
        browser.force_login(user)
        assert browser.get("/certificates/external/").status_code == 403, user


def test_pdf_and_public_answers_are_cheap(certificate, world, django_assert_max_num_queries):
    api = client_for(world.learner_a.user)
    with django_assert_max_num_queries(8):
        api.get(f"/api/v1/certificates/{certificate.number}/pdf/")
    with django_assert_max_num_queries(4):
        Client().get(f"/api/v1/certificates/{certificate.number}/")
