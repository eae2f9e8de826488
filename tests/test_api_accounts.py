"""Token login with its lockout, /me/ with masking, self-enrolment, and who may call what."""

import pytest
from knox.crypto import hash_token
from rest_framework.test import APIRequestFactory

from api.authentication import TokenAuthentication
from api.tokens import token_issue
from learners.models import Enrollment
from tests.conftest import client_for
from tests.factories import UserFactory, make_course

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


def _login(api, username, password):
    return api.post(TOKEN_URL, {"username": username, "password": password}, format="json")


def test_a_learner_gets_a_token_and_uses_it(api, learner):
    response = _login(api, learner.user.username, "pass-word-123")
    assert response.status_code == 200
    token = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/me/").json()["username"] == learner.user.username


def test_an_unknown_token_is_a_401_with_a_message(api, learner):
    client_for(learner.user)  # a real token exists; this one is not it
    api.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["detail"] == "认证令牌无效。"  # DRF's own wording, in zh-hans
    response = api.get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["detail"] == "Invalid token."  # in the request's language only


def test_a_deactivated_users_token_stops_working(learner):
    api = client_for(learner.user)
    assert api.get("/api/v1/me/").status_code == 200
    learner.user.is_active = False
    learner.user.save(update_fields=["is_active"])
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["detail"] == "用户未激活或者已删除。"


def test_a_token_authenticates_as_its_own_user_with_its_learner(learner, other_learner):
    """The token query joins token, user and learner by hand: each token must come back with its
    own user and learner, and a staff user's with none."""
    staff = UserFactory(is_staff=True)
    for user, learner_pk in (
        (learner.user, learner.pk),
        (other_learner.user, other_learner.pk),
        (staff, None),
    ):
        key = token_issue(user)
        request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Token {key}")
        authenticated_user, token = TokenAuthentication().authenticate(request)
        assert authenticated_user == user
        assert authenticated_user.username == user.username
        assert authenticated_user.password == user.password
        assert token.digest == hash_token(key) and token.user is authenticated_user and token.created
        assert token.learner_pk == learner_pk


def test_wrong_credentials_are_a_400_with_a_message(api, learner):
    response = _login(api, learner.user.username, "wrong")
    assert response.status_code == 400
    assert response.json()["detail"]


def test_a_missing_field_is_a_400_naming_it(api):
    response = api.post(TOKEN_URL, {"username": "x"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()["detail"]


def test_five_failures_lock_that_username_for_15_minutes_but_not_others(api, learner, other_learner):
    username = learner.user.username
    for _ in range(5):
        assert _login(api, username, "wrong").status_code == 400
    locked = _login(api, username, "pass-word-123")  # even the right password
    assert locked.status_code == 429
    assert "15" in locked.json()["detail"]
    assert _login(api, other_learner.user.username, "pass-word-123").status_code == 200


def test_the_lockout_ends_after_its_period(api, learner, settings):
    from django.core.cache import cache

    for _ in range(5):
        _login(api, learner.user.username, "wrong")
    assert _login(api, learner.user.username, "pass-word-123").status_code == 429
    cache.clear()  # what 15 minutes of expiry does to the lock key
    assert _login(api, learner.user.username, "pass-word-123").status_code == 200


def test_me_masks_the_id_number_and_phone(learner, learner_api):
    body = learner_api.get("/api/v1/me/").json()
    assert body["id_number"] == learner.id_number[:4] + "*" * 10 + learner.id_number[-4:]
    assert learner.id_number not in str(body)
    assert body["phone"] == learner.phone[:3] + "****" + learner.phone[-4:]
    assert body["real_name"] == learner.real_name
    assert body["district"] == "张店区"
    assert body["verified"] is False


def test_me_lists_enrollments(learner, learner_api):
    course = make_course()
    learner_api.post(f"/api/v1/courses/{course.pk}/enroll/")
    enrollments = learner_api.get("/api/v1/me/").json()["enrollments"]
    assert [e["course"] for e in enrollments] == [course.pk]
    assert enrollments[0]["enrolled_at"]


@pytest.mark.parametrize(("method", "url"), [("get", "/api/v1/me/"), ("post", "/api/v1/courses/1/enroll/")])
def test_anonymous_callers_are_refused(api, method, url):
    response = getattr(api, method)(url)
    assert response.status_code == 401
    assert response.json()["detail"]


def test_course_reads_are_open_to_anonymous_callers(api):
    course = make_course()
    assert api.get("/api/v1/courses/").status_code == 200
    assert api.get(f"/api/v1/courses/{course.pk}/").status_code == 200


def test_self_enrolment_is_201_then_200(learner, learner_api):
    course = make_course()
    first = learner_api.post(f"/api/v1/courses/{course.pk}/enroll/")
    again = learner_api.post(f"/api/v1/courses/{course.pk}/enroll/")
    assert (first.status_code, again.status_code) == (201, 200)
    assert Enrollment.objects.filter(learner=learner, course=course).count() == 1


def test_a_course_closed_to_self_enrolment_is_a_403_with_the_reason(learner, learner_api):
    course = make_course(open_enrolment=False)
    response = learner_api.post(f"/api/v1/courses/{course.pk}/enroll/")
    assert response.status_code == 403
    assert response.json()["detail"] == "此课程不开放自主选课，请通过培训机构报名。"
    english = learner_api.post(f"/api/v1/courses/{course.pk}/enroll/", HTTP_ACCEPT_LANGUAGE="en")
    assert (
        english.json()["detail"]
        == "This course is not open to self-enrolment; enrol through a training institution."
    )
    assert not Enrollment.objects.exists()


def test_enrolling_in_an_unpublished_course_is_a_404(learner_api):
    draft = make_course(publish=False)
    assert learner_api.post(f"/api/v1/courses/{draft.pk}/enroll/").status_code == 404


def test_a_user_without_a_learner_profile_cannot_enrol(db):
    staff = UserFactory(username="editor1", is_staff=True)
    course = make_course()
    response = client_for(staff).post(f"/api/v1/courses/{course.pk}/enroll/")
    assert response.status_code == 403
    assert not Enrollment.objects.exists()


# --- tokens: stored hashed, expiring (django-rest-knox) -------------------------------------


def test_a_token_is_stored_only_as_its_digest(api, learner):
    from knox.models import AuthToken

    token = _login(api, learner.user.username, "pass-word-123").json()["token"]
    stored = AuthToken.objects.get(user=learner.user)
    assert token not in {stored.digest, stored.token_key}
    assert stored.digest == hash_token(token)
    assert stored.expiry is not None


def test_an_expired_token_is_refused(learner):
    from django.utils import timezone
    from knox.models import AuthToken

    api = client_for(learner.user)
    assert api.get("/api/v1/me/").status_code == 200
    AuthToken.objects.filter(user=learner.user).update(expiry=timezone.now())
    response = api.get("/api/v1/me/")
    assert response.status_code == 401 and response.json()["detail"]


def test_tokens_last_the_configured_days(api, learner, settings):
    import datetime as dt

    from knox.models import AuthToken

    _login(api, learner.user.username, "pass-word-123")
    stored = AuthToken.objects.get(user=learner.user)
    assert dt.timedelta(days=29, hours=23) < stored.expiry - stored.created <= dt.timedelta(days=30)


def test_the_admin_lists_no_plain_tokens(client):
    from tests.factories import UserFactory as Users

    admin = Users(is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert client.get("/django-admin/authtoken/tokenproxy/").status_code == 404
