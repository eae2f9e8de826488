"""我要培训 in a real browser on a 390 px WeChat phone screen (Chromium with WeChat's user agent,
tests/e2e.PHONE) against a live server and the stand-in of WeChat's servers: a bound follower
opens the menu's link (the WeChat login opens their session), types part of an occupation's
name, picks it from the suggestions, submits, and sees the demand with its status; nothing on
the page is wider than the screen. Screenshot in test-artifacts/."""

import re

import pytest

from demand.models import TrainingDemand
from tests.e2e import ARTIFACTS, CHROMIUM, PHONE
from tests.factories import LearnerFactory, OccupationFactory
from wechat.models import WechatBinding

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"needs Chromium at {CHROMIUM} for Playwright"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

OPENID = "o-zibo-demand-0001"
DEMAND_PAGE = re.compile(r"/demand/(#.*)?$")


def test_a_worker_states_a_demand_on_a_390px_wechat_phone(browser, live_server, wechat):
    OccupationFactory()  # 4-10-01-05 养老护理员
    OccupationFactory(code="4-10-01-06", name="家政服务员")
    learner = LearnerFactory(real_name="王秀兰")
    WechatBinding.objects.create(learner=learner, openid=OPENID)
    wechat.auto_openid = OPENID  # the follower is "in WeChat": authorisation is immediate

    page = browser(PHONE)
    page.goto(f"{live_server.url}/wechat/oauth/?next=/demand/")  # the menu's 我要培训
    page.wait_for_url(DEMAND_PAGE)

    field = page.get_by_label("想参加培训的职业（工种）")
    field.fill("养老")
    suggestion = page.locator("#occupation-suggestions button", has_text="养老护理员")
    suggestion.wait_for()
    assert page.locator("#occupation-options option").count() == 1
    suggestion.click()
    assert field.input_value() == "4-10-01-05 养老护理员"
    page.get_by_label("说明（可不填）").fill("希望周末上课")
    page.get_by_role("button", name="提交需求").click()
    page.wait_for_load_state()

    assert page.locator("#my-demands").inner_text().count("养老护理员") == 1
    assert "已提交" in page.locator("#my-demands").inner_text()
    demand = TrainingDemand.objects.get()
    assert (demand.learner_id, demand.occupation.code, demand.note) == (
        learner.pk,
        "4-10-01-05",
        "希望周末上课",
    )
    # Fits the phone: no horizontal scrolling, the button within the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = page.get_by_role("button", name="提交需求").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    page.screenshot(path=str(ARTIFACTS / "demand-form-phone.png"), full_page=True)
