"""Background work: the fraud scan of a day (docs/integrity.md, "Signals")."""

import datetime as dt

from django_tasks import task

from integrity.scan import scan_day


@task()
def fraud_scan(day: str) -> dict:
    """Scan ``day`` ("YYYY-MM-DD", China's time); return the counts (``ScanResult.as_dict``)."""
    return scan_day(dt.date.fromisoformat(day)).as_dict()
