"""The UI is Chinese first, with English available: the English catalog is complete and used."""

import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import make_course

LOCALE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def po_msgids(path: Path) -> list[str]:
    """The msgids of a .po file (continuation lines joined; the header skipped)."""
    msgids, current, in_msgid = [], None, False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("msgid "):
            current, in_msgid = line[6:].strip()[1:-1], True
        elif in_msgid and line.startswith('"'):
            current += line.strip()[1:-1]
        else:
            if in_msgid and current:
                msgids.append(current.encode().decode("unicode_escape").encode("latin-1").decode())
            in_msgid = False
    return msgids


def test_every_chinese_string_has_a_compiled_english_translation():
    with open(LOCALE / "django.mo", "rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)
    chinese = [msgid for msgid in po_msgids(LOCALE / "django.po") if CHINESE.search(msgid)]
    assert len(chinese) > 200
    missing = [msgid for msgid in chinese if catalog.gettext(msgid) == msgid]
    assert not missing, f"not translated (or django.mo not recompiled: make messages): {missing[:5]}"


@pytest.mark.django_db
def test_pages_speak_chinese_by_default_and_english_when_chosen(client, learner):
    make_course(title="电工（五级）")
    client.force_login(learner.user)
    chinese = client.get("/me/archive/").content.decode()
    assert "我的档案" in chinese and 'lang="zh-hans"' in chinese
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get("/me/archive/").content.decode()
    assert 'lang="en"' in english
    assert "My archive" in english and "My learning" in english
    assert "我的档案" not in english


@pytest.mark.django_db
def test_the_language_switcher_sets_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/courses/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
