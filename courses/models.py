"""Courses as Wagtail pages: HomePage → CourseIndexPage → CoursePage → ordered lessons."""

from django import forms
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Page
from wagtail.search import index

import common.urls  # noqa: F401  (the "id" path converter of the lesson route)
from courses.media import inspect_upload
from courses.search import searchable_text
from teachers.selectors import approved_teachers, live_materials
from teachers.validators import validate_teachers_publishable
from vocabulary.training import CertificateType, Industry, Level


class Occupation(models.Model):
    """An occupation of the national occupational classification, 2022 edition (职业分类大典)."""

    code = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=100)
    major_group = models.CharField(_("major group"), max_length=100, blank=True)
    middle_group = models.CharField(_("middle group"), max_length=100, blank=True)
    green = models.BooleanField(_("green occupation"), default=False)
    digital = models.BooleanField(_("digital occupation"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("occupation")
        verbose_name_plural = _("occupations")

    def __str__(self):
        return f"{self.code} {self.name}"


class HomePage(Page):
    """The site's front page."""

    intro = RichTextField(blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    subpage_types = ["courses.CourseIndexPage", "catalogs.CatalogPage"]
    max_count = 1

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["courses"] = (
            CoursePage.objects.live()
            .public()
            .select_related("occupation")
            .order_by("-first_published_at")[:12]
        )
        return context


class CourseIndexPage(Page):
    """Lists the published courses below it."""

    intro = RichTextField(blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["courses.HomePage"]
    subpage_types = ["courses.CoursePage"]

    class Meta:
        verbose_name = _("course index")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["courses"] = (
            CoursePage.objects.child_of(self).live().public().select_related("occupation").order_by("title")
        )
        return context


class CoursePage(RoutablePageMixin, Page):
    """One course: an occupation at a level, with the study hours it requires and its lessons."""

    summary = models.TextField(_("summary"), blank=True)
    occupation = models.ForeignKey(
        Occupation, on_delete=models.PROTECT, related_name="courses", verbose_name=_("occupation")
    )
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, default=Level.FIVE)
    industry = models.CharField(_("industry"), max_length=20, choices=Industry.choices, blank=True)
    required_hours = models.DecimalField(
        _("required study hours"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        help_text=_(
            "结业所需的已计学时：必修课时全部完成且累计学时达到此数，才记入档案、发证。"
            "Completion needs the required lessons and this much credited time."
        ),
    )
    open_enrolment = models.BooleanField(
        _("open to self-enrolment"),
        default=True,
        help_text=_("Learners may enrol themselves (选单)."),
    )
    certificate_type = models.CharField(
        _("certificate on completion"),
        max_length=20,
        choices=CertificateType.choices,
        default=CertificateType.TRAINING,
    )
    subsidy_eligible = models.BooleanField(
        _("eligible for training subsidy"), default=False, help_text=_("纳入补贴性职业技能培训。")
    )
    completion_share = models.DecimalField(
        _("completion share"),
        max_digits=3,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0.1), MaxValueValidator(1)],
        help_text=_(
            "Share of a lesson's duration that must be credited to complete it. Empty: site default (0.90)."
        ),
    )
    # On by default: a subsidised course pays for the time, so new courses start with the checks
    # that keep it honest; an editor can turn them off (the demo's contract course does).
    block_seek_ahead = models.BooleanField(
        _("block seeking ahead"),
        default=True,
        help_text=_("学员不能拖动到尚未计时的位置之后。Learners cannot seek past what has been credited."),
    )
    attention_check_minutes = models.PositiveSmallIntegerField(
        _("attention check every (minutes)"),
        default=20,
        blank=True,
        help_text=_("防挂机点名：约每隔多少分钟暂停并请学员确认在场；0 为关闭。0: off."),
    )
    attention_timeout_seconds = models.PositiveSmallIntegerField(
        _("attention check timeout (seconds)"),
        default=60,
        blank=True,
        validators=[MinValueValidator(10)],
        help_text=_("学员须在此时间内作答，否则暂停计时。"),
    )
    teachers = ParentalManyToManyField(
        "teachers.Teacher",
        blank=True,
        related_name="courses",
        verbose_name=_("teachers"),
        help_text=_("只能选择审核通过的师资。Only approved teachers."),
    )
    materials = ParentalManyToManyField(
        "teachers.Material", blank=True, related_name="courses", verbose_name=_("teaching materials")
    )

    content_panels = Page.content_panels + [
        FieldPanel("summary"),
        MultiFieldPanel(
            [
                FieldPanel("occupation"),
                FieldPanel("level"),
                FieldPanel("industry"),
                FieldPanel("required_hours"),
            ],
            heading=_("Occupation and hours"),
        ),
        FieldPanel("teachers", widget=forms.CheckboxSelectMultiple),
        FieldPanel("materials", widget=forms.CheckboxSelectMultiple),
        MultiFieldPanel(
            [
                FieldPanel("open_enrolment"),
                FieldPanel("completion_share"),
                FieldPanel("certificate_type"),
                FieldPanel("subsidy_eligible"),
                FieldPanel("block_seek_ahead"),
                FieldPanel("attention_check_minutes"),
                FieldPanel("attention_timeout_seconds"),
            ],
            heading=_("Study rules"),
        ),
        InlinePanel("lessons", label=_("Lessons"), min_num=0),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.SearchField("search_text"),
        index.FilterField("level"),
        index.FilterField("occupation_id"),
    ]
    parent_page_types = ["courses.CourseIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def clean(self):
        super().clean()
        # Left empty in the editor: the defaults (checks off, 60 s to answer).
        if self.attention_check_minutes is None:
            self.attention_check_minutes = 0
        if self.attention_timeout_seconds is None:
            self.attention_timeout_seconds = 60
        try:
            validate_teachers_publishable(self.teachers.all())
        except ValidationError as error:
            raise ValidationError({"teachers": error.messages}) from None

    def search_text(self) -> str:
        """Title, summary and occupation, tokenised for Chinese search (courses.search)."""
        return searchable_text(self.title, self.summary, self.occupation.code, self.occupation.name)

    @property
    def required_seconds(self) -> int:
        return int(self.required_hours * 3600)

    def completion_fraction(self) -> float:
        if self.completion_share is not None:
            return float(self.completion_share)
        return float(settings.PROGRESS["DEFAULT_COMPLETION_SHARE"])

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["lessons"] = list(self.lessons.all())
        context["teachers"] = list(approved_teachers().filter(courses=self))
        context["materials"] = list(live_materials().filter(courses=self))
        context["enrolled"] = False
        learner = getattr(request.user, "learner", None) if request.user.is_authenticated else None
        if learner is not None:
            context["enrolled"] = learner.enrollments.filter(course=self).exists()
        if context["enrolled"]:
            # Named exception (docs/architecture.md, "Known tangles"; .importlinter): the course
            # page shows the learner's progress, and progress.selectors imports this module at
            # its top (a real cycle), so the import waits until a page is served. The way out:
            # the learner's part of the page served by progress (see lesson_view).
            from progress.selectors import course_progress_data, progress_percent

            mine = course_progress_data(learner, self)
            percent = progress_percent(mine["credited_seconds"], mine["required_seconds"], mine["completed"])
            context["my_progress"] = {**mine, "percent": percent}
        return context

    @path("lessons/<id:lesson_id>/", name="lesson")
    def lesson_view(self, request, lesson_id):
        """The page where a lesson is studied (the player). Learners only."""
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        lesson = self.lessons.filter(pk=lesson_id).first()
        if lesson is None:
            raise Http404("No such lesson in this course")
        learner = getattr(request.user, "learner", None)
        enrolled = learner is not None and learner.enrollments.filter(course=self).exists()
        if not enrolled:
            return redirect(self.url)
        # Named exception, as in get_context: the player page is a route of the course page
        # (Wagtail's RoutablePageMixin) and reads the learner's progress, and progress.selectors
        # imports this module at its top. The way out: serve the lesson page from progress (a
        # view of its own at the same URL), and the course page's progress box with it.
        from progress.selectors import (
            clock_text,
            learner_lesson_progress,
            lesson_progress_data,
            study_clock_context,
            study_clock_start,
        )

        record = learner_lesson_progress(learner, lesson)
        progress = lesson_progress_data(lesson, record)
        progress["credited_display"] = (
            f"{clock_text(progress['credited_seconds'])} / {clock_text(lesson.duration)}"
        )
        if lesson.kind == LessonKind.DOCUMENT:
            # A reading clock counts new reading time: it starts where the credited time ends.
            progress["position"] = study_clock_start(record)
        # The furthest credited position: with block_seek_ahead the player allows no seek past it.
        progress["frontier"] = max((end for _start, end in record.intervals), default=0.0) if record else 0.0
        attention_seconds = self.attention_check_minutes * 60
        if attention_seconds and settings.ATTENTION_CHECK_SECONDS_OVERRIDE:
            attention_seconds = settings.ATTENTION_CHECK_SECONDS_OVERRIDE
        return TemplateResponse(
            request,
            "courses/lesson_page.html",
            {
                "page": self,
                "self": self,
                "lesson": lesson,
                "lessons": list(self.lessons.all()),
                "progress": progress,
                "heartbeat_seconds": settings.PLAYER_HEARTBEAT_SECONDS,
                "attention_seconds": attention_seconds,
                "clock": study_clock_context(learner, lesson) if lesson.kind == LessonKind.QUIZ else None,
            },
        )


class LessonKind(models.TextChoices):
    VIDEO = "video", _("视频 Video")
    AUDIO = "audio", _("音频 Audio")
    DOCUMENT = "document", _("文档 Document")
    SCORM = "scorm", _("SCORM 课件")
    QUIZ = "quiz", _("测验 Quiz")


class Lesson(Orderable):
    """One lesson of a course, in the course's order. Video lessons carry a media file."""

    course = ParentalKey(CoursePage, on_delete=models.CASCADE, related_name="lessons")
    chapter = models.CharField(
        _("chapter"), max_length=100, blank=True, help_text=_("章节名称：相邻的同名课时归为一章。")
    )
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=LessonKind.choices, default=LessonKind.VIDEO)
    media = models.FileField(_("media file"), upload_to="lessons/%Y/%m/", blank=True)
    duration = models.PositiveIntegerField(
        _("duration (seconds)"),
        default=0,
        help_text=_("视频、音频从文件读取；文档为按页数估算的阅读时间。Read from the uploaded file."),
    )
    pages = models.PositiveIntegerField(_("pages"), default=0, help_text=_("文档页数，从文件读取。"))
    required = models.BooleanField(_("required for completion"), default=True)
    minimum_seconds = models.PositiveIntegerField(
        _("minimum study time (seconds)"),
        null=True,
        blank=True,
        help_text=_(
            "SCORM 课件、测验：课件报告完成（或测验通过）之外，还须计满的学习时长。"
            "留空：时长 × 完成比例（测验为 0）。"
            "SCORM and quizzes: credited time needed besides the package's own completion. "
            "Empty: duration × completion share (0 for a quiz)."
        ),
    )

    panels = [
        FieldPanel("chapter"),
        FieldPanel("title"),
        FieldPanel("kind"),
        FieldPanel("media"),
        FieldPanel("duration"),
        FieldPanel("minimum_seconds"),
        FieldPanel("required"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")

    def __str__(self):
        return self.title

    def clean(self):
        super().clean()
        upload = self.media.file if self.media and not self.media._committed else None
        if upload is not None:
            # A new upload: check it and take its duration and pages from the file itself.
            try:
                info = inspect_upload(self.kind, upload)
            except ValidationError as error:
                raise ValidationError({"media": error.messages}) from None
            if info.duration:
                self.duration = info.duration
            self.pages = info.pages
        if self.kind == LessonKind.SCORM and not self.duration:
            # Its study time is credited from heartbeats up to this, and its minimum derives from it.
            raise ValidationError(
                {
                    "duration": _(
                        "请填写课件的预计学习时长（秒）。Declare the package's study time in seconds."
                    )
                }
            )
        needs_file = self.kind in (LessonKind.VIDEO, LessonKind.AUDIO, LessonKind.DOCUMENT, LessonKind.SCORM)
        if needs_file and not self.media:
            raise ValidationError({"media": _("这类课时需要上传文件。Upload the lesson's file.")})

    def get_url_path(self) -> str:
        """Absolute path of the page where this lesson is studied."""
        return self.course.url + self.course.reverse_subpage("lesson", args=[self.pk])
