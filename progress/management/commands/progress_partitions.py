"""Keep the evidence log's monthly partitions: ``manage.py progress_partitions [--retention]``.

Run it daily (deploy/ has the timer): on PostgreSQL it creates this month's and the next
PROGRESS_PARTITIONS_AHEAD months' partitions where missing, first moving any rows that landed
in the DEFAULT partition into their month's new partition. With ``--retention`` it then exports
every month older than PROGRESS_EVENT_RETENTION_MONTHS to the default storage under
PROGRESS_ARCHIVE_LOCATION (gzip CSV and a manifest, read back and checked) and only then
detaches and drops its partition (``--keep-detached``: leave it as a plain table); on SQLite it
exports the old months the same way and deletes their rows. Re-running is safe: a month is
removed only after its export is verified, and a failed export leaves it in place and the
command exits non-zero. docs/progress.md, "The log at scale".
"""

from django.core.management.base import BaseCommand, CommandError

from progress import partitions


class Command(BaseCommand):
    help = (
        "Create the evidence log's coming monthly partitions; with --retention, export and remove old months."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--retention", action="store_true", help="Export and remove months older than the retention."
        )
        parser.add_argument(
            "--keep-detached",
            action="store_true",
            help="PostgreSQL: keep a retired month's partition as a detached table instead of dropping it.",
        )
        parser.add_argument(
            "--ahead",
            type=int,
            default=None,
            help="Months to create ahead (default PROGRESS_PARTITIONS_AHEAD).",
        )
        parser.add_argument(
            "--retention-months",
            type=int,
            default=None,
            help="Months to keep (default PROGRESS_EVENT_RETENTION_MONTHS).",
        )

    def handle(self, *args, **options):
        for name in ("ahead", "retention_months"):
            if options[name] is not None and options[name] < 0:
                raise CommandError(f"--{name.replace('_', '-')} must be 0 or more, not {options[name]}")
        if partitions.is_partitioned():
            for month, moved in partitions.ensure_partitions(ahead=options["ahead"]):
                self.stdout.write(
                    f"created {month.partition} ({moved} rows moved from the default partition)"
                )
        elif options["verbosity"] >= 2:
            self.stdout.write("the evidence log is one plain table here (not PostgreSQL, or not partitioned)")
        if not options["retention"]:
            return
        months = partitions.months_to_retire(retention=options["retention_months"])
        if not months and options["verbosity"] >= 1:
            self.stdout.write("no month is older than the retention")
        for month in months:
            try:
                export = partitions.retire_month(month, keep_detached=options["keep_detached"])
            except (partitions.ArchiveError, OSError) as error:
                raise CommandError(f"{month.label}: export failed, nothing removed: {error}") from error
            manifest = export.manifest
            removed = "detached" if options["keep_detached"] and partitions.is_partitioned() else "removed"
            self.stdout.write(
                f"{month.label}: {manifest['rows']} rows exported to {export.file} "
                f"(sha256 {manifest['sha256']['file']}), {removed}"
            )
