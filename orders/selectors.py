"""Reads of 列单, 接单 and 选单: the offers and the demand beside them, the applications in a
user's reach, whether an institution may take orders, and the classes a worker may choose.

Scopes come from ``institutions.roles`` (``orders.permissions`` says who may do what)."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from catalogs.models import InstitutionEntry
from common.text import enumeration
from courses.models import CoursePage
from demand import selectors as demand_selectors
from demand.models import OPEN_STATUSES, DemandStatus, TrainingDemand
from evaluation.selectors import institution_suspended
from institutions import roles
from institutions.models import Institution, TrainingClass
from learners.models import Learner
from orders.models import ApplicationStatus, OfferStatus, OrderApplication, TrainingOffer
from subsidies.models import SubsidyStandard
from vocabulary.people import District, TargetGroup

# ---------------------------------------------------------------- offers (列单)


def offers_listed(offers: QuerySet[TrainingOffer] | None = None) -> QuerySet[TrainingOffer]:
    """Offers with their occupation and their applications counted, newest first."""
    offers = TrainingOffer.objects.all() if offers is None else offers
    return (
        offers.select_related("occupation")
        .annotate(
            application_count=Count("applications", distinct=True),
            approved_count=Count(
                "applications", filter=Q(applications__status=ApplicationStatus.APPROVED), distinct=True
            ),
        )
        .order_by("-created_at", "-pk")
    )


def offer(offer_id: int) -> TrainingOffer | None:
    return TrainingOffer.objects.select_related("occupation", "created_by").filter(pk=offer_id).first()


def offers_open_for_orders(today: dt.date | None = None) -> QuerySet[TrainingOffer]:
    """Published offers within their period: the ones institutions may apply to run."""
    today = today or timezone.localdate()
    return (
        TrainingOffer.objects.filter(status=OfferStatus.PUBLISHED, opens_on__lte=today, closes_on__gte=today)
        .select_related("occupation")
        .order_by("closes_on", "pk")
    )


def subsidy_standard_amount(occupation_id: int, level: str):
    """The city's standard (yuan per person) for the occupation and level, or None."""
    return (
        SubsidyStandard.objects.filter(occupation_id=occupation_id, level=level)
        .values_list("amount", flat=True)
        .first()
    )


def demand_by_group(*, occupation_id: int, districts=None, target_groups=None) -> list[dict]:
    """The open demand of an occupation an offer would answer, one row per district and target
    group (an enterprise's lines count as enterprise employees): ``district``, ``target_group``,
    ``demands``, ``people``; the most wanted first. One query."""
    demands = demand_selectors.demands_matching(
        occupation_id=occupation_id, districts=districts or None, target_groups=target_groups or None
    )
    rows = {}
    for row in (
        demands.order_by()
        .values("district", "target_group", "enterprise_id")
        .annotate(demands=Count("pk"), people=Sum("head_count"))
    ):
        group = row["target_group"] or (TargetGroup.ENTERPRISE_EMPLOYEE if row["enterprise_id"] else "")
        key = (row["district"], group)
        found = rows.setdefault(key, {"district": key[0], "target_group": key[1], "demands": 0, "people": 0})
        found["demands"] += row["demands"]
        found["people"] += row["people"] or 0
    labels, district_names = dict(TargetGroup.choices), dict(District.choices)
    result = sorted(rows.values(), key=lambda r: (-r["people"], r["district"], r["target_group"]))
    for row in result:
        row["target_group_name"] = str(labels.get(row["target_group"], row["target_group"] or "—"))
        row["district_name"] = str(district_names.get(row["district"], row["district"]))
    return result


def demand_beside_form(occupation_id: int | None, limit: int = 10) -> dict:
    """What the offer form shows beside it: the most wanted occupations of the open demand, and
    for the chosen occupation its demand by district and target group."""
    open_demands = TrainingDemand.objects.filter(status__in=OPEN_STATUSES)
    top = list(demand_selectors.by_occupation(open_demands)[:limit])
    groups = demand_by_group(occupation_id=occupation_id) if occupation_id else []
    return {
        "top_occupations": top,
        "groups": groups,
        "people": sum(row["people"] for row in groups),
        "demands": sum(row["demands"] for row in groups),
    }


# ---------------------------------------------------------------- institutions (接单)


@dataclass(frozen=True)
class Eligibility:
    """Whether an institution may take an offer's order now, and if not, why."""

    allowed: bool
    reason: str = ""


def institution_eligibility(institution: Institution, offer: TrainingOffer) -> Eligibility:
    """An institution takes orders when it is active, stands in the published 培训机构目录 (an
    entry with its credit code listing the offer's occupation and level) and is not suspended
    from taking orders (``evaluation``)."""
    if not institution.active:
        return Eligibility(False, _("本机构已停用，不能接单。"))
    entries = InstitutionEntry.objects.filter(live=True, credit_code=institution.credit_code)
    if not entries.exists():
        return Eligibility(False, _("本机构不在已发布的培训机构目录中，不能接单。"))
    levels = entries.filter(occupations=offer.occupation_id).values_list("levels", flat=True)
    if not any(offer.level in (entry_levels or []) for entry_levels in levels):
        return Eligibility(
            False,
            _("培训机构目录中，本机构的培训职业（工种）和等级不包括“%(offer)s”。") % {"offer": str(offer)},
        )
    if institution_suspended(institution.pk):
        return Eligibility(False, _("本机构已被暂停接单，暂不能接单。"))
    return Eligibility(True)


