"""Reads of the training archive."""

from django.db.models import QuerySet

from archive.models import ArchiveEntry, Certificate
from learners.models import Learner
from vocabulary.identity import mask_id_number, mask_name


def learner_archive(learner: Learner) -> QuerySet[ArchiveEntry]:
    return ArchiveEntry.objects.filter(learner=learner).select_related("certificate")


def certificate_public(number: str) -> dict | None:
    """What the public verification page shows of a certificate: never unmasked personal data."""
    certificate = (
        Certificate.objects.select_related("entry__learner").filter(number=number.strip().upper()).first()
    )
    if certificate is None:
        return None
    entry = certificate.entry
    return {
        "certificate": certificate,
        "entry": entry,
        "holder_name": mask_name(entry.learner.real_name),
        "holder_id_number": mask_id_number(entry.learner.id_number),
    }
