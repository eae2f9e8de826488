"""Fraud signals (检测): each detector fires on a crafted evidence log, names the rows behind it,
and stays silent on an honest log of the same size; the scan files signals into review cases,
idempotently, by China's day; the command and the task run it."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrity.detectors import DETECTORS
from integrity.models import CaseDecision, CaseStatus, DecisionKind, FraudSignal, ReviewCase, SignalKind
from integrity.scan import scan_day
from integrity.tasks import fraud_scan
from progress.models import AttentionOutcome, SegmentOutcome
from tests.factories import LearnerFactory, UserFactory, make_course
from tests.integrity_factories import (
    DAY,
    at,
    attention,
    event,
    events,
    flagged_case,
    honest_day,
    lapse,
    span,
    suspicious_day,
)
from tests.subsidies_factories import completed_entry, open_claim_on, subsidised_course
from vocabulary.people import District

pytestmark = pytest.mark.django_db


def found(kind, day=DAY) -> dict:
    """The detector's findings by learner id."""
    return {finding.learner_id: finding for finding in DETECTORS[kind](day)}


@pytest.fixture
def lessons():
    return list(make_course(lessons=2).lessons.all())


# ---------------------------------------------------------------- 1. parallel lessons


def test_parallel_lessons_fire_on_overlapping_spans_and_not_on_sequential_ones(lessons):
    cheat, honest = LearnerFactory(), LearnerFactory()
    first = span(cheat, lessons[0], at(DAY, 20), 30)
    second = span(cheat, lessons[1], at(DAY, 20, 10), 30)  # 20:10–20:30 on both lessons
    span(honest, lessons[0], at(DAY, 20), 30)
    span(honest, lessons[1], at(DAY, 20, 30), 30)  # starts as the first ends

    findings = found(SignalKind.PARALLEL_LESSONS)

    assert set(findings) == {cheat.pk}
    evidence = findings[cheat.pk].evidence
    assert evidence["spans"] == sorted([first.pk, second.pk])
    assert evidence["overlap_seconds"] == 20 * 60
    assert evidence["pairs"] == [
        {"spans": [first.pk, second.pk], "lessons": [lessons[0].pk, lessons[1].pk], "seconds": 1200}
    ]
    assert findings[cheat.pk].summary.startswith("20:10–20:30 在 2 个课时上同时计时")


def test_parallel_lessons_tolerate_a_few_seconds_at_a_hand_over(lessons):
    learner = LearnerFactory()
    span(learner, lessons[0], at(DAY, 20), 30)
    span(learner, lessons[1], at(DAY, 20, 29, 30), 30)  # 30 s of jitter

    assert found(SignalKind.PARALLEL_LESSONS) == {}


def test_parallel_lessons_find_the_other_side_before_midnight(lessons):
    learner = LearnerFactory()
    late = span(learner, lessons[0], at(DAY - dt.timedelta(days=1), 23, 50), 30)  # until 00:20
    early = span(learner, lessons[1], at(DAY, 0, 0), 30)

    assert found(SignalKind.PARALLEL_LESSONS)[learner.pk].evidence["spans"] == sorted([late.pk, early.pk])


# ---------------------------------------------------------------- 2. the daily cap


def capped_days(learner, days, segment=SegmentOutcome.CAPPED):
    return [event(learner, at(day, 22), segment=segment) for day in days]


def test_daily_cap_fires_on_the_third_capped_day_of_the_month_and_names_them():
    days = [DAY - dt.timedelta(days=20), DAY - dt.timedelta(days=3), DAY]
    cheat, honest = LearnerFactory(), LearnerFactory()
    rows = capped_days(cheat, days)
    capped_days(honest, days, segment=SegmentOutcome.CREDITED)  # the same days, within the cap

    findings = found(SignalKind.DAILY_CAP)

    assert set(findings) == {cheat.pk}
    assert findings[cheat.pk].evidence == {
        "days": [day.isoformat() for day in days],
        "events": sorted(row.pk for row in rows),
        "events_total": 3,
    }
    assert "3 天达到每日学时上限" in findings[cheat.pk].summary


def test_daily_cap_is_silent_on_a_day_without_the_cap_and_outside_the_30_days():
    not_today = LearnerFactory()
    capped_days(not_today, [DAY - dt.timedelta(days=n) for n in (1, 2, 3)])
    long_ago = LearnerFactory()
    capped_days(long_ago, [DAY - dt.timedelta(days=40), DAY - dt.timedelta(days=30), DAY])

    assert found(SignalKind.DAILY_CAP) == {}


