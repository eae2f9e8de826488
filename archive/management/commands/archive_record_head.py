"""Record a signed head of the archive log: ``manage.py archive_record_head``.

Run it on a schedule (hourly; docs/archive.md has the cron line and a systemd timer): each head
fixes the log's size and last hash at that time under the platform's signature, so a later
rewrite of the records it covers is caught by ``archive_verify``. Prints the head's JWS, which
may also be kept outside the platform (``archive_verify --head``). With ``--enqueue`` the worker
records it (``archive.tasks.archive_head_record_task``: retried, a failure visible on
/ops/tasks/, nothing recorded when the last head already covers the log).
"""

from django.core.management.base import BaseCommand

from archive.services import archive_head_record
from archive.tasks import archive_head_record_task
from common.background import enqueue


class Command(BaseCommand):
    help = "Sign the archive log's current head (size and last hash) and record it."

    def add_arguments(self, parser):
        parser.add_argument("--enqueue", action="store_true", help="Queue the signing for the task worker.")

    def handle(self, *args, **options):
        if options["enqueue"]:
            enqueue(archive_head_record_task)
            self.stdout.write("queued")
            return
        head = archive_head_record()
        if options["verbosity"] >= 1:
            self.stdout.write(f"size {head.size} hash {head.hash} signed_at {head.signed_at.isoformat()}")
        self.stdout.write(head.jws)
