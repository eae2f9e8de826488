"""Run again the tasks whose worker died: ``manage.py tasks_recover [--older-than SECONDS]``.

A worker killed mid-task (kill -9, out of memory, a lost machine) leaves its task RUNNING for
ever. Run this every few minutes and before each worker starts (``make run`` does; the systemd
timer in deploy/ too): a task RUNNING longer than ``TASK_STALE_SECONDS`` goes back to READY and
runs again, once, its lost attempt counted; on its last attempt it becomes FAILED (WorkerLost)
and shows on /ops/tasks/. Prints the counts.
"""

from django.core.management.base import BaseCommand, CommandError

from common.background import recover_stale


class Command(BaseCommand):
    help = "Put tasks whose worker died (RUNNING longer than TASK_STALE_SECONDS) back to READY."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            help="Seconds a task may run before it counts as lost (default: TASK_STALE_SECONDS).",
        )

    def handle(self, *args, older_than=None, **options):
        if older_than is not None and older_than < 1:
            raise CommandError("--older-than must be at least 1 second.")
        counts = recover_stale(older_than=older_than)
        self.stdout.write(f"ready again {counts['ready']}, failed (last attempt) {counts['failed']}")
