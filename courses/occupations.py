"""Load the national occupational classification (2022) shipped in courses/data/."""

import csv
from pathlib import Path

from courses.models import Occupation

CSV_PATH = Path(__file__).resolve().parent / "data" / "occupations-2022.csv"


def occupations_load(path: Path = CSV_PATH) -> int:
    """Insert the occupations not yet present; return how many were added. Idempotent."""
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    existing = set(Occupation.objects.values_list("code", flat=True))
    new = [
        Occupation(
            code=row["code"],
            name=row["name"],
            major_group=row["major_group"],
            middle_group=row["middle_group"],
            green=row["green_L"] == "1",
            digital=row["digital_S"] == "1",
        )
        for row in rows
        if row["code"] not in existing
    ]
    Occupation.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)
    return len(new)
