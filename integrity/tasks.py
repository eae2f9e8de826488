"""Background work: the fraud scan of a day (docs/integrity.md, "Signals")."""

import datetime as dt

from common.background import background_task
from integrity.scan import scan_day


@background_task()
def fraud_scan(day: str) -> dict:
    """Scan ``day`` ("YYYY-MM-DD", China's time); return the counts (``ScanResult.as_dict``).

    Idempotent: a re-scan refreshes the day's signals and never duplicates them or their cases
    (``integrity.scan``), so a retry or a run after a lost worker is safe."""
    return scan_day(dt.date.fromisoformat(day)).as_dict()