def test_daily_cap_evidence_is_capped_with_its_total():
    learner = LearnerFactory()
    for day in (DAY - dt.timedelta(days=2), DAY - dt.timedelta(days=1)):
        capped_days(learner, [day])
    events(learner, at(DAY, 21), 60, segment=SegmentOutcome.CAPPED)

    evidence = found(SignalKind.DAILY_CAP)[learner.pk].evidence
    assert len(evidence["events"]) == 50
    assert evidence["events_total"] == 62


# ---------------------------------------------------------------- 3. one address, many learners


def test_shared_address_fires_for_each_learner_on_one_ip_in_ten_minutes():
    crowd = [LearnerFactory() for _ in range(4)]
    rows = {
        learner.pk: event(learner, at(DAY, 20, 2 + n), ip="203.0.113.7") for n, learner in enumerate(crowd)
    }
    apart = [LearnerFactory() for _ in range(4)]
    for n, learner in enumerate(apart):  # the same times, each from their own address
        event(learner, at(DAY, 20, 2 + n))

    findings = found(SignalKind.SHARED_ADDRESS)

    assert set(findings) == {learner.pk for learner in crowd}
    mine = findings[crowd[0].pk]
    window = mine.evidence["windows"][0]
    assert window["ip"] == "203.0.113.7"
    assert window["learners"] == sorted(learner.pk for learner in crowd[1:])
    assert window["events"] == [rows[crowd[0].pk].pk]
    assert mine.evidence["events"] == [rows[crowd[0].pk].pk]
    assert mine.summary.startswith("同一 IP 203.0.113.7 在 20:00–20:10 有 4 名学员同时学习")
    assert "机构教室" in mine.summary
    assert mine.weight == 15  # lower than the others: a classroom behind NAT is legitimate


def test_shared_address_counts_within_a_window_only_and_skips_known_exits(settings):
    learners = [LearnerFactory() for _ in range(4)]
    for n, learner in enumerate(learners):  # 20:05, 20:09 | 20:13, 20:17: two learners a window
        event(learner, at(DAY, 20, 5 + 4 * n), ip="203.0.113.7")
    assert found(SignalKind.SHARED_ADDRESS) == {}

    for learner in learners:
        event(learner, at(DAY, 21, 1), ip="198.51.100.1")
    assert len(found(SignalKind.SHARED_ADDRESS)) == 4
    settings.INTEGRITY_SHARED_ADDRESS_IGNORE = ["198.51.100.1"]
    assert found(SignalKind.SHARED_ADDRESS) == {}


# ---------------------------------------------------------------- 4. faster than real time


def test_too_fast_fires_on_five_skipped_segments_and_not_on_five_credited_ones():
    cheat, honest = LearnerFactory(), LearnerFactory()
    rows = events(cheat, at(DAY, 20), 5, segment=SegmentOutcome.SKIP)
    events(honest, at(DAY, 20), 5)
    events(honest, at(DAY, 21), 4, segment=SegmentOutcome.SKIP)  # slider dragged now and then

    findings = found(SignalKind.TOO_FAST)

    assert set(findings) == {cheat.pk}
    assert findings[cheat.pk].evidence == {"events": [row.pk for row in rows], "events_total": 5}
    assert findings[cheat.pk].summary == "当日有 5 个播放片段快于真实时间，未予计时"


# ---------------------------------------------------------------- 5. missed attention checks


def test_missed_checks_fire_on_two_misses_and_not_on_two_passed_checks(lessons):
    cheat, honest = LearnerFactory(), LearnerFactory()
    missed = [attention(cheat, lessons[0], at(DAY, 20, n * 20), AttentionOutcome.MISSED) for n in range(2)]
    for n in range(2):
        attention(honest, lessons[0], at(DAY, 20, n * 20))
    lapse(honest, lessons[0], at(DAY, 21), confirmed=at(DAY, 21, 1))  # one miss is allowed

    findings = found(SignalKind.MISSED_CHECKS)

    assert set(findings) == {cheat.pk}
    evidence = findings[cheat.pk].evidence
    assert evidence["events"] == [row.pk for row in missed]
    assert len(evidence["lapses"]) == 2
    assert evidence["missed_total"] == 2  # each miss has a lapse and an event: counted once
    assert findings[cheat.pk].summary == "当日有 2 次防挂机点名未作答"


