"""Quizzes: a question bank (题库) per occupation, quizzes built from it, and learners' attempts.

- ``Question`` with its ordered ``Choice`` children: single choice, multiple choice, true/false.
- ``Quiz`` with its ordered ``QuizQuestion`` entries (a question and its points), linked to the
  quiz lesson (``courses.Lesson`` of kind ``quiz``) it belongs to.
- ``Attempt``: one learner's try, with the question and choice order fixed when it starts.

Questions and quizzes are moderated snippets, like teaching materials: editors draft and submit
them, reviewers (Wagtail's "Moderators") approve them through the site's moderation workflow,
and only live (published) versions reach learners: a lesson uses its quiz only when the quiz is
live, and a quiz only its live questions (``Quiz.playable_entries``).

The score scale is the quiz's points: a quiz is worth the points of its questions (满分), and
``pass_mark`` is the share of them needed to pass, shown to learners as points
(``pass_points``: 60 % of 12 points is 8 points).
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.models import DraftStateMixin, LockableMixin, Orderable, RevisionMixin, WorkflowMixin
from wagtail.search import index

from quizzes.forms import FALSE_TEXT, TRUE_TEXT, QuestionForm, QuizForm
from vocabulary.training import Level


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("单选")
    MULTIPLE = "multiple", _("多选")
    TRUE_FALSE = "true_false", _("判断")


def choices_problem(kind: str, choices: list[tuple[str, bool]]) -> str | None:
    """Why these (text, is_correct) choices do not fit a question of this kind, or None."""
    texts = [text.strip() for text, _correct in choices]
    correct = sum(1 for _text, is_correct in choices if is_correct)
    if kind == QuestionKind.TRUE_FALSE:
        if sorted(texts) != sorted([TRUE_TEXT, FALSE_TEXT]):
            return _("判断题的选项必须恰好是“%(true)s”和“%(false)s”两项。") % {
                "true": TRUE_TEXT,
                "false": FALSE_TEXT,
            }
        if correct != 1:
            return _("判断题必须恰好有一个正确答案。")
        return None
    if len(choices) < 2:
        return _("至少需要两个选项。")
    if len(set(texts)) != len(texts):
        return _("选项内容不能重复。")
    if kind == QuestionKind.SINGLE and correct != 1:
        return _("单选题必须恰好有一个正确选项。")
    if kind == QuestionKind.MULTIPLE and correct < 1:
        return _("多选题至少要有一个正确选项。")
    return None


def pass_points(pass_mark: int, max_points: int) -> int:
    """The fewest points that pass: ``pass_mark`` % of ``max_points``, rounded up, exactly as
    scoring compares (``points * 100 >= pass_mark * max_points``)."""
    return -(-pass_mark * max_points // 100)


class Question(WorkflowMixin, DraftStateMixin, LockableMixin, RevisionMixin, index.Indexed, ClusterableModel):
    """One question of the bank, with its choices in order. Published through the moderation
    workflow; quizzes use live questions only."""

    occupation = models.ForeignKey(
        "courses.Occupation",
        on_delete=models.PROTECT,
        related_name="questions",
        verbose_name=_("职业（工种）"),
    )
    level = models.CharField(_("等级"), max_length=10, choices=Level.choices, blank=True)
    kind = models.CharField(
        _("题型"), max_length=12, choices=QuestionKind.choices, default=QuestionKind.SINGLE
    )
    stem = models.TextField(_("题干"))
    explanation = models.TextField(_("解析"), blank=True, help_text=_("交卷后向学员显示。"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    base_form_class = QuestionForm
    panels = [
        FieldRowPanel([FieldPanel("occupation"), FieldPanel("level"), FieldPanel("kind")]),
        FieldPanel("stem"),
        InlinePanel("choices", label=_("选项"), min_num=0),
        FieldPanel("true_false_answer"),
        FieldPanel("explanation"),
    ]
    search_fields = [
        index.SearchField("stem"),
        index.AutocompleteField("stem"),
        index.FilterField("kind"),
        index.FilterField("occupation_id"),
        index.FilterField("live"),
    ]

    class Meta:
        verbose_name = pgettext_lazy("model", "题目")
        verbose_name_plural = pgettext_lazy("model plural", "题目")
        ordering = ["-pk"]

    def __str__(self):
        stem = self.stem if len(self.stem) <= 40 else self.stem[:40] + "…"
        return f"[{self.get_kind_display()}] {stem}"

    def true_false_choices_set(self, *, true_is_correct: bool) -> None:
        """Give a true/false question its two choices (in memory; saved with the question)."""
        self.choices = [
            Choice(text=TRUE_TEXT, is_correct=true_is_correct, sort_order=0),
            Choice(text=FALSE_TEXT, is_correct=not true_is_correct, sort_order=1),
        ]

    def clean(self):
        """Check the choices against the kind. The admin form hands over the choices being
        submitted (``_pending_choices``), since the model is cleaned before the inline formset
        is applied; otherwise the in-memory or saved children are checked."""
        super().clean()
        pending = getattr(self, "_pending_choices", None)
        if pending == "skip":
            return
        if pending is None:
            pending = [(choice.text, choice.is_correct) for choice in self.choices.all()]
        problem = choices_problem(self.kind, pending)
        if problem:
            raise ValidationError(problem)


class Choice(Orderable):
    question = ParentalKey(Question, on_delete=models.CASCADE, related_name="choices", verbose_name=_("题目"))
    text = models.CharField(_("选项内容"), max_length=500)
    is_correct = models.BooleanField(_("正确答案"), default=False)

    panels = [FieldRowPanel([FieldPanel("text"), FieldPanel("is_correct")])]

    class Meta(Orderable.Meta):
        verbose_name = pgettext_lazy("model", "选项")
        verbose_name_plural = pgettext_lazy("model plural", "选项")

    def __str__(self):
        return self.text


class Quiz(WorkflowMixin, DraftStateMixin, LockableMixin, RevisionMixin, ClusterableModel):
    """A quiz: questions from the bank, each worth some points, with its rules. Published
    through the moderation workflow; its lesson shows it only while it is live."""

    title = models.CharField(_("测验名称"), max_length=200)
    lesson = models.OneToOneField(
        "courses.Lesson",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="quiz",
        limit_choices_to={"kind": "quiz"},
        verbose_name=pgettext_lazy("field", "课时"),
        help_text=_("本测验所属的测验课时（课时类型“测验”）。课程中新加的课时随课程发布后才能在此选择。"),
    )
    pass_mark = models.PositiveSmallIntegerField(
        _("及格线（%）"),
        default=60,
        validators=[MaxValueValidator(100)],
        help_text=_(
            "及格所需的得分占满分的百分比；学员看到的是折算后的分数，如满分 12 分、60% 即 8 分及格。"
        ),
    )
    max_attempts = models.PositiveSmallIntegerField(
        _("最多作答次数"), default=3, help_text=_("0 为不限次数。")
    )
    shuffle_questions = models.BooleanField(_("打乱题目顺序"), default=True)
    shuffle_choices = models.BooleanField(
        _("打乱选项顺序"), default=False, help_text=_("判断题的选项始终保持原顺序。")
    )
    time_limit_minutes = models.PositiveSmallIntegerField(
        _("答题时限（分钟）"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("留空为不限时。"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    base_form_class = QuizForm
    panels = [
        FieldPanel("title"),
        FieldPanel("lesson"),
        MultiFieldPanel(
            [
                FieldRowPanel(
                    [FieldPanel("pass_mark"), FieldPanel("max_attempts"), FieldPanel("time_limit_minutes")]
                ),
                FieldRowPanel([FieldPanel("shuffle_questions"), FieldPanel("shuffle_choices")]),
            ],
            heading=_("测验规则"),
        ),
        InlinePanel("quiz_questions", label=_("测验题目"), min_num=0),
    ]

    class Meta:
        verbose_name = pgettext_lazy("model", "测验")
        verbose_name_plural = pgettext_lazy("model plural", "测验")
        ordering = ["-pk"]

    def __str__(self):
        return self.title

    def playable_entries(self):
        """The entries learners get: those whose question is live (published)."""
        return self.quiz_questions.filter(question__live=True)

    @property
    def total_points(self) -> int:
        """满分: the points of the questions learners get."""
        return sum(self.playable_entries().values_list("points", flat=True))

    def clean(self):
        super().clean()
        if self.lesson_id and self.lesson.kind != "quiz":
            raise ValidationError({"lesson": _("请选择类型为“测验”的课时。")})


class QuizQuestion(Orderable):
    quiz = ParentalKey(Quiz, on_delete=models.CASCADE, related_name="quiz_questions", verbose_name=_("测验"))
    question = models.ForeignKey(
        Question,
        on_delete=models.PROTECT,
        related_name="quiz_entries",
        limit_choices_to={"live": True},
        verbose_name=_("题目"),
        help_text=_("只能选用已发布（审核通过）的题目。"),
    )
    points = models.PositiveSmallIntegerField(_("分值"), default=1, validators=[MinValueValidator(1)])

    panels = [FieldRowPanel([FieldPanel("question"), FieldPanel("points")])]

    class Meta(Orderable.Meta):
        verbose_name = pgettext_lazy("model", "测验题目")
        verbose_name_plural = pgettext_lazy("model plural", "测验题目")
        constraints = [models.UniqueConstraint(fields=["quiz", "question"], name="question_once_per_quiz")]

    def __str__(self):
        return f"{self.quiz_id}: {self.question_id} ({self.points})"


class Attempt(models.Model):
    """One learner's attempt at a quiz. ``layout`` fixes, at the start, the questions, their
    order, their choices' order and their points: ``[{"question": id, "choices": [id, ...],
    "points": n}, ...]``, drawn with ``seed``; a reload shows the same, and later edits of the
    quiz do not change an attempt under way."""

    class Status(models.TextChoices):
        OPEN = "open", _("作答中")
        SUBMITTED = "submitted", _("已交卷")
        EXPIRED = "expired", _("已超时")

    quiz = models.ForeignKey(Quiz, on_delete=models.PROTECT, related_name="attempts", verbose_name=_("测验"))
    learner = models.ForeignKey(
        "learners.Learner", on_delete=models.CASCADE, related_name="quiz_attempts", verbose_name=_("学员")
    )
    number = models.PositiveSmallIntegerField(_("第几次作答"), help_text=_("学员第一次作答此测验为 1。"))
    seed = models.PositiveIntegerField(_("随机种子"))
    layout = models.JSONField(_("题目布局"), default=list)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    started_at = models.DateTimeField(_("开始时间"))
    expires_at = models.DateTimeField(_("到期时间"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("交卷时间"), null=True, blank=True)
    answers = models.JSONField(
        _("答案"), default=dict, help_text=_('提交的答案：{"题目id": [选项id, ...]}。')
    )
    points = models.PositiveIntegerField(_("得分"), null=True, blank=True)
    max_points = models.PositiveIntegerField(_("满分"), default=0)
    score = models.DecimalField(_("得分率（%）"), max_digits=5, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField(_("及格"), default=False)
    channel = models.CharField(_("渠道"), max_length=10, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "测验作答")
        verbose_name_plural = pgettext_lazy("model plural", "测验作答")
        constraints = [
            models.UniqueConstraint(fields=["quiz", "learner", "number"], name="attempt_number_once"),
            models.UniqueConstraint(
                fields=["quiz", "learner"], condition=models.Q(status="open"), name="one_open_attempt"
            ),
        ]

    def __str__(self):
        return f"{self.learner_id} #{self.number} on {self.quiz_id}: {self.status}"

    @property
    def question_ids(self) -> list[int]:
        return [entry["question"] for entry in self.layout]
