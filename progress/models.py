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
from django.utils.translation import pgettext_lazy


class Channel(models.TextChoices):
    PC = "pc", "PC"
    APP = "app", "App"
    WECHAT = "wechat", _("微信")


class EventType(models.TextChoices):
    PLAY = "play", _("播放")
    HEARTBEAT = "heartbeat", _("心跳")
    PAUSE = "pause", _("暂停")
    SEEK = "seek", _("跳转")
    ENDED = "ended", _("播放结束")


# Log-only type the server writes (never accepted from clients in an events batch): the outcome
# of an attention check (防挂机点名), "passed" or "missed", is stored in the row's ``reason``.
ATTENTION_TYPE = "attention"


class AttentionOutcome(models.TextChoices):
    PASSED = "passed", _("已确认在场")
    MISSED = "missed", _("未作答")


# Event types after which the media is playing: they open a segment.
PLAYING_TYPES = frozenset({EventType.PLAY, EventType.HEARTBEAT, EventType.SEEK})


class RejectReason(models.TextChoices):
    UNKNOWN_LESSON = "unknown lesson", _("未知课时")
    NOT_ENROLLED = "not enrolled", _("未报名")
    CLOCK_AHEAD = "clock ahead", _("客户端时间超前")
    TOO_OLD = "too old", _("事件过旧")
    SUPERSEDED = "superseded", _("已被新的播放接替")
    INVALID_POSITION = "invalid position", _("播放位置无效")
    INVALID_EVENT = "invalid event", _("事件无效")


class SegmentOutcome(models.TextChoices):
    """How the segment an accepted event closed was judged (blank: it closed none)."""

    CREDITED = "credited", _("已计时：新的学习内容")
    REPEAT = "repeat", _("真实学习，但内容已计过时")
    CAPPED = "capped", _("真实学习，但已达每日上限")
    SKIP = "skip", _("快于允许的播放速度")
    GAP = "gap", _("超过间隔上限")
    OVERLAP = "overlap", _("与另一播放已计时的时间重叠")
    UNGRANTED = "ungranted", _("补传片段没有有效的学习授权（规则 9）")
    UNATTENDED = "unattended", _("防挂机点名未作答，学员确认之前")


