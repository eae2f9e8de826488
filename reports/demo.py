"""Idempotent demo figures for the unified reports: a task table (任务分解表) for this year and
the year before, for all 11 districts (all target groups, and three groups on lines of their
own), and the employment base the two skill-share goals need. Every line is marked as a demo
figure (``is_demo``, note "演示数据") and the pages show it so.

The report's own figures (trainees, completions, certificates, claims) are not made up here:
they come from the demo's real study data (demo/seed.py). Keyed by (year, district, target
group) and (year, district): running it again adds nothing and changes nothing, so a figure the
bureau has corrected by hand stays corrected.
"""

from django.db import transaction
from django.utils import timezone

from reports.models import FIRST_YEAR, EmploymentBase, TrainingTask
from vocabulary.people import District, TargetGroup

DEMO_NOTE = "演示数据"
DEMO_SOURCE = "演示数据（非真实统计）"

# The yearly targets of subsidised trainings per district, shaped like the plan's 2019 table
# (44,100 across the districts).
DEMO_TARGETS = {
    District.ZHANGDIAN: 8000,
    District.ZICHUAN: 5200,
    District.BOSHAN: 3600,
    District.ZHOUCUN: 3400,
    District.LINZI: 6200,
    District.HUANTAI: 4300,
    District.GAOQING: 2600,
    District.YIYUAN: 3300,
    District.HIGH_TECH: 3800,
    District.ECONOMIC: 2100,
    District.WENCHANGHU: 1600,
}
# Shares of a district's target set aside for these groups, on lines of their own.
DEMO_GROUP_SHARES = (
    (TargetGroup.ENTERPRISE_EMPLOYEE, 0.5),
    (TargetGroup.RURAL_WORKER, 0.2),
    (TargetGroup.UNEMPLOYED, 0.1),
)
# (employed, skilled, high-skilled) of this year: some districts meet both goals (skilled ≥ 25 %
# of the employed, high-skilled ≥ 30 % of skilled), some one, some neither.
DEMO_BASE = {
    District.ZHANGDIAN: (520_000, 141_000, 45_100),
    District.ZICHUAN: (310_000, 79_000, 22_900),
    District.BOSHAN: (210_000, 54_600, 17_200),
    District.ZHOUCUN: (190_000, 45_600, 12_800),
    District.LINZI: (360_000, 99_000, 31_700),
    District.HUANTAI: (250_000, 66_300, 18_600),
    District.GAOQING: (160_000, 35_200, 8_800),
    District.YIYUAN: (200_000, 44_000, 11_400),
    District.HIGH_TECH: (180_000, 52_200, 17_800),
    District.ECONOMIC: (90_000, 23_400, 7_300),
    District.WENCHANGHU: (60_000, 13_800, 3_700),
}
# The year before: a little less of everything (targets rounded to hundreds).
LAST_YEAR_FACTOR = 0.95


def _round(value: float, unit: int) -> int:
    return int(round(value / unit)) * unit


@transaction.atomic
def seed_reports_demo(year: int | None = None) -> dict:
    """Create the missing demo task lines and employment base figures of ``year`` (default this
    year, China's time) and the year before; return how many of each were created."""
    this_year = year or timezone.localdate().year
    created = {"tasks": 0, "bases": 0}
    for which, factor in ((this_year, 1.0), (this_year - 1, LAST_YEAR_FACTOR)):
        if which < FIRST_YEAR:
            continue
        for district, target in DEMO_TARGETS.items():
            total = _round(target * factor, 100)
            lines = [("", total)] + [(group, _round(total * share, 10)) for group, share in DEMO_GROUP_SHARES]
            for group, value in lines:
                _task, made = TrainingTask.objects.get_or_create(
                    year=which,
                    district=district,
                    target_group=group,
                    defaults={"target": value, "is_demo": True, "note": DEMO_NOTE},
                )
                created["tasks"] += made
            employed, skilled, high = DEMO_BASE[district]
            _base, made = EmploymentBase.objects.get_or_create(
                year=which,
                district=district,
                defaults={
                    "employed": _round(employed * factor, 100),
                    "skilled": _round(skilled * factor * factor, 100),
                    "high_skilled": _round(high * factor * factor * factor, 100),
                    "is_demo": True,
                    "source": DEMO_SOURCE,
                },
            )
            created["bases"] += made
    return created
