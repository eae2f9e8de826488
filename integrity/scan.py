"""The fraud scan of one day: every detector's findings become ``FraudSignal`` rows, and each
learner with a new or changed signal has it in their open ``ReviewCase`` (docs/integrity.md).

Run by ``manage.py fraud_scan`` (cron) or the ``fraud_scan`` task. Idempotent: a signal is
unique per (kind, learner, day), so a second run of a day refreshes what the first wrote (more
evidence may have arrived since) and adds nothing twice. The writes are a fixed number of
statements whatever the number of learners: the day's signals read once, the open cases read
(and locked) once, the missing cases inserted at once, the signals upserted at once, and the
touched cases' weights recomputed in one UPDATE.
"""

import datetime as dt
import json
import time
from dataclasses import asdict, dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from common.replica import reading_from_replica
from integrity.detectors import DETECTORS, Finding
from integrity.models import CaseStatus, FraudSignal, ReviewCase
from learners.models import Learner


@dataclass
class ScanResult:
    day: dt.date
    signals: dict[str, int]  # findings per kind (SignalKind value), every kind named
    cases_opened: int
    seconds: float

    def as_dict(self) -> dict:
        return {**asdict(self), "day": self.day.isoformat()}


def scan_day(day: dt.date) -> ScanResult:
    """Run every detector over ``day`` (China's time) and record what they found."""
    began = time.monotonic()
    counts: dict[str, int] = {}
    findings: dict[tuple[str, int], Finding] = {}
    # The detectors read the day's evidence log (the heavy part) from the replica when it is
    # fresh enough; the signals and cases are written, and their rows re-read, on the primary.
    with reading_from_replica():
        for kind, detector in DETECTORS.items():
            found = list(detector(day))
            counts[str(kind)] = len(found)
            for finding in found:
                findings[(str(finding.kind), finding.learner_id)] = finding
    opened = signals_record(day, findings.values())
    return ScanResult(
        day=day, signals=counts, cases_opened=opened, seconds=round(time.monotonic() - began, 3)
    )


def normalised(evidence: dict) -> dict:
    """The evidence as the JSON column gives it back, so that an unchanged finding compares
    equal to its stored signal (dates become strings, tuples lists)."""
    return json.loads(json.dumps(evidence, cls=DjangoJSONEncoder))


def signals_record(day: dt.date, findings) -> int:
    """Upsert the day's findings as signals and file the new and changed ones in their
    learners' open cases; return how many cases were opened.

    A signal already in a decided case is left as it was decided on: a decision is never
    reopened, and the row (one per kind, learner and day) cannot be in two cases. A learner's
    later signals (another day or kind) open a new case."""
    findings = list(findings)
    if not findings:
        return 0
    now = timezone.now()
    with transaction.atomic():
        existing = {
            (row["kind"], row["learner_id"]): row
            for row in FraudSignal.objects.filter(day=day).values(
                "pk", "kind", "learner_id", "weight", "evidence", "summary", "case_id", "case__status"
            )
        }
        to_file = []
        for finding in findings:
            evidence = normalised({**finding.evidence, "summary_args": finding.summary_args})
            row = existing.get((str(finding.kind), finding.learner_id))
            if row is not None and row["case__status"] == CaseStatus.DECIDED:
                continue
            if (
                row is not None
                and row["case_id"] is not None
                and (row["weight"], row["evidence"], row["summary"])
                == (finding.weight, evidence, finding.summary)
            ):
                continue
            to_file.append((finding, evidence))
        if not to_file:
            return 0
        learner_ids = sorted({finding.learner_id for finding, _ in to_file})
        cases, opened = open_cases(learner_ids, now)
        FraudSignal.objects.bulk_create(
            [
                FraudSignal(
                    kind=finding.kind,
                    learner_id=finding.learner_id,
                    day=day,
                    weight=finding.weight,
                    evidence=evidence,
                    summary=finding.summary[:300],
                    detected_at=now,
                    case_id=cases[finding.learner_id],
                )
                for finding, evidence in to_file
            ],
            # A concurrent scan of the same day may have inserted the row meanwhile: refresh it.
            update_conflicts=True,
            unique_fields=["kind", "learner", "day"],
            update_fields=["weight", "evidence", "summary", "case"],
        )
        total = (
            FraudSignal.objects.filter(case_id=OuterRef("pk"))
            .values("case_id")
            .annotate(total=Sum("weight"))
            .values("total")
        )
        ReviewCase.objects.filter(pk__in=set(cases.values()), status=CaseStatus.OPEN).update(
            weight=Coalesce(Subquery(total), 0)
        )
    return opened


def open_cases(learner_ids: list[int], now: dt.datetime) -> tuple[dict[int, int], int]:
    """Each learner's open case id (opening the missing ones), and how many were opened.

    The open cases are locked (``FOR UPDATE``, in id order) until the scan commits: a decision
    taken meanwhile waits, and one committed first leaves its case out of the re-checked rows,
    so no signal is filed into a case just decided. Two scans opening a case for the same
    learner meet the one-open-case constraint: the second inserts nothing (ignore_conflicts)
    and reads the first one's case."""
    cases = dict(
        ReviewCase.objects.select_for_update()
        .filter(status=CaseStatus.OPEN, learner_id__in=learner_ids)
        .order_by("pk")
        .values_list("learner_id", "pk")
    )
    missing = [learner_id for learner_id in learner_ids if learner_id not in cases]
    if not missing:
        return cases, 0
    districts = dict(Learner.objects.filter(pk__in=missing).values_list("pk", "district"))
    ReviewCase.objects.bulk_create(
        [
            ReviewCase(learner_id=learner_id, district=districts.get(learner_id, ""), opened_at=now)
            for learner_id in missing
        ],
        ignore_conflicts=True,
    )
    opened = 0
    for learner_id, pk, opened_at in (
        ReviewCase.objects.select_for_update()
        .filter(status=CaseStatus.OPEN, learner_id__in=missing)
        .order_by("pk")
        .values_list("learner_id", "pk", "opened_at")
    ):
        cases[learner_id] = pk
        opened += opened_at == now
    return cases, opened
