"""Study progress: one record per learner and lesson for every end (PC, app, WeChat).

- ``ProgressEvent``: the append-only log of every event a client sent, accepted or rejected,
  with its reason and origin: the evidence behind each credited second.
- ``PlaybackSession``: the state of one playback (one ``play`` on one device) needed to cut the
  next segment and to decide takeovers.
- ``CreditedSpan``: wall-clock time that was credited, per session run and calendar day, for the
  one-study-at-a-time rule and the daily cap.
- ``LessonProgress``: the merged credited media intervals, the resume position, completion.
"""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    PC = "pc", "PC"
    APP = "app", "App"
    WECHAT = "wechat", _("WeChat")


class EventType(models.TextChoices):
    PLAY = "play", "play"
    HEARTBEAT = "heartbeat", "heartbeat"
    PAUSE = "pause", "pause"
    SEEK = "seek", "seek"
    ENDED = "ended", "ended"


# Log-only type the server writes (never accepted from clients in an events batch): the outcome
# of an attention check (防挂机点名), "passed" or "missed", is stored in the row's ``reason``.
ATTENTION_TYPE = "attention"


class AttentionOutcome(models.TextChoices):
    PASSED = "passed"
    MISSED = "missed"


# Event types after which the media is playing: they open a segment.
PLAYING_TYPES = frozenset({EventType.PLAY, EventType.HEARTBEAT, EventType.SEEK})


class RejectReason(models.TextChoices):
    UNKNOWN_LESSON = "unknown lesson"
    NOT_ENROLLED = "not enrolled"
    CLOCK_AHEAD = "clock ahead"
    TOO_OLD = "too old"
    SUPERSEDED = "superseded"
    INVALID_POSITION = "invalid position"
    INVALID_EVENT = "invalid event"


class SegmentOutcome(models.TextChoices):
    """How the segment an accepted event closed was judged (blank: it closed none)."""

    CREDITED = "credited", _("credited: new media time")
    REPEAT = "repeat", _("real study, but media already credited")
    CAPPED = "capped", _("real study, but the daily cap was reached")
    SKIP = "skip", _("faster than the allowed rate")
    GAP = "gap", _("longer than the gap limit")
    OVERLAP = "overlap", _("overlaps time credited to another session")
    UNGRANTED = "ungranted", _("a backlog segment without a valid grant (rule 9)")
    UNATTENDED = "unattended", _("after a missed attention check, before the learner confirmed")


