"""The custom menu: a Wagtail setting editors fill in (wechat.models.WechatMenu), checked against
WeChat's limits (wechat.menu), pushed by ``manage.py wechat_push_menu`` to a stand-in."""

import json
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from wechat import menu_keys
from wechat.menu import current_menu, menu_errors, menu_payload
from wechat.models import WechatMenu

pytestmark = pytest.mark.django_db


def click(name, key=menu_keys.STUDY):
    return {"type": "click", "value": {"name": name, "key": key}}


def view(name, url="/courses/"):
    return {"type": "view", "value": {"name": name, "url": url}}


def sub_menu(name, *buttons):
    return {"type": "sub_menu", "value": {"name": name, "sub_buttons": list(buttons)}}


def clean(raw: list[dict]):
    """What the Wagtail editor's form does with the blocks."""
    block = WechatMenu._meta.get_field("buttons").stream_block
    return block.clean(block.to_python(raw))


def errors_of(raw: list[dict]) -> str:
    with pytest.raises(ValidationError) as refused:
        clean(raw)
    return json.dumps(refused.value.as_json_data(), ensure_ascii=False)


def set_menu(raw: list[dict]) -> None:
    setting = WechatMenu.load()
    setting.buttons = raw
    setting.save()


def test_the_default_menu_offers_study_progress_and_more(settings):
    payload, default = current_menu()

    assert default is False  # the setting was created holding the default, for editors to change
    top = payload["button"]
    assert [button["name"] for button in top] == ["学习", "进度", "更多"]
    assert top[0] == {"type": "click", "name": "学习", "key": "STUDY"}
    assert top[1] == {"type": "click", "name": "进度", "key": "PROGRESS"}
    more = {button["name"]: button for button in top[2]["sub_button"]}
    assert more["我的证书"] == {"type": "click", "name": "我的证书", "key": "CERTIFICATES"}
    assert more["帮助"]["key"] == "HELP"
    assert more["全部课程"] == {"type": "view", "name": "全部课程", "url": settings.SITE_URL + "/courses/"}
    assert menu_errors(payload) == []


def test_an_emptied_menu_falls_back_to_the_default():
    set_menu([])

    payload, default = current_menu()

    assert default is True
    assert [button["name"] for button in payload["button"]] == ["学习", "进度", "更多"]


def test_a_menu_within_the_limits_is_accepted():
    raw = [
        click("学习"),
        view("课程", "https://example.org/courses/"),
        sub_menu("更多", *[click(f"按钮{n}", menu_keys.HELP) for n in range(5)]),
    ]
    assert len(clean(raw)) == 3
    assert menu_errors(menu_payload(raw)) == []


def test_a_fourth_top_level_button_is_refused():
    raw = [click("学习"), click("进度"), click("证书"), click("帮助", menu_keys.HELP)]

    assert "3" in errors_of(raw)
    assert any("最多 3 个" in error for error in menu_errors(menu_payload(raw)))


def test_a_sixth_sub_button_and_an_empty_sub_menu_are_refused():
    six = sub_menu("更多", *[click(f"按钮{n}") for n in range(6)])
    assert "5" in errors_of([six])
    assert errors_of([sub_menu("空的")])
    assert menu_errors(menu_payload([six]))
    assert menu_errors({"button": [{"name": "空的", "sub_button": []}]})


def test_names_are_limited_in_bytes_as_wechat_counts_them():
    assert errors_of([click("学习中心课程")])  # 6 Chinese characters: 18 bytes > 16
    assert len(clean([click("学习中心课")])) == 1  # 15 bytes
    assert len(clean([sub_menu("更多", click("二" * 20))])) == 1  # 60 bytes in a sub-menu
    assert errors_of([sub_menu("更多", click("二" * 21))])
    assert menu_errors({"button": [{"type": "click", "name": "学习中心课程", "key": "STUDY"}]})


def test_click_keys_are_the_ones_the_endpoint_answers_and_links_are_web_addresses():
    assert errors_of([click("学习", "DELETE_ALL")])
    for url in ("javascript:alert(1)", "//evil.example/", "ftp://example.org/", "courses/"):
        assert errors_of([view("课程", url)]), url
    assert menu_errors({"button": [{"type": "click", "name": "学", "key": "NOPE"}]})
    assert menu_errors({"button": [{"type": "view", "name": "学", "url": "javascript:alert(1)"}]})
    assert menu_errors({"button": [{"type": "miniprogram", "name": "学"}]})
    assert menu_errors({"button": []})


def test_the_push_command_sends_the_menu_to_wechat(wechat, settings):
    set_menu([click("学习"), sub_menu("更多", view("课程", "/courses/"), click("帮助", menu_keys.HELP))])
    out = StringIO()

    call_command("wechat_push_menu", stdout=out)

    [pushed] = wechat.menus
    assert pushed == {
        "button": [
            {"type": "click", "name": "学习", "key": "STUDY"},
            {
                "name": "更多",
                "sub_button": [
                    {"type": "view", "name": "课程", "url": settings.SITE_URL + "/courses/"},
                    {"type": "click", "name": "帮助", "key": "HELP"},
                ],
            },
        ]
    }
    printed = out.getvalue()
    assert "Pushed the menu set in Wagtail" in printed
    assert json.loads(printed[printed.index("{") :]) == pushed


def test_the_push_command_pushes_the_default_when_the_setting_is_empty(wechat):
    set_menu([])
    out = StringIO()
    call_command("wechat_push_menu", stdout=out)
    assert "default menu" in out.getvalue()
    assert [button["name"] for button in wechat.menus[0]["button"]] == ["学习", "进度", "更多"]


def test_with_wechat_off_the_push_command_fails_clearly(settings):
    settings.WECHAT_APP_ID = ""
    with pytest.raises(CommandError, match="WECHAT_APP_ID"):
        call_command("wechat_push_menu")


def test_a_menu_wechat_refuses_is_a_clear_error(wechat):
    wechat.fail_next("cgi-bin/menu/create", 40018)
    with pytest.raises(CommandError, match="40018"):
        call_command("wechat_push_menu")
    assert wechat.menus == []


def test_a_menu_stored_beyond_the_limits_is_not_pushed(wechat):
    WechatMenu.objects.update_or_create(
        pk=WechatMenu.load().pk, defaults={"buttons": [click(f"按{n}") for n in range(4)]}
    )
    with pytest.raises(CommandError, match="菜单不符合微信的限制"):
        call_command("wechat_push_menu")
    assert wechat.calls_to("cgi-bin/menu/create") == []


def test_editors_find_the_menu_in_wagtail_settings(client, django_user_model):
    admin = django_user_model.objects.create_superuser("editor", "editor@example.org", "pass-word-123")
    client.force_login(admin)

    response = client.get("/admin/settings/wechat/wechatmenu/", follow=True)

    assert response.status_code == 200
    page = response.content.decode()
    assert "微信公众号菜单" in page and "wechat_push_menu" in page
