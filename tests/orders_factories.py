"""Test data for 五单式 列单, 接单 and 选单: an institution in the 培训机构目录, a published offer,
an application to run it and its approval, through the orders services."""

import datetime as dt
from types import SimpleNamespace

from django.test import Client
from django.utils import timezone

from demand.services import demand_submit
from institutions.models import Institution, TrainingMode
from learners.models import Learner
from orders import services
from orders.models import OrderApplication, TrainingOffer
from tests.catalogs_factories import InstitutionEntryFactory
from tests.institutions_factories import make_world
from tests.subsidies_factories import subsidised_course
from tests.teachers_factories import TeacherFactory
from vocabulary.training import Level


def in_catalog(institution: Institution, occupation, levels=(Level.FIVE,)):
    """A published 培训机构目录 entry for the institution (by credit code), for the occupation."""
    return InstitutionEntryFactory(
        name=institution.name,
        credit_code=institution.credit_code,
        district=institution.district,
        occupations=[occupation],
        levels=list(levels),
        year=timezone.localdate().year,
    )


def demand_of(learner: Learner, occupation, note: str = "想学一门手艺"):
    return demand_submit(learner_id=learner.pk, occupation_id=occupation.pk, note=note, user=learner.user)[0]


def draft_offer(bureau, occupation, level: str = Level.FIVE, **fields) -> TrainingOffer:
    today = timezone.localdate()
    return services.offer_create(
        user=bureau,
        occupation=occupation,
        level=level,
        opens_on=fields.pop("opens_on", today - dt.timedelta(days=1)),
        closes_on=fields.pop("closes_on", today + dt.timedelta(days=30)),
        **fields,
    )


def published_offer(bureau, occupation, level: str = Level.FIVE, **fields) -> TrainingOffer:
    offer = draft_offer(bureau, occupation, level, **fields)
    return services.offer_publish(offer_id=offer.pk, user=bureau)


def class_data(course, **fields) -> dict:
    today = timezone.localdate()
    data = {
        "course": course,
        "name": "2026年养老护理员（五级）清单班第1期",
        "starts_on": today + dt.timedelta(days=3),
        "ends_on": today + dt.timedelta(days=40),
        "mode": TrainingMode.OFFLINE,
        "place": "张店区柳泉路128号实训楼",
        "capacity": 30,
        "teachers": [TeacherFactory(specialties=[course.occupation])],
    }
    data.update(fields)
    return data


def applied(offer: TrainingOffer, institution: Institution, staff, course, **fields) -> OrderApplication:
    return services.application_submit(
        offer_id=offer.pk, institution=institution, user=staff, data=class_data(course, **fields)
    )


def approved(application: OrderApplication, user) -> OrderApplication:
    return services.application_decide(application_id=application.pk, user=user, approve=True)


PERSONAS = ["learner", "staff", "hr", "official", "bureau", "auditor", "editor"]


def orders_world() -> SimpleNamespace:
    """make_world with a subsidised 养老护理员 course both institutions are catalogued for, and
    the personas by name (tests/test_orders*.py)."""
    world = make_world()
    course = subsidised_course("4-10-01-05", Level.FIVE, amount="1500")
    occupation = course.occupation
    in_catalog(world.institution_a, occupation)
    in_catalog(world.institution_b, occupation)
    people = {
        "learner": world.learner_a.user,
        "staff": world.staff_a,
        "hr": world.hr_a,
        "official": world.official,
        "bureau": world.bureau,
        "auditor": world.auditor,
        "editor": world.editor,
    }
    return SimpleNamespace(world=world, course=course, occupation=occupation, people=people)


def web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client
