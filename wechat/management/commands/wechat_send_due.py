"""Send the WeChat notifications whose time has come: retries after a failed try (their
``next_attempt_at`` has passed), and any notice a task worker never picked up.

Run it every few minutes (it is quick when there is nothing to do, and two runs at once never
send a notice twice: each send claims its row first). For example, from cron::

    */5 * * * *  cd /srv/zibo && .venv/bin/python manage.py wechat_send_due

or a systemd timer (``docs/wechat.md`` has both units)::

    [Timer]
    OnCalendar=*:0/5
    Persistent=true

With the immediate task backend this command is what makes retries happen; with the database
backend and its worker, deferred retries are sent by the worker and this command is the net
under it.
"""

from django.core.management.base import BaseCommand

from wechat.client import enabled
from wechat.tasks import notifications_send_due


class Command(BaseCommand):
    help = "Send the WeChat notifications that are due (retries with back-off; see docs/wechat.md)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=500, help="At most this many notices per run.")

    def handle(self, *args, limit, **options):
        if not enabled():
            self.stdout.write("WeChat is off (WECHAT_APP_ID is not set): nothing to send.")
            return
        counts = notifications_send_due(limit=limit)
        summary = ", ".join(f"{outcome} {count}" for outcome, count in sorted(counts.items())) or "none due"
        self.stdout.write(f"WeChat notifications: {summary}")
