"""/wechat/ as WeChat's servers and a follower see it: the handshake, signed messages and events in
plain and safe (AES) mode, the replies (bound and unbound), retries answered once, and hostile
bodies refused quickly (shared/contract/wechat.md)."""

import time
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from archive.models import Certificate
from learners.models import Enrollment
from progress.completion import course_completion_record
from progress.models import LessonProgress
from tests.factories import LearnerFactory, enroll, make_course
from tests.wechat_factories import (
    ACCOUNT,
    TOKEN,
    decrypt_reply,
    encrypt_for_endpoint,
    event_message,
    media_message,
    message_xml,
    new_aes_key,
    next_msg_id,
    reply_fields,
    sign,
    signed_query,
    text_message,
)
from vocabulary.training import CertificateType
from wechat import delivery, replies
from wechat.models import DeliveredMessage, WechatBinding

pytestmark = pytest.mark.django_db

BOUND = "o-bound-follower"
STRANGER = "o-unbound-follower"


@pytest.fixture
def on(wechat, settings):
    settings.SITE_URL = "https://px.zibo.example"
    return wechat


@pytest.fixture
def learner(db):
    learner = LearnerFactory(verified=True)
    WechatBinding.objects.create(openid=BOUND, learner=learner)
    return learner


@pytest.fixture
def studying(learner):
    """养老护理基础: 8 hours required, 1.5 credited."""
    course = make_course(title="养老护理基础", lessons=2, duration=3600, required_hours=Decimal("8"))
    enroll(learner, course)
    LessonProgress.objects.create(learner=learner, lesson=course.lessons.first(), credited_seconds=5400)
    return course


@pytest.fixture
def certified(learner):
    course = make_course(
        title="电工（五级）", lessons=1, duration=60, certificate_type=CertificateType.SKILL_LEVEL
    )
    enroll(learner, course)
    course_completion_record(learner=learner, course_id=course.pk, completed_at=timezone.now())
    return Certificate.objects.get(entry__learner=learner)


def post(client, body, query=None):
    body = body if isinstance(body, bytes) else body.encode("utf-8")
    return client.post(f"/wechat/?{query or signed_query()}", data=body, content_type="text/xml")


def ask(client, body) -> dict:
    response = post(client, body)
    assert response.status_code == 200, response.content
    return reply_fields(response.content)


def say(client, openid, text) -> str:
    fields = ask(client, text_message(openid, text))
    assert (fields["ToUserName"], fields["FromUserName"], fields["MsgType"]) == (openid, ACCOUNT, "text")
    return fields["Content"]


def bind_link(url="https://px.zibo.example"):
    return f"{url}/wechat/oauth/?next=%2Fme%2Flearning%2F"


# --- the handshake and signatures ---------------------------------------------------------------


def test_the_handshake_answers_echostr_when_the_signature_is_right(client, on):
    response = client.get(f"/wechat/?{signed_query(echostr='4411297346')}")
    assert response.status_code == 200
    assert response.content == b"4411297346"
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize(
    "query",
    [
        "echostr=1",
        "signature=0000&timestamp=1&nonce=2&echostr=1",
        signed_query("another-token", echostr="1"),
        signed_query(echostr="1").replace("timestamp=", "timestamp=9"),
    ],
)
def test_the_handshake_is_refused_with_a_wrong_or_missing_signature(client, on, query, caplog):
    response = client.get(f"/wechat/?{query}")
    assert response.status_code == 403
    assert b"1" not in response.content
    refusal = next(r for r in caplog.records if r.name == "wechat.endpoint")
    assert refusal.exc_info is None  # a line in the log, not a traceback


@pytest.mark.parametrize("query", ["", "signature=x&timestamp=1&nonce=2", signed_query("wrong-token")])
def test_a_message_without_the_right_signature_is_refused(client, on, query):
    response = client.post(f"/wechat/?{query}", text_message(STRANGER, "帮助"), content_type="text/xml")
    assert response.status_code == 403
    assert not DeliveredMessage.objects.exists()


def test_without_wechat_configured_the_endpoint_does_not_exist(client, settings):
    settings.WECHAT_APP_ID = ""
    settings.WECHAT_TOKEN = TOKEN
    assert client.get(f"/wechat/?{signed_query(echostr='1')}").status_code == 404
    assert post(client, text_message(STRANGER, "帮助")).status_code == 404


# --- replies ------------------------------------------------------------------------------------


def test_following_the_account_is_welcomed_with_links_to_study_and_to_bind(client, on):
    fields = ask(client, event_message(STRANGER, "subscribe"))
    assert (fields["ToUserName"], fields["FromUserName"], fields["MsgType"]) == (STRANGER, ACCOUNT, "text")
    assert "https://px.zibo.example/courses/" in fields["Content"]
    assert bind_link() in fields["Content"]
    assert "绑定" in fields["Content"]


