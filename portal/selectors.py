"""Reads behind the portal's pages: the overview's figures, the HR's employees with their
progress, the auditor's logs. What each user reaches is asked of ``institutions.roles``; every
read is a fixed number of queries, whatever the number of rows."""

import json
from dataclasses import dataclass

from django.db.models import Count, Max, Q, QuerySet, Sum

from archive.models import Certificate
from audit.models import AuditEntry
from audit.selectors import AuditFilters, audit_entries, role_label, subject_label
from institutions.models import Employment, Enterprise, TrainingClass
from institutions.roles import classes_visible_to, learners_visible_to, scope_of
from learners.models import Enrollment, Learner
from learners.selectors import reveal_logs
from progress.models import LessonProgress, ProgressEvent
from progress.selectors import event_log
from vocabulary.people import District


@dataclass(frozen=True)
class Figures:
    learners: int
    classes: int
    enrolments: int
    completions: int
    certificates: int


def overview_figures(user) -> Figures:
    """Learners, classes, enrolments, completions (enrolments whose course is completed) and
    certificates within what the user may read (``learners_visible_to``, ``classes_visible_to``):
    a district official's district, the whole city for the bureau and auditors. Four queries."""
    learners = learners_visible_to(user)
    everything = scope_of(user).reads_everything
    enrolments = Enrollment.objects.all() if everything else Enrollment.objects.filter(learner__in=learners)
    certificates = (
        Certificate.objects.all() if everything else Certificate.objects.filter(entry__learner__in=learners)
    )
    counts = enrolments.aggregate(
        total=Count("id"), completed=Count("id", filter=Q(completed_at__isnull=False))
    )
    return Figures(
        learners=learners.count(),
        classes=classes_visible_to(user).count(),
        enrolments=counts["total"],
        completions=counts["completed"],
        certificates=certificates.count(),
    )


def figures_by_district() -> list[dict]:
    """The same figures for each of Zibo's districts (learners by their district, classes by
    theirs), for those who read the whole city. Four queries."""

    def per(queryset: QuerySet, field: str, **aggregates) -> dict:
        return {row[field]: row for row in queryset.values(field).annotate(**aggregates).order_by()}

    learners = per(Learner.objects.all(), "district", n=Count("id"))
    classes = per(TrainingClass.objects.all(), "district", n=Count("id"))
    enrolments = per(
        Enrollment.objects.all(),
        "learner__district",
        n=Count("id"),
        completed=Count("id", filter=Q(completed_at__isnull=False)),
    )
    certificates = per(Certificate.objects.all(), "entry__learner__district", n=Count("id"))
    rows = []
    for code, label in District.choices:
        enrolment = enrolments.get(code, {})
        rows.append(
            {
                "district": label,
                "learners": learners.get(code, {}).get("n", 0),
                "classes": classes.get(code, {}).get("n", 0),
                "enrolments": enrolment.get("n", 0),
                "completions": enrolment.get("completed", 0),
                "certificates": certificates.get(code, {}).get("n", 0),
            }
        )
    return rows


def hr_enterprise(user) -> Enterprise | None:
    """The enterprise whose HR ``user`` is."""
    enterprise_id = scope_of(user).enterprise_id
    return None if enterprise_id is None else Enterprise.objects.filter(pk=enterprise_id).first()


def employees_progress(user, enterprise: Enterprise) -> list[dict]:
    """The enterprise's employees (their current ``Employment``) that the user may read, each
    with their enrolments, completed courses, credited study time, certificates and last study:
    four queries. Personal data stays masked (the template shows ``masked_id_number``)."""
    employments = list(
        Employment.objects.filter(enterprise=enterprise, learner__in=learners_visible_to(user))
        .select_related("learner")
        .order_by("learner__real_name", "learner_id")
    )
    ids = [employment.learner_id for employment in employments]
    enrolments = {
        row["learner_id"]: row
        for row in Enrollment.objects.filter(learner_id__in=ids)
        .values("learner_id")
        .annotate(n=Count("id"), completed=Count("id", filter=Q(completed_at__isnull=False)))
        .order_by()
    }
    study = {
        row["learner_id"]: row
        for row in LessonProgress.objects.filter(learner_id__in=ids)
        .values("learner_id")
        .annotate(seconds=Sum("credited_seconds"), last=Max("updated_at"))
        .order_by()
    }
    certificates = dict(
        Certificate.objects.filter(entry__learner_id__in=ids)
        .values("entry__learner_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("entry__learner_id", "n")
    )
    rows = []
    for employment in employments:
        learner_id = employment.learner_id
        enrolment = enrolments.get(learner_id, {})
        studied = study.get(learner_id, {})
        rows.append(
            {
                "learner": employment.learner,
                "started_on": employment.started_on,
                "enrolments": enrolment.get("n", 0),
                "completed": enrolment.get("completed", 0),
                "credited_seconds": studied.get("seconds") or 0.0,
                "last_studied": studied.get("last"),
                "certificates": certificates.get(learner_id, 0),
            }
        )
    return rows


def employee(user, enterprise: Enterprise, learner_id: int) -> Learner | None:
    """One employee of the enterprise, if the user may read them; None otherwise."""
    return (
        learners_visible_to(user)
        .filter(pk=learner_id, employment__enterprise=enterprise)
        .select_related("user")
        .first()
    )


def audit_reveals(*, learner_id: int | None = None) -> QuerySet:
    """Who saw whose full ID number or phone (``learners.selectors.reveal_logs``)."""
    return reveal_logs(learner_id=learner_id)


def audit_events(*, learner_id: int | None = None) -> QuerySet[ProgressEvent]:
    """Every progress event received (``progress.selectors.event_log``)."""
    return event_log(learner_id=learner_id)


def audit_actions(filters: AuditFilters | None) -> QuerySet[AuditEntry]:
    """The audit trail (操作记录) under ``filters``, newest first (``audit.selectors``); none for
    filters that were refused."""
    return AuditEntry.objects.none() if filters is None else audit_entries(filters)


def audit_action_rows(entries: list[AuditEntry]) -> list[dict]:
    """A page of the trail as the page shows it: the role and the subject's app in words, the
    detail as ``key: value`` pairs (JSON for what is not text)."""

    def shown(value) -> str:
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

    return [
        {
            "entry": entry,
            "role": role_label(entry.role),
            "subject_label": subject_label(entry.subject),
            "detail": [(key, shown(value)) for key, value in (entry.detail or {}).items()]
            if isinstance(entry.detail, dict)
            else [("", shown(entry.detail))],
        }
        for entry in entries
    ]
