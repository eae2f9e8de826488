"""Scan the evidence log for fraud signals: ``manage.py fraud_scan [--day YYYY-MM-DD] [--days N]``.

Without options it scans yesterday and today (China's time): run it every hour or so, e.g.
from cron (docs/integrity.md has the line)::

    17 * * * *  cd /srv/zibo && .venv/bin/python manage.py fraud_scan

A re-run refreshes the signals of a day and never duplicates them, so overlapping runs and a
catch-up over many days (``--days 30``) are safe. Prints one line of counts per day. With
``--enqueue`` it hands each day to the task worker instead (``integrity.tasks.fraud_scan``:
retried on failure, a failure visible on /ops/tasks/) and prints the days queued.
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from common.background import enqueue
from integrity.detectors import CHINA
from integrity.scan import scan_day
from integrity.tasks import fraud_scan


def iso_day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--day must be a date as YYYY-MM-DD, not {text!r}") from None


class Command(BaseCommand):
    help = "Run the fraud detectors over one or more days and file their signals for review."

    def add_arguments(self, parser):
        parser.add_argument("--day", help="The last day to scan, YYYY-MM-DD (default: today, China's time).")
        parser.add_argument(
            "--days",
            type=int,
            help="How many days to scan, ending with --day (default: 1 with --day, else 2: yesterday and today).",
        )
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue the scans for the task worker instead of running them.",
        )

    def handle(self, *args, day=None, days=None, **options):
        last = iso_day(day) if day else timezone.now().astimezone(CHINA).date()
        count = days if days is not None else (1 if day else 2)
        if not 1 <= count <= 366:
            raise CommandError("--days must be between 1 and 366.")
        for back in range(count - 1, -1, -1):
            scanned = last - dt.timedelta(days=back)
            if options["enqueue"]:
                enqueue(fraud_scan, scanned.isoformat())
                self.stdout.write(f"{scanned.isoformat()}: queued")
                continue
            result = scan_day(scanned)
            figures = ", ".join(f"{kind} {number}" for kind, number in result.signals.items())
            self.stdout.write(
                f"{result.day.isoformat()}: {figures}; cases opened {result.cases_opened} ({result.seconds:.2f} s)"
            )