def test_a_bound_follower_coming_back_is_welcomed_with_a_link_to_their_learning(client, on, learner):
    content = ask(client, event_message(BOUND, "subscribe", "qrscene_12"))["Content"]
    assert "已绑定" in content and bind_link() in content and "/courses/" in content


def test_unfollowing_is_answered_success(client, on):
    response = post(client, event_message(STRANGER, "unsubscribe"))
    assert (response.status_code, response.content) == (200, b"success")


@pytest.mark.parametrize("keyword", ["学习", "进度", "证书", "帮助", " 学习\n"])
def test_a_keyword_from_an_unbound_follower_asks_them_to_bind(client, on, keyword):
    content = say(client, STRANGER, keyword)
    assert "绑定" in content and bind_link() in content


def test_a_follower_whose_account_is_disabled_is_not_answered_as_that_learner(client, on, learner, studying):
    learner.user.is_active = False
    learner.user.save()
    content = say(client, BOUND, "学习")
    assert "养老护理基础" not in content and bind_link() in content


def test_study_names_the_current_courses_with_credited_and_required_hours(client, on, learner, studying):
    done = make_course(title="消防安全常识", lessons=1, duration=60, required_hours=Decimal("0.01"))
    Enrollment.objects.filter(pk=enroll(learner, done).pk).update(completed_at=timezone.now())
    content = say(client, BOUND, "学习")
    assert "《养老护理基础》已学 1.5 / 需 8 学时" in content
    assert "《消防安全常识》已学 0 / 需 0.01 学时（已结业）" in content
    assert content.index("养老护理基础") < content.index("消防安全常识")  # current ones first
    assert "https://px.zibo.example/wechat/oauth/?next=" in content  # where to go on


def test_progress_adds_what_is_still_missing(client, on, studying):
    content = say(client, BOUND, "进度")
    assert "《养老护理基础》已学 1.5 / 需 8 学时，完成 18%，还差 6.5 学时、2 个必修课时" in content


def test_no_courses_yet_points_to_the_course_list(client, on, learner):
    content = say(client, BOUND, "学习")
    assert "还没有报名课程" in content and "https://px.zibo.example/courses/" in content


def test_certificates_are_listed_with_their_verification_links(client, on, certified):
    content = say(client, BOUND, "证书")
    link = f"https://px.zibo.example/certificates/{certified.number}/"
    assert "《电工（五级）》培训合格证书" in content
    assert link in content
    # The link is the public verification page of that certificate.
    assert client.get(link.removeprefix("https://px.zibo.example")).status_code == 200


def test_no_certificate_yet_says_so(client, on, learner):
    assert "还没有证书" in say(client, BOUND, "证书")


def test_help_explains_the_keywords(client, on, learner):
    content = say(client, BOUND, "帮助")
    for keyword in ("学习", "进度", "证书", "帮助"):
        assert keyword in content
    assert "绑定学员账号：" not in content


@pytest.mark.parametrize("openid", [BOUND, STRANGER])
def test_any_other_text_gets_a_short_help(client, on, learner, openid):
    content = say(client, openid, "你好，请问怎么报名？")
    assert "帮助" in content and len(content.encode()) < 400
    assert (bind_link() in content) == (openid == STRANGER)


def test_an_image_or_a_location_gets_the_short_help(client, on, learner):
    image = ask(client, media_message(BOUND, "image", PicUrl="http://x/1.jpg", MediaId="m1"))
    location = ask(client, media_message(BOUND, "location", Location_X="36.8", Location_Y="118.0", Scale=15))
    assert image["Content"] == location["Content"] == say(client, BOUND, "随便说说")


@pytest.mark.parametrize(
    "key,keyword", [("STUDY", "学习"), ("PROGRESS", "进度"), ("CERTIFICATES", "证书"), ("HELP", "帮助")]
)
def test_menu_clicks_answer_as_their_keywords(client, on, studying, certified, key, keyword):
    click = ask(client, event_message(BOUND, "CLICK", key))
    assert (click["ToUserName"], click["FromUserName"]) == (BOUND, ACCOUNT)
    assert click["Content"] == say(client, BOUND, keyword)


def test_a_menu_link_opened_gets_no_reply(client, on):
    response = post(client, event_message(STRANGER, "VIEW", "https://px.zibo.example/courses/"))
    assert (response.status_code, response.content) == (200, b"success")


def test_a_long_answer_is_cut_within_wechats_limit_with_a_link_to_the_rest(client, on, learner):
    for n in range(8):
        enroll(learner, make_course(title=f"{n}号" + "职业技能提升培训专项课程" * 8, lessons=1, duration=60))
    content = say(client, BOUND, "学习")
    assert len(content.encode("utf-8")) <= 2048
    assert "…（全部请看：https://px.zibo.example/wechat/oauth/?next=%2Fme%2Flearning%2F）" in content
    assert "7号" in content and "0号" not in content  # the newest first, the rest left out


