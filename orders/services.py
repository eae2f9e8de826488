"""Writes and rules of 列单 (offers), 接单 (applications and the district's decision) and 选单
(a worker enrolling in an offer's class).

- **Publishing an offer** takes the city's subsidy standard for its occupation and level (the
  amount is kept: a later change of the standard does not change a published offer), advances
  the open demands it answers to ``listed`` (``demand.services.demands_advance``) and feeds the
  劳动者需求目录: one catalog entry per district and target group of that demand, saved as a
  draft revision and submitted to the catalog's moderation workflow (``catalogs.services.
  entry_draft_submit``); editors publish it, as every entry.
- **Applying** (institution staff, for their own institution): the offer is open, the
  institution may take orders (active, in the published 培训机构目录 for the occupation and level,
  not suspended: ``selectors.institution_eligibility``), the course is a published course of
  the offer's occupation and level, the teachers approved, the dates and the place sound; an
  institution with a dishonesty record in force (``integrity``) takes no orders.
- **Deciding** (the district of the institution, or the bureau): a rejection needs a reason;
  an approval checks the institution again, creates the class (``institutions.services.
  class_create``) with the course assigned to it until the end date, advances the demands it
  answers to ``matched`` and tells their workers (WeChat, when bound, after the commit).
- **Enrolling**: the class's own rules (``institutions.services.class_member_add``: capacity under
  a lock) and an enrolment in the class's course (source "class").

The caller decides who may act (``orders.permissions``); these functions assume an authorised
caller.
"""

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from catalogs.models import DemandEntry
from catalogs.services import entry_draft_submit
from common.text import enumeration
from courses.models import CoursePage, Occupation
from demand import services as demand_services
from demand.models import DemandStatus
from demand.selectors import demands_matching
from institutions import services as institution_services
from institutions.models import CLASS_YEARS, MAX_CAPACITY, ClassMembership, Institution, TrainingMode
from integrity.selectors import active_record_for_institution
from learners.models import Enrollment, Learner
from learners.services import enrollment_create
from orders import selectors
from orders.models import ApplicationStatus, OfferStatus, OrderApplication, TrainingOffer
from teachers.models import Teacher
from vocabulary.people import District, TargetGroup
from wechat.notifications import notify_class_opened

REASON_MAX_LENGTH = 500
CHINA = ZoneInfo("Asia/Shanghai")
OFFER_EDITABLE = frozenset(
    {"occupation", "level", "districts", "target_groups", "opens_on", "closes_on", "note"}
)


class OrderRefused(Exception):
    """A step the rules refuse; ``detail`` says why, ``code`` names the rule."""

    def __init__(self, detail: str, code: str = "refused"):
        self.detail = str(detail)
        self.code = code
        super().__init__(self.detail)


class ClassFull(OrderRefused):
    """The class has no place left."""

    def __init__(self, detail: str):
        super().__init__(detail, "class_full")


# ---------------------------------------------------------------- offers (列单)


def _offer_checked(data: dict) -> dict:
    errors = {}
    data = dict(data)
    for field in ("districts", "target_groups"):
        if field in data:
            data[field] = list(dict.fromkeys(data[field] or []))
    if any(value not in District.values for value in data.get("districts", [])):
        errors["districts"] = _("区县不在本市范围内。")
    if any(value not in TargetGroup.values for value in data.get("target_groups", [])):
        errors["target_groups"] = _("人员类别不正确。")
    opens_on, closes_on = data.get("opens_on"), data.get("closes_on")
    first, last = CLASS_YEARS
    for field in ("opens_on", "closes_on"):
        day = data.get(field)
        if day and not first <= day.year <= last:
            errors[field] = _("日期须在 %(first)d 年至 %(last)d 年之间。") % {"first": first, "last": last}
    if opens_on and closes_on and closes_on < opens_on and "closes_on" not in errors:
        errors["closes_on"] = _("接单截止日期不能早于开始日期。")
    if errors:
        raise ValidationError(errors)
    return data


@transaction.atomic
def offer_create(*, user, occupation: Occupation, level: str, opens_on, closes_on, **fields) -> TrainingOffer:
    """A draft offer. Raises ValidationError naming the field."""
    data = _offer_checked({"opens_on": opens_on, "closes_on": closes_on, **fields})
    offer = TrainingOffer(occupation=occupation, level=level, created_by=user, **data)
    offer.full_clean(exclude=["created_by"])
    offer.save()
    return offer