def test_missed_checks_count_lapses_without_their_events(lessons):
    learner = LearnerFactory()
    rows = [lapse(learner, lessons[0], at(DAY, 9, n)) for n in range(3)]

    evidence = found(SignalKind.MISSED_CHECKS)[learner.pk].evidence
    assert evidence["lapses"] == [row.pk for row in rows]
    assert evidence["missed_total"] == 3


# ---------------------------------------------------------------- 6. the bare minimum


def certified_at_minimum(learner, credited_share=1.0):
    course = subsidised_course(required_hours=Decimal("0.15"))
    return completed_entry(learner, course, completed_at=at(DAY, 10), credited=credited_share * 540)


def test_bare_minimum_fires_on_a_certificate_at_the_minimum_without_attention():
    cheat = LearnerFactory(verified=True)
    entry = certified_at_minimum(cheat, 1.02)
    comfortable = LearnerFactory(verified=True)
    certified_at_minimum(comfortable, 1.3)
    attended = LearnerFactory(verified=True)
    attended_entry = certified_at_minimum(attended, 1.0)
    attention(attended, attended_entry.course.lessons.first(), at(DAY, 9))

    findings = found(SignalKind.BARE_MINIMUM)

    assert set(findings) == {cheat.pk}
    evidence = findings[cheat.pk].evidence
    assert evidence["entries"] == [entry.pk]
    assert evidence["certificates"] == [entry.certificate.number]
    assert evidence["claims"] == []
    assert evidence["figures"] == [{"entry": entry.pk, "credited_seconds": 551, "required_seconds": 540}]
    assert "为要求 0.15 小时的 102%" in findings[cheat.pk].summary


def test_bare_minimum_fires_on_the_day_of_a_later_claim():
    learner = LearnerFactory()  # not verified: no certificate, so completion day is silent
    entry = certified_at_minimum(learner)
    assert found(SignalKind.BARE_MINIMUM) == {}
    claim = open_claim_on(entry, UserFactory())
    type(claim).objects.filter(pk=claim.pk).update(submitted_at=at(DAY + dt.timedelta(days=5), 15))

    findings = found(SignalKind.BARE_MINIMUM, DAY + dt.timedelta(days=5))

    assert findings[learner.pk].evidence["claims"] == [claim.pk]
    assert findings[learner.pk].evidence["certificates"] == []


# ---------------------------------------------------------------- the scan and its cases


def test_scan_files_each_learners_signals_in_one_open_case(lessons):
    learner = LearnerFactory(district=District.ZHOUCUN)
    suspicious_day(learner, DAY, lessons[0])
    honest = LearnerFactory()
    honest_day(honest, DAY, lessons, count=8)

    result = scan_day(DAY)

    assert result.signals == {
        "parallel-lessons": 0,
        "daily-cap": 0,
        "shared-address": 0,
        "too-fast": 1,
        "missed-checks": 1,
        "bare-minimum": 0,
    }
    assert result.cases_opened == 1
    case = ReviewCase.objects.get()
    assert (case.learner_id, case.district, case.status) == (learner.pk, learner.district, CaseStatus.OPEN)
    assert case.weight == 25 + 20
    assert set(case.signals.values_list("kind", flat=True)) == {SignalKind.TOO_FAST, SignalKind.MISSED_CHECKS}
    assert not FraudSignal.objects.filter(learner=honest).exists()


def test_a_rescan_refreshes_and_never_duplicates(lessons):
    learner = LearnerFactory()
    suspicious_day(learner, DAY, lessons[0])
    first = scan_day(DAY)
    signals = list(FraudSignal.objects.order_by("pk").values())

    again = scan_day(DAY)

    assert (again.signals, again.cases_opened) == (first.signals, 0)
    assert list(FraudSignal.objects.order_by("pk").values()) == signals
    assert ReviewCase.objects.count() == 1

    events(learner, at(DAY, 22), 10, segment=SegmentOutcome.SKIP)  # more evidence arrives
    scan_day(DAY)

    signal = FraudSignal.objects.get(kind=SignalKind.TOO_FAST)
    assert signal.evidence["events_total"] == 16
    assert signal.weight == 25 * 3
    assert FraudSignal.objects.count() == 2
    assert ReviewCase.objects.get().weight == 75 + 20


