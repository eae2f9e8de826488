"""Recording study events and crediting study time (学时), per the contract's normative rules.

``events_record`` takes one batch from one learner. Inside one transaction it locks the learner's
row, so every batch of that learner — from any device, any worker process — is applied one after
the other and sees the effects of the ones before: no credit is lost or counted twice, and each
client event id is applied at most once. The engine (``progress.crediting``) reads what the batch
needs in a fixed number of queries, applies the events in time order in memory, then writes in
bulk. Pushes to the learner's WebSocket connections go out after the commit.
"""

import datetime as dt
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from courses.models import Lesson
from learners.models import Learner
from progress.completion import course_completion_record
from progress.crediting import Batch, BatchOutcome, Origin
from progress.events import parse_event
from progress.models import ATTENTION_TYPE, AttentionLapse, AttentionOutcome, ProgressEvent, StudyGrant
from progress.notify import push_batch_outcome

__all__ = [
    "BatchOutcome",
    "Origin",
    "attention_record",
    "course_completion_record",
    "events_record",
    "grant_issue",
]


def events_record(
    *, learner: Learner, raw_events: list, origin: Origin | None = None, now=None
) -> BatchOutcome:
    """Apply a batch of client events for ``learner``; one result per event, in order."""
    now = now or timezone.now()
    parsed = [parse_event(index, raw) for index, raw in enumerate(raw_events)]
    for attempt in range(2):
        try:
            with transaction.atomic():
                outcome = Batch(learner, parsed, origin or Origin(), now).run()
            break
        except IntegrityError:
            # Only possible when another learner's batch applied one of these client event ids
            # at the same instant; the retry sees it and answers "duplicate".
            if attempt:
                raise
    if outcome.progress or outcome.takeovers:
        push_batch_outcome(learner.pk, outcome)
    return outcome


def attention_record(
    *,
    learner: Learner,
    lesson: Lesson,
    session,
    channel: str,
    outcome: str,
    at,
    position: float | None = None,
    origin: Origin | None = None,
) -> ProgressEvent:
    """Log the outcome of an attention check (防挂机点名) in the evidence log (the outcome is
    kept in ``reason``). A ``missed`` check opens a lapse of the session: the crediting engine
    credits none of that session's time from the check on, until a ``passed`` check of the same
    session confirms the learner is back (the web player starts a new session instead, when the
    learner presses play). So the server, not the browser, decides that a missed check counts."""
    origin = origin or Origin()
    with transaction.atomic():
        if outcome == AttentionOutcome.MISSED:
            AttentionLapse.objects.create(learner=learner, session=session, lesson=lesson, missed_at=at)
        else:
            AttentionLapse.objects.filter(
                learner=learner, session=session, confirmed_at__isnull=True, missed_at__lte=at
            ).update(confirmed_at=at)
        return _attention_log(learner, lesson, session, channel, outcome, at, position, origin)


def _attention_log(learner, lesson, session, channel, outcome, at, position, origin) -> ProgressEvent:
    return ProgressEvent.objects.create(
        learner=learner,
        lesson_ref=lesson.pk,
        session=session,
        channel=channel,
        type=ATTENTION_TYPE,
        position=position,
        client_at=at,
        received_at=timezone.now(),
        status=ProgressEvent.Status.ACCEPTED,
        reason=outcome,
        segment="",
        ip=origin.ip,
        user_agent=(origin.user_agent or "")[:300],
    )


def grant_issue(*, learner: Learner, lesson: Lesson, now=None) -> StudyGrant:
    """A grant for ``lesson`` (rule 9): time studied from now on may arrive later as a backlog
    and still be credited. The caller checks that the learner is enrolled."""
    now = now or timezone.now()
    return StudyGrant.objects.create(
        token=secrets.token_urlsafe(24),
        learner=learner,
        lesson=lesson,
        issued_at=now,
        expires_at=now + dt.timedelta(seconds=settings.PROGRESS["GRANT_SECONDS"]),
    )