@transaction.atomic
def offer_update(*, offer_id: int, data: dict) -> TrainingOffer:
    """Change a draft offer (``OFFER_EDITABLE``); a published or closed offer is not edited."""
    unknown = set(data) - OFFER_EDITABLE
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    offer = TrainingOffer.objects.select_for_update().get(pk=offer_id)
    if offer.status != OfferStatus.DRAFT:
        raise OrderRefused(_("只有草稿可以修改；已发布的清单请关闭后重新列单。"), "wrong_status")
    merged = _offer_checked({"opens_on": offer.opens_on, "closes_on": offer.closes_on, **data})
    for name, value in merged.items():
        setattr(offer, name, value)
    offer.full_clean(exclude=["created_by"])
    offer.save()
    return offer


def _catalog_year() -> int:
    return timezone.localtime(timezone.now(), CHINA).year


def _catalog_drafts(offer: TrainingOffer, user) -> list[DemandEntry]:
    """One 需求目录 entry per district and target group of the demand the offer answers, as a
    draft revision in review: new entries are created as drafts, existing ones get a new
    revision with the new count (their published content stays until an editor publishes)."""
    rows = selectors.demand_by_group(
        occupation_id=offer.occupation_id, districts=offer.districts, target_groups=offer.target_groups
    )
    year = _catalog_year()
    entries = []
    for row in rows:
        if row["district"] not in District.values or row["target_group"] not in TargetGroup.values:
            continue
        people = max(1, row["people"])
        key = {
            "occupation_id": offer.occupation_id,
            "level": offer.level,
            "year": year,
            "district": row["district"],
            "target_group": row["target_group"],
        }
        entry = DemandEntry.objects.filter(**key).first()
        if entry is None:
            entry = DemandEntry(**key, demand_count=people)
        elif entry.demand_count == people and not entry.has_unpublished_changes:
            entries.append(entry)  # the catalog already says so
            continue
        else:
            entry.demand_count = people
        entries.append(entry_draft_submit(entry=entry, user=user))
    return entries


@transaction.atomic
def offer_publish(*, offer_id: int, user) -> TrainingOffer:
    """Publish a draft offer: the subsidy standard's amount kept, the open demands it answers
    listed, the 需求目录 fed (drafts in review). ``OrderRefused`` when it is not a draft or the
    city has no subsidy standard for its occupation and level."""
    offer = TrainingOffer.objects.select_for_update().select_related("occupation").get(pk=offer_id)
    if offer.status != OfferStatus.DRAFT:
        raise OrderRefused(
            _("这份清单当前为“%(status)s”，不能发布。") % {"status": offer.get_status_display()},
            "wrong_status",
        )
    amount = selectors.subsidy_standard_amount(offer.occupation_id, offer.level)
    if amount is None:
        raise OrderRefused(
            _("本市尚未设定“%(offer)s”的补贴标准，请先在补贴标准中设定后再发布。") % {"offer": str(offer)},
            "no_standard",
        )
    offer.subsidy_amount = amount
    offer.status = OfferStatus.PUBLISHED
    offer.published_at = timezone.now()
    offer.save(update_fields=["subsidy_amount", "status", "published_at"])
    demands = demands_matching(
        occupation_id=offer.occupation_id,
        districts=offer.districts or None,
        target_groups=offer.target_groups or None,
    )
    ids = list(demands.values_list("pk", flat=True))
    if ids:
        submitted = list(demands.filter(status=DemandStatus.SUBMITTED).values_list("pk", flat=True))
        if submitted:
            demand_services.demands_advance(submitted, DemandStatus.LISTED)
        offer.demands.add(*ids)
    entries = _catalog_drafts(offer, user)
    if entries:
        offer.catalog_entries.add(*entries)
    return offer


@transaction.atomic
def offer_close(*, offer_id: int, user) -> TrainingOffer:
    """Close a published offer: no more applications. Its approved classes run on."""
    offer = TrainingOffer.objects.select_for_update().get(pk=offer_id)
    if offer.status != OfferStatus.PUBLISHED:
        raise OrderRefused(
            _("这份清单当前为“%(status)s”，不能关闭。") % {"status": offer.get_status_display()},
            "wrong_status",
        )
    offer.status = OfferStatus.CLOSED
    offer.closed_at = timezone.now()
    offer.save(update_fields=["status", "closed_at"])
    return offer


