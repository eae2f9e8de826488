"""Idempotent demo data: a review queue with a case or two, built directly with the ORM (no
scan): 李秀英 (张店区, so the ``zhangdian`` login sees her case) with two signals, and 刘建华
(淄川区, seen by the bureau and auditors only) with one. A learner who already has a case (demo
or not) is left as they are, so running it again adds nothing. The demo learners come from
``institutions.demo``; a missing one is skipped."""

import datetime as dt

from django.db import transaction

from integrity.models import CaseStatus, FraudSignal, ReviewCase, SignalKind
from integrity.selectors import today
from learners.models import Learner

# username → [(kind, weight, evidence, summary)], on the day before the seed runs (China's date).
DEMO_CASES = {
    "lixiuying": [
        (
            SignalKind.SHARED_ADDRESS,
            30,
            {
                "ips": ["203.0.113.17"],
                "learners_total": 14,
                "events": [],
                "summary_args": {
                    "ip": "203.0.113.17",
                    "begins": "20:00",
                    "ends": "20:10",
                    "learners": 14,
                    "windows": 1,
                },
            },
            "同一 IP 203.0.113.17 在 20:00–20:10 有 14 名学员同时学习（演示数据）",
        ),
        (
            SignalKind.MISSED_CHECKS,
            20,
            {"lapses": [], "events": [], "missed_total": 6, "summary_args": {"count": 6}},
            "当日有 6 次防挂机点名未作答（演示数据）",
        ),
    ],
    "liujianhua": [
        (
            SignalKind.DAILY_CAP,
            15,
            {"days": [], "events": [], "events_total": 9, "summary_args": {"days": 5, "events": 9}},
            "近 30 天内有 5 天达到每日学时上限，超出上限的事件 9 个（演示数据）",
        ),
    ],
}


def seed_integrity_demo() -> list[ReviewCase]:
    """The demo review cases; the ones created."""
    day = today() - dt.timedelta(days=1)
    created = []
    learners = {
        learner.user.username: learner
        for learner in Learner.objects.filter(user__username__in=list(DEMO_CASES)).select_related("user")
    }
    for username, signals in DEMO_CASES.items():
        learner = learners.get(username)
        if learner is None or ReviewCase.objects.filter(learner=learner).exists():
            continue
        with transaction.atomic():
            case = ReviewCase.objects.create(
                learner=learner,
                district=learner.district,
                status=CaseStatus.OPEN,
                weight=sum(weight for _kind, weight, _evidence, _summary in signals),
            )
            for kind, weight, evidence, summary in signals:
                FraudSignal.objects.update_or_create(
                    kind=kind,
                    learner=learner,
                    day=day,
                    defaults={
                        "weight": weight,
                        "evidence": {**evidence, "days": [day.isoformat()]}
                        if kind == SignalKind.DAILY_CAP
                        else evidence,
                        "summary": summary,
                        "case": case,
                    },
                )
        created.append(case)
    return created