def test_a_course_title_cannot_break_the_reply_xml(client, on, learner):
    enroll(learner, make_course(title="坏标题]]><MsgType>image</MsgType>", lessons=1))
    fields = ask(client, text_message(BOUND, "学习"))
    assert fields["MsgType"] == "text"
    assert "《坏标题]]><MsgType>image</MsgType>》" in fields["Content"]


def test_a_reply_reads_a_bounded_number_of_queries(client, on, learner, studying):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            say(client, BOUND, "进度")
        return len(captured)

    queries()  # Wagtail caches the site's root paths on the first
    one = queries()
    for _ in range(4):
        enroll(learner, make_course(lessons=3))
    assert queries() == one <= 15


# --- retries ------------------------------------------------------------------------------------


def test_a_retried_message_is_processed_once_and_answered_each_time(client, on, studying):
    body = text_message(BOUND, "学习", msg_id=next_msg_id())
    with mock.patch.object(replies, "answer", wraps=replies.answer) as answer:
        first, second, third = (post(client, body, signed_query()) for _ in range(3))
    assert answer.call_count == 1
    assert first.status_code == second.status_code == third.status_code == 200
    assert first.content == second.content == third.content
    assert DeliveredMessage.objects.count() == 1


def test_a_retried_event_is_known_by_sender_and_time(client, on):
    at = int(time.time())
    with mock.patch.object(replies, "answer", wraps=replies.answer) as answer:
        first = post(client, event_message(STRANGER, "subscribe", create_time=at))
        retry = post(client, event_message(STRANGER, "subscribe", create_time=at))
        assert answer.call_count == 1
        assert first.content == retry.content
        # New events: another second, another follower, another event in the same second.
        post(client, event_message(STRANGER, "subscribe", create_time=at + 1))
        post(client, event_message("o-someone-else", "subscribe", create_time=at))
        click = post(client, event_message(STRANGER, "CLICK", "HELP", create_time=at))
    assert answer.call_count == 4
    assert "证书 —" in reply_fields(click.content)["Content"]
    keys = DeliveredMessage.objects.values_list("key", flat=True)
    assert sorted(key.rsplit(":", 1)[0] for key in keys) == sorted(
        [f"{STRANGER}:{at}", f"{STRANGER}:{at}", f"{STRANGER}:{at + 1}", f"o-someone-else:{at}"]
    )


def test_a_duplicate_arriving_while_the_first_is_answered_gets_success_not_an_error(client, on, monkeypatch):
    monkeypatch.setattr(delivery, "WAIT_SECONDS", 0.1)
    msg_id = next_msg_id()
    DeliveredMessage.objects.create(key=str(msg_id), reply="")  # the first delivery, still in flight
    response = post(client, text_message(STRANGER, "帮助", msg_id=msg_id))
    assert (response.status_code, response.content) == (200, b"success")


def test_a_failed_first_delivery_lets_the_retry_try_again(client, on):
    body = text_message(STRANGER, "帮助", msg_id=next_msg_id())
    with (
        mock.patch.object(replies, "answer", side_effect=RuntimeError("database went away")),
        pytest.raises(RuntimeError),
    ):
        post(client, body)
    assert "绑定" in reply_fields(post(client, body).content)["Content"]


def test_old_deliveries_are_forgotten(on):
    old = DeliveredMessage.objects.create(key="1")
    DeliveredMessage.objects.filter(pk=old.pk).update(received_at=timezone.now() - delivery.KEEP * 2)
    DeliveredMessage.objects.create(key="2")
    assert delivery.delivered_purge() == 1
    assert list(DeliveredMessage.objects.values_list("key", flat=True)) == ["2"]


# --- safe (AES) mode ----------------------------------------------------------------------------


@pytest.fixture
def aes(on, settings):
    settings.WECHAT_ENCODING_AES_KEY = new_aes_key()
    return settings.WECHAT_ENCODING_AES_KEY


def ask_encrypted(client, xml, key) -> dict:
    query, body = encrypt_for_endpoint(xml, aes_key=key, openid=BOUND)
    response = client.post(f"/wechat/?{query}", body, content_type="text/xml")
    assert response.status_code == 200, response.content
    assert b"CDATA[text]" not in response.content  # nothing in the clear
    return decrypt_reply(response.content, aes_key=key)


def test_safe_mode_text_is_decrypted_and_the_reply_encrypted(client, aes, studying):
    fields = ask_encrypted(client, text_message(BOUND, "学习"), aes)
    assert (fields["ToUserName"], fields["FromUserName"], fields["MsgType"]) == (BOUND, ACCOUNT, "text")
    assert "《养老护理基础》已学 1.5 / 需 8 学时" in fields["Content"]