# ---------------------------------------------------------------- applications (接单)


def _eligible(institution: Institution, offer: TrainingOffer) -> None:
    eligibility = selectors.institution_eligibility(institution, offer)
    if not eligibility.allowed:
        raise OrderRefused(eligibility.reason, "institution_not_eligible")
    # An institution with a dishonesty record (失信记录) in force takes no orders (integrity).
    record = active_record_for_institution(institution.pk)
    if record is not None:
        raise OrderRefused(
            _("本机构有生效中的失信记录（至 %(until)s 止），在此之前不能接单。")
            % {"until": record.ends_on.isoformat()},
            "institution_not_eligible",
        )


def _application_checked(offer: TrainingOffer, data: dict) -> dict:
    errors = {}
    course: CoursePage | None = data.get("course")
    if course is None or not course.live:
        errors["course"] = _("只能选择已发布的课程。")
    elif course.occupation_id != offer.occupation_id or course.level != offer.level:
        errors["course"] = _("课程须为本清单的职业（工种）和等级：%(offer)s。") % {"offer": str(offer)}
    starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
    first, last = CLASS_YEARS
    for field in ("starts_on", "ends_on"):
        day = data.get(field)
        if day and not first <= day.year <= last:
            errors[field] = _("日期须在 %(first)d 年至 %(last)d 年之间。") % {"first": first, "last": last}
    if starts_on and ends_on and ends_on < starts_on and "ends_on" not in errors:
        errors["ends_on"] = _("结业日期不能早于开班日期，请改为开班日期当天或之后。")
    elif ends_on and ends_on < timezone.localdate() and "ends_on" not in errors:
        errors["ends_on"] = _("结业日期已过，请填写今后的日期。")
    capacity = data.get("capacity")
    if not capacity or not 1 <= capacity <= MAX_CAPACITY:
        errors["capacity"] = _("班额须在 1 至 %(max)d 人之间。") % {"max": MAX_CAPACITY}
    mode = data.get("mode") or TrainingMode.OFFLINE
    place = (data.get("place") or "").strip()
    if mode not in TrainingMode.values:
        errors["mode"] = _("授课方式不正确。")
    elif mode != TrainingMode.ONLINE and not place:
        errors["place"] = _("线下或线上线下结合授课，请填写上课地点。")
    teachers: Sequence[Teacher] = list(data.get("teachers") or [])
    refused = [teacher.name for teacher in teachers if not teacher.is_approved]
    if refused:
        errors["teachers"] = _("只能选择师资库中审核通过的教师：%(names)s 未通过审核。") % {
            "names": enumeration(refused)
        }
    name = (data.get("name") or "").strip()
    if not name:
        errors["name"] = _("请填写班级名称。")
    if errors:
        raise ValidationError(errors)
    return {**data, "name": name, "mode": mode, "place": place, "teachers": teachers}


@transaction.atomic
def application_submit(*, offer_id: int, institution: Institution, user, data: dict) -> OrderApplication:
    """An institution's staff apply to run a published offer (接单). ``OrderRefused`` when the
    offer is not open or the institution may not take orders; ValidationError naming the field
    for the class's details (course, dates, capacity, place, teachers, name)."""
    offer = TrainingOffer.objects.select_related("occupation").get(pk=offer_id)
    today = timezone.localdate()
    if offer.status != OfferStatus.PUBLISHED or not offer.opens_on <= today <= offer.closes_on:
        raise OrderRefused(_("这份清单现在不接受接单申请。"), "offer_closed")
    _eligible(institution, offer)
    data = _application_checked(offer, data)
    teachers = data.pop("teachers")
    application = OrderApplication.objects.create(
        offer=offer,
        institution=institution,
        course=data["course"],
        name=data["name"],
        starts_on=data["starts_on"],
        ends_on=data["ends_on"],
        mode=data["mode"],
        place=data["place"],
        capacity=data["capacity"],
        submitted_by=user,
    )
    application.teachers.set(teachers)
    return application


def _clean_reason(reason: str, *, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ValueError(_("请填写不通过的原因，培训机构会看到它。"))
    if len(reason) > REASON_MAX_LENGTH:
        raise ValueError(_("原因最多 %(n)s 字。") % {"n": REASON_MAX_LENGTH})
    return reason


def _end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59), tzinfo=CHINA)


