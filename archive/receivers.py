"""A course completion reaches the archive in the same transaction that records it, so the
two are written together or not at all (progress.completion sends the signal exactly once).
A learner who becomes verified gets the certificates held back until then, in the transaction
that verifies them (learners.services.learner_verify sends the signal)."""

from django.dispatch import receiver

from archive.services import archive_entry_record, certificates_issue_held
from learners.signals import learner_verified
from progress.signals import course_completed


@receiver(course_completed)
def archive_completion(sender, *, learner, course_id, completed_at, **kwargs):
    archive_entry_record(learner=learner, course_id=course_id, completed_at=completed_at)


@receiver(learner_verified)
def issue_held_certificates(sender, *, learner, **kwargs):
    certificates_issue_held(learner=learner)
