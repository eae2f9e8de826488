"""Review cases, their signals and dishonesty records, written straight to the tables (no scan:
tests/integrity_factories.py builds the evidence logs the detectors read)."""

import datetime as dt
from zoneinfo import ZoneInfo

from integrity.models import CaseStatus, DishonestyRecord, FraudSignal, ReviewCase, SignalKind, SubjectKind
from learners.models import Learner

CHINA = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2025, 3, 12)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHINA)


def open_case(learner: Learner, *signals: dict, district: str | None = None) -> ReviewCase:
    """An open case of the learner with the signals (``kind``, ``day``, ``weight``, ``evidence``,
    ``summary``; one daily-cap signal of weight 10 by default); its weight their sum."""
    signals = signals or ({},)
    case = ReviewCase.objects.create(learner=learner, district=district or learner.district)
    for spec in signals:
        FraudSignal.objects.create(
            kind=spec.get("kind", SignalKind.DAILY_CAP),
            learner=learner,
            day=spec.get("day", DAY),
            weight=spec.get("weight", 10),
            evidence=spec.get("evidence", {}),
            summary=spec.get("summary", "近 30 天内有 5 天达到每日学时上限"),
            case=case,
        )
    case.weight = sum(spec.get("weight", 10) for spec in signals)
    case.save(update_fields=["weight"])
    return case


def decided(case: ReviewCase) -> ReviewCase:
    case.status = CaseStatus.DECIDED
    case.save(update_fields=["status"])
    return case


def record_for(
    subject, *, by, starts_on: dt.date, ends_on: dt.date, reason: str = "虚报培训人数"
) -> DishonestyRecord:
    """A dishonesty record of a Learner, Enterprise or Institution."""
    kind = {
        "Learner": SubjectKind.PERSON,
        "Enterprise": SubjectKind.ENTERPRISE,
        "Institution": SubjectKind.INSTITUTION,
    }[type(subject).__name__]
    field = {
        SubjectKind.PERSON: "learner",
        SubjectKind.ENTERPRISE: "enterprise",
        SubjectKind.INSTITUTION: "institution",
    }[kind]
    return DishonestyRecord.objects.create(
        subject_kind=kind,
        reason=reason,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=by,
        **{field: subject},
    )