def _open_class(application: OrderApplication, user):
    """The class of an approved application, with the course assigned until its end date."""
    try:
        training_class = institution_services.class_create(
            institution=application.institution,
            course=application.course,
            name=application.name,
            starts_on=application.starts_on,
            ends_on=application.ends_on,
            teachers=list(application.teachers.all()),
            capacity=application.capacity,
            mode=application.mode,
            place=application.place,
        )
        institution_services.assignment_create(
            training_class=training_class,
            course=application.course,
            due_at=_end_of(application.ends_on),
            note=_("本班为政府培训清单项目，请按时完成学习。"),
            created_by=user,
        )
    except ValidationError as error:
        raise OrderRefused(" ".join(error.messages), "class_invalid") from None
    return training_class


def _match_demands(offer: TrainingOffer) -> list[int]:
    """Advance the open demands the offer answers to ``matched``; the workers' learner ids."""
    demands = demands_matching(
        occupation_id=offer.occupation_id,
        districts=offer.districts or None,
        target_groups=offer.target_groups or None,
    )
    rows = list(demands.values_list("pk", "learner_id"))
    listed = list(offer.demands.filter(status=DemandStatus.LISTED).values_list("pk", "learner_id"))
    by_id = dict(rows + listed)
    if not by_id:
        return []
    demand_services.demands_advance(list(by_id), DemandStatus.MATCHED)
    offer.demands.add(*by_id)
    return sorted({learner_id for learner_id in by_id.values() if learner_id is not None})


@transaction.atomic
def application_decide(*, application_id: int, user, approve: bool, reason: str = "") -> OrderApplication:
    """The district (or the bureau) approves an application, opening its class, or rejects it
    with a reason the institution is shown. ``ValueError`` for a missing reason; ``OrderRefused``
    when the application was decided already or the institution may no longer take orders."""
    reason = _clean_reason(reason, required=not approve)
    application = (
        OrderApplication.objects.select_for_update(of=("self",))
        .select_related("offer__occupation", "institution", "course")
        .get(pk=application_id)
    )
    if application.status != ApplicationStatus.SUBMITTED:
        raise OrderRefused(
            _("这份申请当前为“%(status)s”，不能再审核。") % {"status": application.get_status_display()},
            "wrong_status",
        )
    now = timezone.now()
    application.decided_by = user
    application.decided_at = now
    application.reason = reason
    if not approve:
        application.status = ApplicationStatus.REJECTED
        application.save(update_fields=["status", "decided_by", "decided_at", "reason"])
        return application
    _eligible(application.institution, application.offer)
    if application.ends_on < timezone.localdate():
        raise OrderRefused(_("申请的结业日期已过，不能开班。"), "class_invalid")
    training_class = _open_class(application, user)
    application.status = ApplicationStatus.APPROVED
    application.training_class = training_class
    application.save(update_fields=["status", "decided_by", "decided_at", "reason", "training_class"])
    learner_ids = _match_demands(application.offer)
    if learner_ids:
        notify_class_opened(training_class, learner_ids, url=reverse("orders:open-classes"))
    return application


# ---------------------------------------------------------------- enrolling (选单)


def class_enrol(*, learner: Learner, application: OrderApplication) -> tuple[ClassMembership, bool]:
    """Enrol the worker in an offer's class: (membership, created). Already a member: the
    membership, not created (whatever the rules say now). ``OrderRefused`` when the class is not
    open to them, ``ClassFull`` when it has no place left."""
    training_class = application.training_class
    existing = ClassMembership.objects.filter(training_class=training_class, learner=learner).first()
    if existing is not None:
        return existing, False
    refusal = selectors.enrol_refusal(learner, application)
    if refusal:
        raise OrderRefused(refusal, "not_eligible")
    with transaction.atomic():
        try:
            membership, created = institution_services.class_member_add(
                training_class=training_class, learner=learner
            )
        except institution_services.ClassFull:
            raise ClassFull(
                _("班级已满（班额 %(capacity)d 人），请选择其他班级。")
                % {"capacity": training_class.capacity}
            ) from None
        enrollment_create(learner=learner, course=training_class.course, source=Enrollment.Source.CLASS)
    return membership, created