def test_a_signal_after_a_decision_opens_a_new_case(lessons):
    learner = LearnerFactory()
    case = flagged_case(learner, lessons[0])
    CaseDecision.objects.create(case=case, kind=DecisionKind.DISMISS, reason="测试", decided_by=UserFactory())
    ReviewCase.objects.filter(pk=case.pk).update(status=CaseStatus.DECIDED, decided_at=timezone.now())
    decided = list(FraudSignal.objects.filter(case=case).order_by("pk").values())

    events(learner, at(DAY, 23), 10, segment=SegmentOutcome.SKIP)  # the same day: stays as decided
    assert scan_day(DAY).cases_opened == 0
    assert list(FraudSignal.objects.filter(case=case).order_by("pk").values()) == decided

    later = DAY + dt.timedelta(days=1)
    events(learner, at(later, 20), 5, segment=SegmentOutcome.SKIP)
    assert scan_day(later).cases_opened == 1

    new = ReviewCase.objects.get(learner=learner, status=CaseStatus.OPEN)
    assert new.pk != case.pk
    assert list(new.signals.values_list("kind", "day")) == [(SignalKind.TOO_FAST, later)]
    assert new.weight == 25
    case.refresh_from_db()
    assert (case.status, case.weight) == (CaseStatus.DECIDED, 45)


def test_a_new_kind_joins_the_open_case_and_adds_its_weight(lessons):
    learner = LearnerFactory()
    case = flagged_case(learner, lessons[0])
    later = DAY + dt.timedelta(days=2)
    span(learner, lessons[0], at(later, 20), 30)
    span(learner, lessons[1], at(later, 20), 30)

    assert scan_day(later).cases_opened == 0

    case.refresh_from_db()
    assert case.signals.count() == 3
    assert case.weight == 25 + 20 + 40


def test_an_event_at_23_50_china_time_belongs_to_that_day():
    learner = LearnerFactory()
    rows = events(learner, at(DAY, 23, 50), 5, every=60, segment=SegmentOutcome.SKIP)  # 15:50–15:54 UTC
    assert rows[0].received_at.astimezone(dt.UTC).date() == DAY

    assert scan_day(DAY).signals["too-fast"] == 1
    assert scan_day(DAY + dt.timedelta(days=1)).signals["too-fast"] == 0
    assert FraudSignal.objects.get().day == DAY

    early = LearnerFactory()
    events(early, at(DAY, 0, 10), 5, segment=SegmentOutcome.SKIP)  # 16:10 UTC the day before
    assert scan_day(DAY - dt.timedelta(days=1)).signals["too-fast"] == 0
    assert scan_day(DAY).signals["too-fast"] == 2


def test_the_scan_costs_the_same_queries_for_one_learner_or_many(lessons):
    def queries_for(count, day):
        for _ in range(count):
            learner = LearnerFactory()
            suspicious_day(learner, day, lessons[0])
            span(learner, lessons[0], at(day, 8), 30)
            span(learner, lessons[1], at(day, 8), 30)
            event(learner, at(day, 12), ip="192.0.2.1")
        with CaptureQueriesContext(connection) as captured:
            result = scan_day(day)
        assert result.cases_opened == count
        return len(captured)

    # Four learners at least: the shared address needs four to fire, as every other detector does.
    assert queries_for(4, DAY) == queries_for(9, DAY + dt.timedelta(days=1))


# ---------------------------------------------------------------- the command and the task


def test_the_command_scans_a_day_and_prints_its_counts(lessons):
    suspicious_day(LearnerFactory(), DAY, lessons[0])
    out = io.StringIO()

    call_command("fraud_scan", "--day", DAY.isoformat(), stdout=out)

    line = out.getvalue().strip()
    assert line.startswith(
        f"{DAY.isoformat()}: parallel-lessons 0, daily-cap 0, shared-address 0, too-fast 1"
    )
    assert "missed-checks 1, bare-minimum 0; cases opened 1" in line


def test_the_command_scans_yesterday_and_today_by_default_and_refuses_a_bad_day():
    out = io.StringIO()
    call_command("fraud_scan", stdout=out)
    today = timezone.now().astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == [
        (today - dt.timedelta(days=1)).isoformat(),
        today.isoformat(),
    ]

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("fraud_scan", "--day", "12/03/2025")
    with pytest.raises(CommandError, match="--days"):
        call_command("fraud_scan", "--days", "0")


def test_the_task_runs_the_scan(lessons):
    suspicious_day(LearnerFactory(), DAY, lessons[0])

    result = fraud_scan.enqueue(DAY.isoformat())

    assert result.status == "SUCCESSFUL"
    assert result.return_value["day"] == DAY.isoformat()
    assert result.return_value["signals"]["too-fast"] == 1
    assert result.return_value["cases_opened"] == 1
    assert ReviewCase.objects.count() == 1
