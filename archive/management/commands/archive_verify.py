"""Verify the whole archive log: ``manage.py archive_verify`` (docs/archive.md).

Recomputes every record's hash in ``seq`` order (streaming, constant memory), checks each
completion's archive entry against its record and every recorded signed head (plus heads kept
elsewhere, ``--head``), and names the first broken link. Exit status 0 when intact, 1 otherwise
(the sentence says what was found and where), so that a scheduler can alert on it.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from archive.verify import chain_verify


class Command(BaseCommand):
    help = "Verify the archive's hash chain, its entries and its signed heads; name the first broken link."

    def add_arguments(self, parser):
        parser.add_argument(
            "--head",
            action="append",
            default=[],
            metavar="JWS_OR_FILE",
            help="a signed head kept elsewhere (its compact JWS, or a file holding one per line); repeatable",
        )
        parser.add_argument("--chunk-size", type=int, default=2000, help="records read per round trip")

    def handle(self, *args, head, chunk_size, **options):
        report = chain_verify(heads=_heads(head), chunk_size=chunk_size)
        if options["verbosity"] >= 2:
            self.stdout.write(f"{report.size} records in {report.seconds:.1f} s")
        if not report.ok:
            raise CommandError(report.message)
        self.stdout.write(self.style.SUCCESS(report.message))


def _heads(values: list[str]) -> list[str]:
    heads = []
    for value in values:
        path = Path(value)
        if value.count(".") != 2 and path.is_file():
            heads += [line.strip() for line in path.read_text().splitlines() if line.strip()]
        else:
            heads.append(value.strip())
    return heads