def courses_for_offer(offer: TrainingOffer) -> QuerySet[CoursePage]:
    """The published courses of the offer's occupation and level: the ones a class may run."""
    return (
        CoursePage.objects.live()
        .filter(occupation_id=offer.occupation_id, level=offer.level)
        .order_by("title")
    )


# ---------------------------------------------------------------- applications


def applications_visible_to(user) -> QuerySet[OrderApplication]:
    """Applications the user may read: staff their institution's, a district official those of
    institutions of their district, the bureau and auditors all; nobody else any."""
    scope = roles.scope_of(user)
    if scope.reads_everything:
        return OrderApplication.objects.all()
    parts = []
    if scope.institution_id is not None:
        parts.append(Q(institution_id=scope.institution_id))
    if scope.district:
        parts.append(Q(institution__district=scope.district))
    if not parts:
        return OrderApplication.objects.none()
    condition = parts[0]
    for part in parts[1:]:
        condition |= part
    return OrderApplication.objects.filter(condition)


def applications_listed(applications: QuerySet[OrderApplication]) -> QuerySet[OrderApplication]:
    return applications.select_related(
        "offer__occupation", "institution", "course", "training_class", "decided_by"
    )


def application_in(applications: QuerySet[OrderApplication], application_id: int) -> OrderApplication | None:
    return applications_listed(applications).filter(pk=application_id).first()


# ---------------------------------------------------------------- classes (选单)


@dataclass
class OpenClass:
    """A class of an offer, as a worker chooses it."""

    training_class: TrainingClass
    offer: TrainingOffer
    places_left: int | None
    answers_demand: bool
    enrolled: bool

    @property
    def full(self) -> bool:
        return self.places_left is not None and self.places_left <= 0


def offer_classes(today: dt.date | None = None) -> QuerySet[OrderApplication]:
    """Approved applications whose class has not ended, with class, offer and members counted."""
    today = today or timezone.localdate()
    return (
        OrderApplication.objects.filter(
            status=ApplicationStatus.APPROVED,
            training_class__isnull=False,
            training_class__ends_on__gte=today,
        )
        .exclude(offer__status=OfferStatus.DRAFT)
        .select_related(
            "offer__occupation",
            "training_class__institution",
            "training_class__course",
            "training_class__occupation",
        )
        .annotate(members=Count("training_class__memberships", distinct=True))
        .order_by("training_class__starts_on", "pk")
    )


def learner_demand_offer_ids(learner_id: int) -> set[int]:
    """The offers that answer one of the worker's demands (listed or matched by them)."""
    through = TrainingOffer.demands.through
    return set(
        through.objects.filter(
            trainingdemand__learner_id=learner_id,
            trainingdemand__status__in=(DemandStatus.LISTED, DemandStatus.MATCHED),
        ).values_list("trainingoffer_id", flat=True)
    )


def open_classes_for(learner: Learner) -> list[OpenClass]:
    """可报名班级: the offers' classes the worker may enrol in, those answering their own demand
    first, then those serving their district and target group; each with its places left (a full
    class is left out unless the worker is in it). Three queries."""
    answered = learner_demand_offer_ids(learner.pk)
    applications = list(offer_classes())
    mine = set(
        TrainingClass.objects.filter(
            pk__in=[a.training_class_id for a in applications], memberships__learner_id=learner.pk
        ).values_list("pk", flat=True)
    )
    rows = []
    for application in applications:
        offer = application.offer
        answers = offer.pk in answered
        if not (answers or offer.serves(district=learner.district, target_group=learner.target_group)):
            continue
        training_class = application.training_class
        places = (
            None if training_class.capacity is None else max(0, training_class.capacity - application.members)
        )
        enrolled = training_class.pk in mine
        if places == 0 and not enrolled:
            continue
        rows.append(OpenClass(training_class, offer, places, answers, enrolled))
    rows.sort(key=lambda row: not row.answers_demand)  # stable: by start date within each part
    return rows


def offer_class(class_id: int) -> OrderApplication | None:
    """The approved application whose class this is (an offer's class), or None."""
    return offer_classes().filter(training_class_id=class_id).first()


def enrol_refusal(learner: Learner, application: OrderApplication) -> str:
    """Why the worker may not enrol in this offer's class ("" when they may): the class is open
    to the workers whose demand it answers and to those of the districts and target groups the
    offer serves."""
    offer = application.offer
    if offer.pk in learner_demand_offer_ids(learner.pk):
        return ""
    if offer.serves(district=learner.district, target_group=learner.target_group):
        return ""
    parts = []
    if offer.districts:
        parts.append(enumeration(offer.get_districts_display()))
    if offer.target_groups:
        parts.append(enumeration(offer.get_target_groups_display()))
    return _("本班面向%(whom)s，您不在招收范围内。") % {
        "whom": pgettext("clause separator", "；").join(parts)
    }