def test_safe_mode_events(client, aes, learner):
    assert bind_link() in ask_encrypted(client, event_message(STRANGER, "subscribe"), aes)["Content"]
    assert "证书 —" in ask_encrypted(client, event_message(BOUND, "CLICK", "HELP"), aes)["Content"]
    query, body = encrypt_for_endpoint(event_message(BOUND, "unsubscribe"), aes_key=aes)
    assert client.post(f"/wechat/?{query}", body, content_type="text/xml").content == b"success"


def test_safe_mode_retries_are_answered_each_time(client, aes):
    xml = text_message(STRANGER, "帮助", msg_id=next_msg_id())
    assert ask_encrypted(client, xml, aes) == ask_encrypted(client, xml, aes)
    assert DeliveredMessage.objects.count() == 1


def _tamper(query: str, name: str, value: str | None) -> str:
    pairs = [p for p in query.split("&") if not p.startswith(f"{name}=")]
    return "&".join(pairs + ([f"{name}={value}"] if value is not None else []))


@pytest.mark.parametrize("value", [None, "0" * 40])
def test_safe_mode_needs_the_right_msg_signature(client, aes, value):
    query, body = encrypt_for_endpoint(text_message(STRANGER, "帮助"), aes_key=aes)
    response = client.post(
        f"/wechat/?{_tamper(query, 'msg_signature', value)}", body, content_type="text/xml"
    )
    assert response.status_code == 403


def test_safe_mode_with_another_key_or_garbage_is_a_400(client, aes):
    query, body = encrypt_for_endpoint(text_message(STRANGER, "帮助"), aes_key=new_aes_key())
    assert client.post(f"/wechat/?{query}", body, content_type="text/xml").status_code == 400
    for garbage in ["bm90IGVuY3J5cHRlZA==", "%%%", "A" * 64]:
        timestamp, nonce = "1700000000", "42"
        query = signed_query(timestamp=timestamp, nonce=nonce, encrypt_type="aes")
        query += f"&msg_signature={sign(TOKEN, timestamp, nonce, garbage)}"
        body = message_xml(ToUserName=ACCOUNT, Encrypt=garbage)
        assert client.post(f"/wechat/?{query}", body, content_type="text/xml").status_code == 400


def test_safe_mode_refuses_a_dtd_inside_the_encrypted_message(client, aes):
    inner = f'<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>{text_message(STRANGER, "&x;")}'
    query, body = encrypt_for_endpoint(inner, aes_key=aes)
    response = client.post(f"/wechat/?{query}", body, content_type="text/xml")
    assert response.status_code == 400 and b"root:" not in response.content


# --- malformed and hostile bodies ---------------------------------------------------------------

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + "]><xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>"
    "<MsgType>text</MsgType><Content>&lol9;</Content><MsgId>1</MsgId></xml>"
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    + text_message(STRANGER, "x").replace("<![CDATA[x]]>", "&xxe;")
)
PARAMETER_ENTITY = '<!DOCTYPE xml [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]><xml/>'


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        b"not xml at all",
        b"<xml><ToUserName>gh</ToUserName>",  # cut short
        "<xml><Content>中文</Content></xml>".encode("gbk"),  # not UTF-8
        b"\xff\xfe\x00<\x00x",
        b"<root><ToUserName>gh</ToUserName></root>",
        message_xml(ToUserName=ACCOUNT, FromUserName=STRANGER, MsgType="text").encode(),  # no CreateTime
        text_message(STRANGER, "x", create_time=10**40).encode(),
        text_message(STRANGER, "x").replace("<CreateTime>", "<CreateTime>-").encode(),
        message_xml(ToUserName=ACCOUNT, FromUserName="o" * 500, CreateTime=1, MsgType="text").encode(),
        BILLION_LAUGHS.encode(),
        EXTERNAL_ENTITY.encode(),
        PARAMETER_ENTITY.encode(),
        b'<?xml version="1.0"?><!DOCTYPE xml SYSTEM "http://127.0.0.1:9/x.dtd"><xml/>',
    ],
    ids=lambda body: body[:30].decode("utf-8", "replace"),
)
def test_a_malformed_or_hostile_body_is_a_quick_400(client, on, body):
    started = time.perf_counter()
    response = post(client, body)
    elapsed = time.perf_counter() - started
    assert response.status_code == 400
    assert elapsed < 1
    assert b"root:" not in response.content and b"lol" not in response.content
    assert not DeliveredMessage.objects.exists()


def test_a_body_too_big_is_refused_before_it_is_read(client, on):
    huge = text_message(STRANGER, "x" * 70_000)
    assert post(client, huge).status_code == 413
