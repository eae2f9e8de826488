from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from archive.models import Certificate
from demo.seed import DEMO_LEARNER, STAFF_ACCOUNTS, seed


class Command(BaseCommand):
    help = "Load the demo data (idempotent). Refuses to run under production settings."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "The demo seed creates accounts with published passwords and refuses production "
                "settings (DJANGO_DEBUG is off). Run it only on a development machine."
            )
        result = seed()
        self.stdout.write(self.style.SUCCESS(f"demo data ready: {len(result['courses'])} courses"))
        self.stdout.write("logins (username / password):")
        self.stdout.write(f"  {DEMO_LEARNER[0]} / {DEMO_LEARNER[1]}   学员 learner")
        for username, password, role in [*STAFF_ACCOUNTS, *result["logins"]]:
            self.stdout.write(f"  {username} / {password}   {role}")
        certificate = Certificate.objects.filter(entry__learner=result["learner"]).first()
        if certificate is not None:
            self.stdout.write(
                f"the demo learner's certificate (public check): /certificates/{certificate.number}/"
            )
