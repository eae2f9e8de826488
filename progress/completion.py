from learners.models import Enrollment, Learner
from progress.signals import course_completed


def course_completion_record(*, learner: Learner, course_id: int, completed_at) -> bool:
    """Mark the course completed for the learner, exactly once; return True the one time it
    happens. The conditional UPDATE is atomic, so racing callers cannot both succeed; the
    ``course_completed`` signal (which the archive listens to) is sent only by the winner, inside
    the caller's transaction."""
    updated = Enrollment.objects.filter(
        learner=learner, course_id=course_id, completed_at__isnull=True
    ).update(completed_at=completed_at)
    if updated:
        course_completed.send(
            sender=Enrollment, learner=learner, course_id=course_id, completed_at=completed_at
        )
    return bool(updated)
