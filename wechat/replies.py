"""What the official account answers a follower (shared/contract/wechat.md, "Replies").

``answer(message)`` gives the text of the reply, or None for no reply (WeChat's ``success``).
It reads the database only (``wechat.selectors``) and calls nothing of WeChat's, so it answers
well within WeChat's 5 s. Links are absolute (``SITE_URL``); a link to a learner's own pages goes
through the WeChat login (``wechat:oauth-start``), which logs a bound follower in silently and
binds an unbound one after they log in or register.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from wechat import menu_keys, selectors
from wechat.inbound import Message

# WeChat cuts a text reply longer than this many bytes (UTF-8).
MAX_TEXT_BYTES = 2048
COURSES_PATH = "/courses/"

KEYWORDS = {
    "学习": menu_keys.STUDY,
    "我的学习": menu_keys.STUDY,
    "进度": menu_keys.PROGRESS,
    "学习进度": menu_keys.PROGRESS,
    "证书": menu_keys.CERTIFICATES,
    "我的证书": menu_keys.CERTIFICATES,
    "培训需求": menu_keys.DEMAND,
    "我要培训": menu_keys.DEMAND,
    "帮助": menu_keys.HELP,
    "help": menu_keys.HELP,
    "?": menu_keys.HELP,
    "？": menu_keys.HELP,
}


def answer(message: Message) -> str | None:
    if message.msg_type == "event":
        if message.event == "subscribe":
            return welcome(message.openid)
        if message.event == "click":
            action = message.event_key.upper()
            if action in ACTIONS:
                return act(action, message.openid)
            return short_help(message.openid)
        # unsubscribe, VIEW (the follower is opening a page), SCAN, LOCATION, template results…
        return None
    if message.msg_type == "text":
        action = KEYWORDS.get(message.content.strip().lower())
        if action is not None:
            return act(action, message.openid)
    # Any other text, an image, a voice message, a location…
    return short_help(message.openid)


def act(action: str, openid: str) -> str:
    """A keyword or a menu click (``menu_keys``): the bound learner's answer, or how to bind."""
    learner = selectors.bound_learner(openid)
    if learner is None:
        return _join(_keywords_text() if action == menu_keys.HELP else "", not_bound())
    return ACTIONS[action](learner)


# --- links ----------------------------------------------------------------------------------


def site_url(path: str) -> str:
    return path if "://" in path else settings.SITE_URL + path


def login_url(next_path: str) -> str:
    """A page of the learner's, opened through the WeChat login."""
    return site_url(f"{reverse('wechat:oauth-start')}?{urlencode({'next': next_path})}")


def learning_url() -> str:
    """我的学习 through the WeChat login: a bound follower lands there logged in; an unbound one
    logs in or registers, is bound to that account, and lands there. So it is also the link to
    bind."""
    return login_url(reverse("me:learning"))


bind_url = learning_url


# --- the texts ------------------------------------------------------------------------------


def welcome(openid: str) -> str:
    if selectors.bound_learner(openid) is not None:
        return _join(
            _("欢迎回来，您的微信已绑定学员账号。"),
            _("继续学习：%(url)s") % {"url": learning_url()},
            _("浏览课程：%(url)s") % {"url": site_url(COURSES_PATH)},
            _("回复“学习”“进度”“证书”查看您的课程、学时和证书，回复“帮助”查看说明。"),
        )
    return _join(
        _("欢迎关注淄博技能在线！在这里学习职业技能培训课程，结业记入您的实名培训档案。"),
        _("去学习：%(url)s") % {"url": site_url(COURSES_PATH)},
        _("绑定学员账号（登录或注册后自动绑定）：%(url)s") % {"url": bind_url()},
        _("绑定后回复“学习”“进度”“证书”即可查看您的课程、学时和证书，回复“帮助”查看说明。"),
    )


def not_bound() -> str:
    return _join(
        _("您的微信还没有绑定学员账号，请先绑定（登录或注册后自动绑定）：%(url)s") % {"url": bind_url()},
        _("绑定后回复“学习”“进度”“证书”即可查看您的课程、学时和证书。"),
    )


def _keywords_text() -> str:
    return "\n".join(
        [
            _("回复以下关键词："),
            _("学习 — 您正在学习的课程和学时"),
            _("进度 — 各门课程的学时进度和还差多少"),
            _("证书 — 您的证书和查验链接"),
            _("我要培训 — 提交您想参加的培训"),
            _("帮助 — 本说明"),
            _("也可以使用下方菜单。"),
        ]
    )


def help_text(learner) -> str:
    return _join(_keywords_text(), _("我的学习：%(url)s") % {"url": learning_url()})


def short_help(openid: str) -> str:
    text = _("没有看懂您的消息。回复“学习”“进度”“证书”或“帮助”试试。")
    if selectors.bound_learner(openid) is None:
        return _join(text, _("绑定学员账号：%(url)s") % {"url": bind_url()})
    return text


