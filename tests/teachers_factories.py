"""Factories and personas for the teacher pool and teaching materials."""

import io

import factory
import factory.random
from django.contrib.auth.models import Group
from django.core.files.images import ImageFile
from factory.django import DjangoModelFactory
from PIL import Image as PILImage
from wagtail.images import get_image_model

from courses.models import Occupation
from teachers.isbn import isbn13_check_digit
from teachers.models import Material, Teacher, TeacherCertificate, TeacherState
from tests.factories import LearnerFactory, OccupationFactory, UserFactory
from vocabulary.training import Level

factory.random.reseed_random("zibo-teachers")


def staff_user(**fields):
    """A user without a usable password (tests log in with force_login or a token): hashing a
    real password costs about half a second each."""
    return UserFactory(password=None, **fields)


def editor_user(**fields):
    """A content editor: Wagtail's "Editors" group (admin access and the teacher screens)."""
    user = staff_user(is_staff=True, **fields)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def reviewer_user(**fields):
    """A reviewer: Wagtail's "Moderators" group."""
    user = staff_user(is_staff=True, **fields)
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


def superuser(**fields):
    return staff_user(is_staff=True, is_superuser=True, **fields)


def learner_user():
    return LearnerFactory(user__password=None).user


def isbn13(n: int) -> str:
    """A distinct valid ISBN-13 for each n (中国劳动社会保障出版社's prefix 978-7-5167)."""
    first12 = f"9787516{n % 100000:05d}"
    return first12 + isbn13_check_digit(first12)


def make_photo(title: str = "照片"):
    buffer = io.BytesIO()
    PILImage.new("RGB", (60, 80), (120, 90, 60)).save(buffer, format="PNG")
    image = get_image_model()(title=title, file=ImageFile(buffer, name="photo.png"))
    image.save()
    return image


class CertificateFactory(DjangoModelFactory):
    class Meta:
        model = TeacherCertificate

    teacher = None
    name = "职业技能等级证书（养老护理员）"
    number = factory.Sequence(lambda n: f"S0000370300001{n:05d}")
    issued_by = "淄博市职业技能鉴定中心"
    level = "二级/技师"
    issued_on = factory.Faker("date_between", start_date="-10y", end_date="-1y")


class TeacherFactory(DjangoModelFactory):
    """A teacher in ``state`` (set directly: use services.teacher_transition to test moves)."""

    class Meta:
        model = Teacher
        skip_postgeneration_save = True

    name = factory.Faker("name")
    employer = "淄博职业学院"
    title = "高级讲师"
    bio = "长期从事职业技能培训。"
    phone = factory.Sequence(lambda n: f"1390533{n % 10000:04d}")
    state = TeacherState.APPROVED

    @factory.post_generation
    def specialties(self, create, extracted, **kwargs):
        if create:
            self.specialties.set(extracted if extracted is not None else [OccupationFactory()])
            self.save()

    @factory.post_generation
    def certificates(self, create, extracted, **kwargs):
        if create:
            for _ in range(1 if extracted is None else extracted):
                CertificateFactory(teacher=self)


class MaterialFactory(DjangoModelFactory):
    """A material; ``publish=True`` (default) publishes it through a revision."""

    class Meta:
        model = Material
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"养老护理员（基础知识）第{n}册")
    authors = "人力资源社会保障部教材办公室 组织编写"
    publisher = "中国劳动社会保障出版社"
    isbn = factory.Sequence(isbn13)
    edition = "第2版"
    year = 2020
    occupation = factory.LazyFunction(OccupationFactory)
    level = Level.FIVE
    summary = "国家职业技能标准配套教材。"
    live = False

    @factory.post_generation
    def publish(self, create, extracted, **kwargs):
        if create and extracted is not False:
            self.save_revision().publish()
            self.refresh_from_db()


def occupation(code: str, name: str) -> Occupation:
    return OccupationFactory(code=code, name=name)
