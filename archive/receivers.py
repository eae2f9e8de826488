"""A course completion reaches the archive in the same transaction that records it, so the
two are written together or not at all (progress.completion sends the signal exactly once)."""

from django.dispatch import receiver

from archive.services import archive_entry_record
from progress.signals import course_completed


@receiver(course_completed)
def archive_completion(sender, *, learner, course_id, completed_at, **kwargs):
    archive_entry_record(learner=learner, course_id=course_id, completed_at=completed_at)