def hours(seconds: float) -> str:
    """Hours to at most two decimals, rounded down (credit is never shown as more than it is)."""
    hundredths = int(max(0.0, float(seconds)) / 36 + 1e-6)
    return f"{hundredths // 100}.{hundredths % 100:02d}".rstrip("0").rstrip(".")


def _course_line(row: dict) -> str:
    line = _("《%(title)s》已学 %(credited)s / 需 %(required)s 学时") % {
        "title": row["title"],
        "credited": hours(row["credited_seconds"]),
        "required": hours(row["required_seconds"]),
    }
    return line + (_("（已结业）") if row["completed"] else "")


def no_courses() -> str:
    return _join(_("您还没有报名课程。"), _("去选课：%(url)s") % {"url": site_url(COURSES_PATH)})


def study_text(learner) -> str:
    found = selectors.learner_courses(learner)
    learning = learning_url()
    if not found["courses"]:
        return no_courses()
    lines = [_course_line(row) for row in found["courses"]]
    tail = []
    resume = found["resume"]
    if resume and resume["path"]:
        tail.append(
            _("继续学习《%(title)s》：%(url)s") % {"title": resume["title"], "url": login_url(resume["path"])}
        )
    tail.append(_("我的学习：%(url)s") % {"url": learning})
    return fit(_("您的课程："), lines, "\n".join(tail), learning)


def progress_text(learner) -> str:
    found = selectors.learner_courses(learner)
    learning = learning_url()
    if not found["courses"]:
        return no_courses()
    lines = []
    for row in found["courses"]:
        line = _course_line(row)
        if not row["completed"]:
            line += _("，完成 %(percent)d%%") % {"percent": row["percent"]}
            missing = []
            if row["missing_seconds"] > 0:
                missing.append(_("%(hours)s 学时") % {"hours": hours(row["missing_seconds"])})
            if row["missing_lessons"] > 0:
                n = row["missing_lessons"]
                missing.append(ngettext("%(n)d 个必修课时", "%(n)d 个必修课时", n) % {"n": n})
            if missing:
                line += _("，还差 %(missing)s") % {"missing": "、".join(missing)}
        lines.append(line)
    return fit(_("学习进度："), lines, _("详情：%(url)s") % {"url": learning}, learning)


def certificates_text(learner) -> str:
    certificates = selectors.learner_certificates(learner)
    archive = login_url(reverse("my-archive"))
    if not certificates:
        return _join(
            _("您还没有证书。完成课程并通过实名核验后，证书会出现在这里。"),
            _("我的学习：%(url)s") % {"url": learning_url()},
        )
    items = [
        "\n".join(
            [
                _("《%(title)s》%(type)s") % {"title": c["course_title"], "type": c["type"]},
                _("编号 %(number)s，查验：%(url)s")
                % {"number": c["number"], "url": site_url(c["verify_path"])},
            ]
        )
        for c in certificates
    ]
    return fit(_("您的证书："), items, _("我的档案：%(url)s") % {"url": archive}, archive)


def demand_text(learner) -> str:
    """我要培训: where to state a wanted training and follow it (the demand page, 提单)."""
    return _join(
        _("想参加什么职业技能培训？告诉我们（提单）：%(url)s") % {"url": login_url(reverse("demand:mine"))},
        _("人社部门汇总大家的需求安排补贴性培训，有对应的班级时会通知您。"),
    )


ACTIONS = {
    menu_keys.STUDY: study_text,
    menu_keys.PROGRESS: progress_text,
    menu_keys.CERTIFICATES: certificates_text,
    menu_keys.HELP: help_text,
    menu_keys.DEMAND: demand_text,
}


# --- fitting WeChat's limit ---------------------------------------------------------------------


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _join(*parts: str) -> str:
    return "\n\n".join(part for part in parts if part)


def fit(head: str, items: list[str], tail: str, more_url: str) -> str:
    """``head``, the items one a line, then ``tail``, within ``MAX_TEXT_BYTES``: the items that
    do not fit are left out for "…" and a link to the page that shows them all."""
    text = _join(head + "\n" + "\n".join(items), tail)
    if _size(text) <= MAX_TEXT_BYTES:
        return text
    more = _("…（全部请看：%(url)s）") % {"url": more_url}
    budget = MAX_TEXT_BYTES - _size(_join(head + "\n" + more, tail)) - 1
    kept: list[str] = []
    for item in items:
        if _size(item) + 1 > budget:
            break
        kept.append(item)
        budget -= _size(item) + 1
    text = _join("\n".join([head, *kept, more]), tail)
    if _size(text) > MAX_TEXT_BYTES:  # only if head and tail alone are too long
        text = text.encode("utf-8")[: MAX_TEXT_BYTES - 3].decode("utf-8", "ignore") + "…"
    return text
