from django.core.management.base import BaseCommand

from courses.occupations import occupations_load


class Command(BaseCommand):
    help = "Load the 2022 national occupational classification (1,631 occupations). Idempotent."

    def handle(self, *args, **options):
        added = occupations_load()
        self.stdout.write(f"occupations: {added} added")
