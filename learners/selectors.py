"""Reads of learners' data for the apps above: the log of reveals of personal data."""

from django.db.models import QuerySet

from learners.models import RevealLog


def reveal_logs(*, learner_id: int | None = None) -> QuerySet[RevealLog]:
    """Who saw whose full ID number or phone, newest first; one learner's only, if given."""
    logs = RevealLog.objects.select_related("viewer", "learner").order_by("-at", "-id")
    return logs.filter(learner_id=learner_id) if learner_id is not None else logs
