"""Factories and personas for institutions, enterprises, officials and classes."""

import datetime as dt
from dataclasses import dataclass

import factory
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone
from factory.django import DjangoModelFactory
from rest_framework.test import APIClient

from catalogs.validators import credit_code_check_char
from institutions.models import (
    Assignment,
    ClassMembership,
    DistrictOfficial,
    Employment,
    Enterprise,
    EnterpriseHR,
    Institution,
    InstitutionStaff,
    InstitutionType,
    TrainingClass,
)
from learners.models import Learner
from tests.conftest import client_for
from tests.factories import LearnerFactory, OccupationFactory, UserFactory, make_course
from vocabulary.people import District


def credit_code(n: int, prefix: str = "52370303") -> str:
    """A distinct, valid unified social credit code for each n."""
    first17 = f"{prefix}{n:09d}"
    return first17 + credit_code_check_char(first17)


class InstitutionFactory(DjangoModelFactory):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"淄博第{n + 1}职业培训学校")
    credit_code = factory.Sequence(credit_code)
    type = InstitutionType.PRIVATE
    district = District.ZHANGDIAN


class EnterpriseFactory(DjangoModelFactory):
    class Meta:
        model = Enterprise

    name = factory.Sequence(lambda n: f"淄博第{n + 1}化工有限公司")
    credit_code = factory.Sequence(lambda n: credit_code(n, prefix="91370303"))
    district = District.ZHANGDIAN


class TrainingClassFactory(DjangoModelFactory):
    class Meta:
        model = TrainingClass

    institution = factory.SubFactory(InstitutionFactory)
    course = factory.LazyFunction(make_course)
    occupation = factory.LazyFunction(OccupationFactory)
    name = factory.Sequence(lambda n: f"2026年养老护理员（五级）第{n + 1}期")
    starts_on = factory.LazyFunction(timezone.localdate)
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=60))


class AssignmentFactory(DjangoModelFactory):
    class Meta:
        model = Assignment

    training_class = factory.SubFactory(TrainingClassFactory)
    course = factory.LazyAttribute(lambda o: o.training_class.course)
    opens_at = factory.LazyFunction(timezone.now)
    due_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=14))


def member(training_class: TrainingClass, learner: Learner) -> ClassMembership:
    return ClassMembership.objects.get_or_create(training_class=training_class, learner=learner)[0]


def staff_of(institution: Institution, **user_fields) -> User:
    user = UserFactory(**user_fields)
    InstitutionStaff.objects.create(user=user, institution=institution)
    return user


def hr_of(enterprise: Enterprise) -> User:
    user = UserFactory()
    EnterpriseHR.objects.create(user=user, enterprise=enterprise)
    return user


def official_of(district: str) -> User:
    user = UserFactory()
    DistrictOfficial.objects.create(user=user, district=district)
    return user


def in_group(name: str, **user_fields) -> User:
    user = UserFactory(**user_fields)
    user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


@dataclass
class World:
    """The personas of the permission matrix and what they reach.

    Institution A (张店区) runs class A with learner A; institution B (淄川区) runs class B with
    learner B (淄川区). Learner A works for enterprise A; learner B does not.
    """

    learner_a: Learner
    learner_b: Learner
    institution_a: Institution
    institution_b: Institution
    class_a: TrainingClass
    class_b: TrainingClass
    enterprise_a: Enterprise
    staff_a: User
    staff_b: User
    hr_a: User
    official: User
    editor: User
    bureau: User
    auditor: User


def make_world() -> World:
    learner_a = LearnerFactory(real_name="张明", district=District.ZHANGDIAN)
    learner_b = LearnerFactory(real_name="李强", district=District.ZICHUAN)
    institution_a = InstitutionFactory(name="张店区职业培训学校", district=District.ZHANGDIAN)
    institution_b = InstitutionFactory(name="淄川区技工学校", district=District.ZICHUAN)
    class_a = TrainingClassFactory(institution=institution_a)
    class_b = TrainingClassFactory(institution=institution_b, course=class_a.course)
    member(class_a, learner_a)
    member(class_b, learner_b)
    enterprise_a = EnterpriseFactory()
    Employment.objects.create(learner=learner_a, enterprise=enterprise_a)
    return World(
        learner_a=learner_a,
        learner_b=learner_b,
        institution_a=institution_a,
        institution_b=institution_b,
        class_a=class_a,
        class_b=class_b,
        enterprise_a=enterprise_a,
        staff_a=staff_of(institution_a),
        staff_b=staff_of(institution_b),
        hr_a=hr_of(enterprise_a),
        official=official_of(District.ZHANGDIAN),
        editor=in_group("Editors"),
        bureau=in_group("Bureau"),
        auditor=in_group("Auditors"),
    )


def browser(world: World, persona: str) -> Client:
    """A web client logged in as one of the world's personas (``learner_a``, ``staff_a``, …),
    or anonymous (``anonymous``)."""
    client = Client()
    if persona != "anonymous":
        who = getattr(world, persona)
        client.force_login(who.user if persona.startswith("learner_") else who)
    return client


def api_for(world: World, persona: str):
    """An API client with a token of one of the world's personas, or anonymous."""
    if persona == "anonymous":
        return APIClient()
    who = getattr(world, persona)
    return client_for(who.user if persona.startswith("learner_") else who)


def verified_learner(**fields) -> Learner:
    learner = LearnerFactory(**fields)
    Learner.objects.filter(pk=learner.pk).update(verified=True)
    learner.refresh_from_db()
    return learner