class ProgressEvent(models.Model):
    """One event as received. Append-only: never updated, never deleted by the application."""

    class Status(models.TextChoices):
        ACCEPTED = "accepted"
        REJECTED = "rejected"

    event_id = models.UUIDField(
        null=True, help_text=_("The client's id; null if it sent none or a malformed one.")
    )
    # No index of its own on learner: the (learner, received_at) index serves look-ups by learner,
    # and every index costs each insert (a batch inserts fifty rows).
    learner = models.ForeignKey(
        "learners.Learner", on_delete=models.PROTECT, related_name="progress_events", db_index=False
    )
    lesson_ref = models.BigIntegerField(null=True, help_text=_("Lesson id as sent (kept even if unknown)."))
    session = models.UUIDField(null=True)
    channel = models.CharField(max_length=10, blank=True)
    type = models.CharField(max_length=10, blank=True)
    position = models.FloatField(null=True)
    from_position = models.FloatField(null=True)
    rate = models.FloatField(null=True)
    client_at = models.DateTimeField(null=True)
    received_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices)
    reason = models.CharField(max_length=20, blank=True, choices=RejectReason.choices)
    credited_seconds = models.FloatField(
        default=0, help_text=_("New credit from the segment this event closed.")
    )
    segment = models.CharField(max_length=10, blank=True, choices=SegmentOutcome.choices)
    grant = models.CharField(max_length=64, blank=True, help_text=_("The grant the event named (rule 9)."))
    ip = models.GenericIPAddressField(null=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("progress event")
        verbose_name_plural = _("progress events")
        constraints = [
            # The same client id is applied at most once, whoever resends it.
            models.UniqueConstraint(
                fields=["event_id"], condition=models.Q(status="accepted"), name="accepted_event_once"
            )
        ]
        indexes = [
            models.Index(fields=["learner", "received_at"]),
            models.Index(fields=["session", "client_at"]),
        ]

    def __str__(self):
        return f"{self.type} {self.status} {self.event_id}"


class PlaybackSession(models.Model):
    """One playback session as the client named it, with what the next event needs."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    learner = models.ForeignKey(  # indexed by (learner, last_event_at)
        "learners.Learner", on_delete=models.CASCADE, related_name="playback_sessions", db_index=False
    )
    lesson = models.ForeignKey("courses.Lesson", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    started_at = models.DateTimeField(help_text=_("Client time of its earliest event."))
    last_event_at = models.DateTimeField(help_text=_("Client time of its latest event."))
    last_event_type = models.CharField(max_length=10, choices=EventType.choices)
    last_position = models.FloatField()
    last_event_creditable = models.BooleanField(
        default=True,
        help_text=_(
            "Whether a segment starting at the latest event may be credited (rule 9: live, or granted)."
        ),
    )
    superseded_at = models.DateTimeField(null=True, blank=True)
    superseded_by_channel = models.CharField(max_length=10, blank=True)

    class Meta:
        indexes = [models.Index(fields=["learner", "last_event_at"])]

    def __str__(self):
        return f"{self.channel} session {self.pk}"


class CreditedSpan(models.Model):
    """Wall-clock time credited to a learner: consecutive segments of one session on one day
    are kept as one span, so a learner has a few rows a day."""

    learner = models.ForeignKey(  # indexed by (learner, day) and (learner, ended_at)
        "learners.Learner", on_delete=models.CASCADE, related_name="credited_spans", db_index=False
    )
    session = models.UUIDField()
    lesson = models.ForeignKey("courses.Lesson", on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text=_("Calendar day in Asia/Shanghai of the segments' start."))
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    credited_seconds = models.FloatField(default=0, help_text=_("New media credit these segments added."))

    class Meta:
        indexes = [
            models.Index(fields=["learner", "day"]),
            models.Index(fields=["learner", "ended_at"]),
        ]

    def __str__(self):
        return f"{self.learner_id} {self.started_at:%Y-%m-%d %H:%M:%S}–{self.ended_at:%H:%M:%S}"


class LessonProgress(models.Model):
    """A learner's progress in one lesson, the same for every channel."""

    learner = models.ForeignKey(  # indexed by the unique (learner, lesson)
        "learners.Learner", on_delete=models.CASCADE, related_name="lesson_progress", db_index=False
    )
    lesson = models.ForeignKey("courses.Lesson", on_delete=models.CASCADE, related_name="progress")
    position = models.FloatField(default=0, help_text=_("Where to resume: the latest event's position."))
    position_at = models.DateTimeField(
        null=True, help_text=_("Client time of the event that set the position.")
    )
    intervals = models.JSONField(
        default=list, help_text=_("Merged credited media intervals [[start, end], ...].")
    )
    credited_seconds = models.FloatField(default=0)
    completed_at = models.DateTimeField(null=True, blank=True)
    content_completed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_(
            "When the lesson's own rule was first met (a SCORM package said completed/passed, a quiz "
            "was passed); the lesson completes once its minimum study time is credited too."
        ),
    )
    last_channel = models.CharField(max_length=10, blank=True, choices=Channel.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("lesson progress")
        verbose_name_plural = _("lesson progress")
        constraints = [models.UniqueConstraint(fields=["learner", "lesson"], name="one_progress_per_lesson")]

    def __str__(self):
        return f"{self.learner_id}/{self.lesson_id}: {self.credited_seconds:.0f}s"


class StudyGrant(models.Model):
    """Permission to credit a backlog (rule 9): issued to a learner for a lesson when the lesson
    is opened; a backlog segment is credited only if its first event names a grant issued before
    the segment started and not yet expired. So a backlog can hold only time that passed after
    the server handed the grant out."""

    token = models.CharField(max_length=64, unique=True)
    learner = models.ForeignKey("learners.Learner", on_delete=models.CASCADE, related_name="study_grants")
    lesson = models.ForeignKey("courses.Lesson", on_delete=models.CASCADE, related_name="+")
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("study grant")
        verbose_name_plural = _("study grants")

    def __str__(self):
        return f"{self.learner_id}/{self.lesson_id} {self.issued_at:%Y-%m-%d %H:%M}"

    def covers(self, *, learner_id: int, lesson_id: int, moment) -> bool:
        """Whether a backlog segment of this learner and lesson starting at ``moment`` may be
        credited under this grant."""
        return (
            self.learner_id == learner_id
            and self.lesson_id == lesson_id
            and self.issued_at <= moment < self.expires_at
        )


class AttentionLapse(models.Model):
    """A missed attention check (防挂机点名) of one playback session: from the check until the
    learner confirmed (a ``passed`` check of the same session; a new ``play`` is a new session),
    that session's time is not credited."""

    learner = models.ForeignKey(  # indexed by (learner, session)
        "learners.Learner", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    session = models.UUIDField()
    lesson = models.ForeignKey("courses.Lesson", on_delete=models.CASCADE, related_name="+")
    missed_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["learner", "session"])]

    def __str__(self):
        return f"{self.session} {self.missed_at:%H:%M:%S}–{self.confirmed_at or '…'}"

    def covers(self, start, end) -> bool:
        """Whether wall-clock ``start``–``end`` falls (in part) inside the lapse."""
        return end > self.missed_at and (self.confirmed_at is None or start < self.confirmed_at)
