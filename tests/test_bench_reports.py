"""The reports and fraud-scan benchmark (bench/reports_scale.py) at a tiny size: the generator
writes consistent rows (the archive chain verifies, every count adds up), every measured
function answers on them, and the fraud scan of the busy day finds each planted pattern."""

import datetime as dt

import pytest

from archive.models import ArchiveEntry
from archive.verify import chain_verify
from bench import reports_data, reports_scale
from learners.models import Learner
from progress.models import CreditedSpan, ProgressEvent
from reports.models import TrainingTask
from vocabulary.people import District

pytestmark = pytest.mark.django_db


@pytest.fixture
def sizes():
    return reports_scale.generate(
        learners=50, events=1000, entries=50, busy_events=300, courses=3, report=lambda text: None
    )


def test_the_generator_writes_a_consistent_year(sizes):
    assert Learner.objects.count() == sizes["learners"] == 50
    assert set(Learner.objects.values_list("district", flat=True)) <= set(District.values)
    assert ArchiveEntry.objects.count() == sizes["entries"] == 50
    assert ProgressEvent.objects.count() == sizes["events"] >= 1000
    assert CreditedSpan.objects.count() == sizes["spans"] > 0
    # The year's events are all in 2026, China's time; the busy day holds its share and more.
    busy = ProgressEvent.objects.filter(
        received_at__gte=dt.datetime(2026, 9, 15, tzinfo=reports_data.CHINA),
        received_at__lt=dt.datetime(2026, 9, 16, tzinfo=reports_data.CHINA),
    )
    assert busy.count() >= 300
    assert not ProgressEvent.objects.filter(
        received_at__lt=dt.datetime(2026, 1, 1, tzinfo=reports_data.CHINA)
    )
    assert TrainingTask.objects.filter(year=2026).count() == 2 * len(District.values)
    # The chain was built as the application builds it: it verifies.
    report = chain_verify()
    assert report.ok, report.message
    assert report.entries_checked == 50
    assert reports_data.holds_bench_rows()


def test_every_measure_answers_and_the_scan_finds_the_planted_patterns(sizes):
    measures = reports_scale.measures()
    assert {"report-year", "report-q3", "scan-busy"} <= set(measures)
    results = {name: work() for name, work in measures.items()}
    year = results["report-year"]
    assert len(year.rows) == len(District.values)
    completed_2026 = ArchiveEntry.objects.filter(
        completed_at__gte=dt.datetime(2026, 1, 1, tzinfo=reports_data.CHINA), invalidation__isnull=True
    ).count()
    assert year.totals.completions == completed_2026
    assert results["report-year-district"].rows[0].district == reports_scale.ONE_DISTRICT
    for name, result in results.items():
        if name.startswith("export-"):
            assert result["bytes"] > 0 and result["streaming"]
    found = results["scan-busy"].signals
    assert all(found[kind] >= 1 for kind in found), found
