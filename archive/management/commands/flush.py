"""Django's ``flush``, able to empty the archive's append-only tables.

``flush`` wipes every table (the test suite runs it after each transactional test). The
archive's tables refuse DELETE (SQLite's flush) and TRUNCATE (PostgreSQL's) by trigger
(migration 0005), so this command lifts those triggers for its own transaction and puts them
back before it commits (``archive.chain.guard_lifted``; a failure rolls both back). That takes
the rights needed to drop the triggers, so it opens nothing new; a wipe of the whole database is
not a quiet edit, and the signed heads kept outside it (docs/archive.md) still tell.
"""

from django.core.management.commands import flush
from django.db import connections, transaction

from archive.chain import guard_lifted


class Command(flush.Command):
    def handle(self, **options):
        database = options["database"]
        if options["interactive"]:
            confirm = input(
                f"You have requested a flush of the database.\nThis will IRREVERSIBLY DESTROY all data "
                f'currently in the "{connections[database].settings_dict["NAME"]}" database,\n'
                "and return each table to an empty state.\nAre you sure you want to do this?\n\n"
                "    Type 'yes' to continue, or 'no' to cancel: "
            )
            if confirm != "yes":
                self.stdout.write("Flush cancelled.")
                return
        with transaction.atomic(using=database), guard_lifted(database):
            super().handle(**{**options, "interactive": False})
