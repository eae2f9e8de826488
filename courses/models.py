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
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Page
from wagtail.search import index

import common.urls  # noqa: F401  (the "id" path converter of the lesson route)
from courses.covers import with_covers
from courses.lessons import chapters, neighbours, numbered
from courses.media import inspect_upload
from courses.search import searchable_text
from teachers.selectors import approved_teachers, live_materials
from teachers.validators import validate_teachers_publishable
from vocabulary.training import CertificateType, Industry, Level


class Occupation(models.Model):
    """An occupation of the national occupational classification, 2022 edition (职业分类大典)."""

    code = models.CharField(_("职业代码"), max_length=12, unique=True)
    name = models.CharField(_("职业名称"), max_length=100)
    major_group = models.CharField(_("大类"), max_length=100, blank=True)
    middle_group = models.CharField(_("中类"), max_length=100, blank=True)
    green = models.BooleanField(_("绿色职业"), default=False)
    digital = models.BooleanField(_("数字职业"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = pgettext_lazy("model", "职业")
        verbose_name_plural = pgettext_lazy("model plural", "职业")

    def __str__(self):
        return f"{self.code} {self.name}"


class HomePage(Page):
    """The site's front page."""

    intro = RichTextField(_("简介"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    subpage_types = ["courses.CourseIndexPage", "catalogs.CatalogPage"]
    max_count = 1

    class Meta:
        verbose_name_plural = pgettext_lazy("model plural", "首页")
        verbose_name = pgettext_lazy("model", "首页")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["courses"] = (
            CoursePage.objects.live().public().select_related("occupation").order_by("-first_published_at")
        )
        context["courses"] = with_covers(context["courses"])[:12]
        return context


class CourseIndexPage(Page):
    """Lists the published courses below it."""

    intro = RichTextField(_("简介"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["courses.HomePage"]
    subpage_types = ["courses.CoursePage"]

    class Meta:
        verbose_name_plural = pgettext_lazy("model plural", "课程列表页")
        verbose_name = pgettext_lazy("model", "课程列表页")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["courses"] = with_covers(
            CoursePage.objects.child_of(self).live().public().select_related("occupation").order_by("title")
        )
        return context


class CoursePage(RoutablePageMixin, Page):
    """One course: an occupation at a level, with the study hours it requires and its lessons."""

    summary = models.TextField(_("课程简介"), blank=True)
    cover = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("封面图片"),
        help_text=_(
            "横版图片，按 16:9 裁切（可在图片库中设置焦点），建议不小于 1280×720 像素。"
            "图片的“描述”即替代文字，未填写时使用课程名称。"
        ),
    )
    occupation = models.ForeignKey(
        Occupation,
        on_delete=models.PROTECT,
        related_name="courses",
        verbose_name=_("职业（工种）"),
        help_text=_("按名称或代码搜索，如“电工”或“6-31-01-03”。"),
    )
    level = models.CharField(_("技能等级"), max_length=10, choices=Level.choices, default=Level.FIVE)
    industry = models.CharField(_("重点产业"), max_length=20, choices=Industry.choices, blank=True)
    required_hours = models.DecimalField(
        _("要求学时（小时）"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        help_text=_("结业所需的已计学时：必修课时全部完成且累计学时达到此数，才记入档案、发证。"),
    )
    open_enrolment = models.BooleanField(
        _("开放自主选课"),
        default=True,
        help_text=_("学员可自行报名本课程。"),
    )
    certificate_type = models.CharField(
        _("结业证书"),
        max_length=20,
        choices=CertificateType.choices,
        default=CertificateType.TRAINING,
    )
    subsidy_eligible = models.BooleanField(
        _("可申请培训补贴"), default=False, help_text=_("纳入补贴性职业技能培训。")
    )
    completion_share = models.DecimalField(
        _("课时完成比例"),
        max_digits=3,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0.1), MaxValueValidator(1)],
        help_text=_("课时时长中须计满的比例，达到即完成该课时。留空：平台默认（0.90）。"),
    )
    # On by default: a subsidised course pays for the time, so new courses start with the checks
    # that keep it honest; an editor can turn them off (the demo's contract course does).
    block_seek_ahead = models.BooleanField(
        _("禁止拖动跳过"),
        default=True,
        help_text=_("学员不能拖动到尚未计时的位置之后。"),
    )
    attention_check_minutes = models.PositiveSmallIntegerField(
        _("防挂机点名间隔（分钟）"),
        default=20,
        blank=True,
        help_text=_("约每隔多少分钟暂停并请学员确认在场；0 为关闭。"),
    )
    attention_timeout_seconds = models.PositiveSmallIntegerField(
        _("点名作答时限（秒）"),
        default=60,
        blank=True,
        validators=[MinValueValidator(10)],
        help_text=_("学员须在此时间内作答，否则暂停计时。"),
    )
    teachers = ParentalManyToManyField(
        "teachers.Teacher",
        blank=True,
        related_name="courses",
        verbose_name=_("授课师资"),
        help_text=_("只能选择审核通过的师资。"),
    )
    materials = ParentalManyToManyField(
        "teachers.Material", blank=True, related_name="courses", verbose_name=_("配套教材")
    )

    content_panels = Page.content_panels + [
        FieldPanel("summary"),
        FieldPanel("cover"),
        MultiFieldPanel(
            [
                FieldPanel("occupation"),
                FieldPanel("level"),
                FieldPanel("industry"),
                FieldPanel("required_hours"),
            ],
            heading=_("职业与学时"),
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
            heading=_("学习规则"),
        ),
        InlinePanel("lessons", label=_("课时"), min_num=0),
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
        verbose_name = pgettext_lazy("model", "课程")
        verbose_name_plural = pgettext_lazy("model plural", "课程")

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
        context["chapters"] = chapters(self.lessons.all())
        context["lessons"] = [lesson for chapter in context["chapters"] for lesson in chapter.lessons]
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
        lessons = numbered(self.lessons.all())
        lesson = next((item for item in lessons if item.pk == lesson_id), None)
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
        previous_lesson, next_lesson = neighbours(lessons, lesson)
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
                "lessons": lessons,
                "previous_lesson": previous_lesson,
                "next_lesson": next_lesson,
                "progress": progress,
                "heartbeat_seconds": settings.PLAYER_HEARTBEAT_SECONDS,
                "attention_seconds": attention_seconds,
                "clock": study_clock_context(learner, lesson) if lesson.kind == LessonKind.QUIZ else None,
            },
        )


class LessonKind(models.TextChoices):
    VIDEO = "video", _("视频")
    AUDIO = "audio", _("音频")
    DOCUMENT = "document", _("文档")
    SCORM = "scorm", _("SCORM 课件")
    QUIZ = "quiz", _("测验")


class Lesson(Orderable):
    """One lesson of a course, in the course's order. Video lessons carry a media file."""

    course = ParentalKey(
        CoursePage,
        on_delete=models.CASCADE,
        related_name="lessons",
        verbose_name=pgettext_lazy("field", "课程"),
    )
    chapter = models.CharField(
        _("章节"), max_length=100, blank=True, help_text=_("章节名称：相邻的同名课时归为一章。")
    )
    title = models.CharField(_("课时名称"), max_length=200)
    kind = models.CharField(_("类型"), max_length=20, choices=LessonKind.choices, default=LessonKind.VIDEO)
    media = models.FileField(_("课件文件"), upload_to="lessons/%Y/%m/", blank=True)
    duration = models.PositiveIntegerField(
        _("时长（秒）"),
        default=0,
        help_text=_("视频、音频从上传的文件读取；文档为按页数估算的阅读时间。"),
    )
    pages = models.PositiveIntegerField(_("页数"), default=0, help_text=_("文档页数，从文件读取。"))
    required = models.BooleanField(_("结业必修"), default=True)
    minimum_seconds = models.PositiveIntegerField(
        _("最少学习时长（秒）"),
        null=True,
        blank=True,
        help_text=_(
            "SCORM 课件、测验：课件报告完成（或测验通过）之外，还须计满的学习时长。"
            "留空：时长 × 完成比例（测验为 0）。"
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
        verbose_name = pgettext_lazy("model", "课时")
        verbose_name_plural = pgettext_lazy("model plural", "课时")

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
            raise ValidationError({"duration": _("请填写课件的预计学习时长（秒）。")})
        needs_file = self.kind in (LessonKind.VIDEO, LessonKind.AUDIO, LessonKind.DOCUMENT, LessonKind.SCORM)
        if needs_file and not self.media:
            raise ValidationError({"media": _("这类课时需要上传文件。")})

    def get_url_path(self) -> str:
        """Absolute path of the page where this lesson is studied."""
        return self.course.url + self.course.reverse_subpage("lesson", args=[self.pk])
