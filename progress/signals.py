from django.dispatch import Signal

# Sent once per learner and course, inside the transaction that completes the course, with
# ``learner``, ``course_id`` and ``completed_at``. The training archive listens to it.
course_completed = Signal()
