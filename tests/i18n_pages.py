"""Reading a page as a person would, for the one-language-at-a-time tests: the text and the
attributes shown, the data (what users typed, the classification's names) taken out, and a client
that reads in English."""

from bs4 import BeautifulSoup, Comment
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from wagtail.models import Page

from courses.models import CoursePage, Occupation
from demand.models import TrainingDemand
from evaluation.models import CourseRating
from institutions.models import Enterprise, Institution, TrainingClass
from learners.models import Learner
from orders.models import OrderApplication
from teachers.models import Teacher
from tests.test_i18n import CJK, QUOTED
from vocabulary.identity import mask_name

# What a reader sees besides the text: the attributes that are read out or shown.
SHOWN_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "data-found", "data-none")
# The language switcher names each language in its own script.
LANGUAGE_NAMES = {"简体中文"}


def data_strings() -> set[str]:
    """Everything the users typed or the national classification names: people, courses and
    their pages, classes and their places, occupations, institutions, enterprises, teachers,
    notes and comments."""
    data = set(Occupation.objects.values_list("name", flat=True))
    data |= set(Page.objects.values_list("title", flat=True)) | set(
        CoursePage.objects.values_list("title", flat=True)
    )
    data |= set(Institution.objects.values_list("name", flat=True))
    data |= set(Enterprise.objects.values_list("name", flat=True))
    names = set(Learner.objects.values_list("real_name", flat=True))
    data |= names | {mask_name(name) for name in names}  # raters are named masked
    for name, employer in Teacher.objects.values_list("name", "employer"):
        data |= {name, employer}
    data |= set(OrderApplication.objects.values_list("name", flat=True))
    data |= set(TrainingDemand.objects.values_list("note", flat=True))
    for name, place in TrainingClass.objects.values_list("name", "place"):
        data |= {name, place}
    for user in User.objects.all():
        data |= {user.get_username(), user.get_full_name(), user.first_name, user.last_name}
    data |= set(CourseRating.objects.values_list("comment", flat=True))
    return {value for value in data if value}


def shown_text(html: str) -> str:
    soup = BeautifulSoup(html, "html.parser")
    for element in soup(["script", "style", "template"]):
        element.decompose()
    for comment in soup.find_all(string=lambda text: isinstance(text, Comment)):
        comment.extract()
    parts = [soup.get_text(" ")]
    parts += [element[name] for name in SHOWN_ATTRIBUTES for element in soup.find_all(attrs={name: True})]
    parts += [element["content"] for element in soup.find_all("meta", attrs={"content": True})]
    return " ".join(" ".join(parts).split())


def chinese_left(html: str, data: set[str]) -> list[str]:
    """The Chinese in a page once the data (longest first) and quoted words are taken out, each
    with a little of its context."""
    text = shown_text(html)
    for value in sorted(data | LANGUAGE_NAMES, key=len, reverse=True):
        text = text.replace(value, " ")
    text = QUOTED.sub(" ", text)
    return [text[max(0, m.start() - 30) : m.end() + 30] for m in CJK.finditer(text)]


def english(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client
