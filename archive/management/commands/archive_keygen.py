"""Print a new archive signing key entry for ARCHIVE_SIGNING_KEYS (docs/archive.md).

To rotate: put the new entry first and keep the old ones after it, so that what they signed
still verifies; the JWK Set keeps listing them.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from archive.signing import new_key_entry


class Command(BaseCommand):
    help = "Print a new Ed25519 signing key entry (<kid>:<seed>) for ARCHIVE_SIGNING_KEYS."

    def add_arguments(self, parser):
        parser.add_argument("--kid", default="", help="Key id (default: zibo-<today's date>)")

    def handle(self, *args, kid, **options):
        self.stdout.write(new_key_entry(kid or f"zibo-{timezone.localdate():%Y%m%d}"))