class ProgressEvent(models.Model):
    """One event as received. Append-only: never updated, never deleted by the application."""

    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("已接受")
        REJECTED = "rejected", _("已拒绝")

    event_id = models.UUIDField(
        _("事件编号"), null=True, help_text=_("客户端生成的编号；未提供或格式错误时为空。")
    )
    # No index of its own on learner: the (learner, received_at) index serves look-ups by learner,
    # and every index costs each insert (a batch inserts fifty rows).
    learner = models.ForeignKey(
        "learners.Learner",
        on_delete=models.PROTECT,
        related_name="progress_events",
        db_index=False,
        verbose_name=_("学员"),
    )
    lesson_ref = models.BigIntegerField(
        _("课时编号"), null=True, help_text=_("客户端发送的课时编号（未知的也保留）。")
    )
    session = models.UUIDField(_("播放会话"), null=True)
    channel = models.CharField(_("渠道"), max_length=10, blank=True)
    type = models.CharField(_("事件类型"), max_length=10, blank=True)
    position = models.FloatField(_("播放位置"), null=True)
    from_position = models.FloatField(_("跳转前位置"), null=True)
    rate = models.FloatField(_("播放倍速"), null=True)
    client_at = models.DateTimeField(_("客户端时间"), null=True)
    received_at = models.DateTimeField(_("接收时间"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices)
    reason = models.CharField(_("拒绝原因"), max_length=20, blank=True, choices=RejectReason.choices)
    credited_seconds = models.FloatField(
        _("计入秒数"), default=0, help_text=_("本事件结束的片段新计入的时长。")
    )
    segment = models.CharField(_("片段判定"), max_length=10, blank=True, choices=SegmentOutcome.choices)
    grant = models.CharField(
        _("学习授权"), max_length=64, blank=True, help_text=_("事件所带的学习授权（规则 9）。")
    )
    ip = models.GenericIPAddressField(_("IP 地址"), null=True)
    user_agent = models.CharField(_("浏览器标识"), max_length=300, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "学习事件")
        verbose_name_plural = pgettext_lazy("model plural", "学习事件")
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

    id = models.UUIDField(_("会话编号"), primary_key=True, default=uuid.uuid4)
    learner = models.ForeignKey(  # indexed by (learner, last_event_at)
        "learners.Learner",
        on_delete=models.CASCADE,
        related_name="playback_sessions",
        db_index=False,
        verbose_name=_("学员"),
    )
    lesson = models.ForeignKey(
        "courses.Lesson",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=pgettext_lazy("field", "课时"),
    )
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    started_at = models.DateTimeField(_("开始时间"), help_text=_("最早一个事件的客户端时间。"))
    last_event_at = models.DateTimeField(_("最近事件时间"), help_text=_("最近一个事件的客户端时间。"))
    last_event_type = models.CharField(_("最近事件类型"), max_length=10, choices=EventType.choices)
    last_position = models.FloatField(_("最近播放位置"))
    last_event_creditable = models.BooleanField(
        _("最近事件可计时"),
        default=True,
        help_text=_("从最近事件开始的片段能否计时（规则 9：实时，或已授权）。"),
    )
    superseded_at = models.DateTimeField(_("被接替时间"), null=True, blank=True)
    superseded_by_channel = models.CharField(_("接替的渠道"), max_length=10, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "播放会话")
        verbose_name_plural = pgettext_lazy("model plural", "播放会话")
        indexes = [models.Index(fields=["learner", "last_event_at"])]

    def __str__(self):
        return f"{self.channel} session {self.pk}"


class CreditedSpan(models.Model):
    """Wall-clock time credited to a learner: consecutive segments of one session on one day
    are kept as one span, so a learner has a few rows a day."""

    learner = models.ForeignKey(  # indexed by (learner, day) and (learner, ended_at)
        "learners.Learner",
        on_delete=models.CASCADE,
        related_name="credited_spans",
        db_index=False,
        verbose_name=_("学员"),
    )
    session = models.UUIDField(_("播放会话"))
    # The span's playback session as a relation over the same column (no column, no constraint:
    # a session row may come later than its span in a backlog), so reads can join it — the
    # reports' channel cut — instead of looking the session up once per span.
    playback = models.ForeignObject(
        PlaybackSession,
        on_delete=models.DO_NOTHING,
        from_fields=["session"],
        to_fields=["id"],
        related_name="+",
        null=True,
    )
    lesson = models.ForeignKey(
        "courses.Lesson",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=pgettext_lazy("field", "课时"),
    )
    day = models.DateField(_("日期"), help_text=_("片段开始时的日期（北京时间）。"))
    started_at = models.DateTimeField(_("开始时间"))
    ended_at = models.DateTimeField(_("结束时间"))
    credited_seconds = models.FloatField(_("计入秒数"), default=0, help_text=_("这些片段新计入的时长。"))

    class Meta:
        verbose_name = pgettext_lazy("model", "计时时段")
        verbose_name_plural = pgettext_lazy("model plural", "计时时段")
        indexes = [
            models.Index(fields=["learner", "day"]),
            models.Index(fields=["learner", "ended_at"]),
        ]

    def __str__(self):
        return f"{self.learner_id} {self.started_at:%Y-%m-%d %H:%M:%S}–{self.ended_at:%H:%M:%S}"


class LessonProgress(models.Model):
    """A learner's progress in one lesson, the same for every channel."""

    learner = models.ForeignKey(  # indexed by the unique (learner, lesson)
        "learners.Learner",
        on_delete=models.CASCADE,
        related_name="lesson_progress",
        db_index=False,
        verbose_name=_("学员"),
    )
    lesson = models.ForeignKey(
        "courses.Lesson",
        on_delete=models.CASCADE,
        related_name="progress",
        verbose_name=pgettext_lazy("field", "课时"),
    )
    position = models.FloatField(_("续播位置"), default=0, help_text=_("从此处继续：最近一个事件的位置。"))
    position_at = models.DateTimeField(
        _("位置时间"), null=True, help_text=_("设置该位置的事件的客户端时间。")
    )
    intervals = models.JSONField(
        _("已计时区间"), default=list, help_text=_("合并后的已计时区间 [[开始, 结束], ...]。")
    )
    credited_seconds = models.FloatField(_("已计学时（秒）"), default=0)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    content_completed_at = models.DateTimeField(
        _("内容完成时间"),
        null=True,
        blank=True,
        help_text=_(
            "课时自身的完成条件首次满足的时间（SCORM 课件报告完成或通过、测验及格）；最少学习时长也计满后，课时才算完成。"
        ),
    )
    last_channel = models.CharField(_("最近渠道"), max_length=10, blank=True, choices=Channel.choices)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "课时进度")
        verbose_name_plural = pgettext_lazy("model plural", "课时进度")
        constraints = [models.UniqueConstraint(fields=["learner", "lesson"], name="one_progress_per_lesson")]

    def __str__(self):
        return f"{self.learner_id}/{self.lesson_id}: {self.credited_seconds:.0f}s"


class StudyGrant(models.Model):
    """Permission to credit a backlog (rule 9): issued to a learner for a lesson when the lesson
    is opened; a backlog segment is credited only if its first event names a grant issued before
    the segment started and not yet expired. So a backlog can hold only time that passed after
    the server handed the grant out."""

    token = models.CharField(_("授权令牌"), max_length=64, unique=True)
    learner = models.ForeignKey(
        "learners.Learner", on_delete=models.CASCADE, related_name="study_grants", verbose_name=_("学员")
    )
    lesson = models.ForeignKey(
        "courses.Lesson",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=pgettext_lazy("field", "课时"),
    )
    issued_at = models.DateTimeField(_("签发时间"))
    expires_at = models.DateTimeField(_("过期时间"))

    class Meta:
        verbose_name = pgettext_lazy("model", "学习授权")
        verbose_name_plural = pgettext_lazy("model plural", "学习授权")

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
        "learners.Learner", on_delete=models.CASCADE, related_name="+", db_index=False, verbose_name=_("学员")
    )
    session = models.UUIDField(_("播放会话"))
    lesson = models.ForeignKey(
        "courses.Lesson",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=pgettext_lazy("field", "课时"),
    )
    missed_at = models.DateTimeField(_("未作答时间"))
    confirmed_at = models.DateTimeField(_("确认在场时间"), null=True, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "点名未作答记录")
        verbose_name_plural = pgettext_lazy("model plural", "点名未作答记录")
        indexes = [models.Index(fields=["learner", "session"])]

    def __str__(self):
        return f"{self.session} {self.missed_at:%H:%M:%S}–{self.confirmed_at or '…'}"

    def covers(self, start, end) -> bool:
        """Whether wall-clock ``start``–``end`` falls (in part) inside the lapse."""
        return end > self.missed_at and (self.confirmed_at is None or start < self.confirmed_at)
