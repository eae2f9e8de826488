"""Factories for test data. Wagtail pages are created through the page tree, published."""

from decimal import Decimal

import factory
from django.contrib.auth.models import User
from factory.django import DjangoModelFactory
from wagtail.models import Page, Site

from courses.models import CourseIndexPage, CoursePage, HomePage, Lesson, LessonKind, Occupation
from learners.models import Enrollment, Learner
from vocabulary.identity import id_check_char
from vocabulary.people import District, TargetGroup
from vocabulary.training import Level

factory.Faker._DEFAULT_LOCALE = "zh_CN"


def valid_id_number(n: int) -> str:
    """A distinct, valid 18-character ID number for each n (Zibo area code, born 1990)."""
    first17 = f"370303199001{(n % 28) + 1:02d}{n % 1000:03d}"
    return first17 + id_check_char(first17)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pass-word-123")


class LearnerFactory(DjangoModelFactory):
    class Meta:
        model = Learner

    user = factory.SubFactory(UserFactory)
    real_name = factory.Faker("name")
    id_number = factory.Sequence(valid_id_number)
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    district = District.ZHANGDIAN
    target_group = TargetGroup.ENTERPRISE_EMPLOYEE


class OccupationFactory(DjangoModelFactory):
    class Meta:
        model = Occupation
        django_get_or_create = ("code",)

    code = "4-10-01-05"
    name = "养老护理员"


def site_home() -> HomePage:
    """The site's HomePage (created once, as the default site's root)."""
    home = HomePage.objects.first()
    if home is None:
        home = Page.get_first_root_node().add_child(instance=HomePage(title="淄博技能在线", slug="zibo-home"))
        Site.objects.update_or_create(
            is_default_site=True, defaults={"hostname": "localhost", "root_page": home, "port": 80}
        )
    return home


def course_index() -> CourseIndexPage:
    index = CourseIndexPage.objects.first()
    if index is None:
        index = site_home().add_child(instance=CourseIndexPage(title="课程中心", slug="courses"))
    return index


_course_counter = iter(range(1, 10**9))


def make_course(*, lessons=2, duration=600, publish=True, open_enrolment=True, **fields) -> CoursePage:
    """A course with ``lessons`` video lessons of ``duration`` seconds, published by default."""
    number = next(_course_counter)
    occupation = fields.pop("occupation", None) or OccupationFactory()
    course = CoursePage(
        title=fields.pop("title", f"课程 {number}"),
        slug=fields.pop("slug", f"course-{number}"),
        occupation=occupation,
        level=fields.pop("level", Level.FIVE),
        # By default what the lessons hold at the completion share (floored to 0.01 h), so that
        # completing every lesson also covers the hours, as a well-made course would.
        required_hours=fields.pop("required_hours", Decimal(int(lessons * duration * 0.9 / 36)) / 100),
        open_enrolment=open_enrolment,
        # Off unless a test asks: most tests are about other rules (new courses default to on).
        block_seek_ahead=fields.pop("block_seek_ahead", False),
        attention_check_minutes=fields.pop("attention_check_minutes", 0),
        live=False,
        lessons=[
            Lesson(title=f"第{i + 1}课", kind=LessonKind.VIDEO, duration=duration, sort_order=i)
            for i in range(lessons)
        ],
        **fields,
    )
    course_index().add_child(instance=course)
    if publish:
        course.save_revision().publish()
    course.refresh_from_db()
    return course


def enroll(learner: Learner, course: CoursePage) -> Enrollment:
    return Enrollment.objects.get_or_create(learner=learner, course=course)[0]
