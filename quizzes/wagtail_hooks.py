"""Editors' screens: the question bank (题库) and quizzes, under one “题库与测验” menu.

Both are moderated snippets, like teaching materials: editors (Wagtail's "Editors" group)
create, edit and submit them to the moderation workflow; reviewers ("Moderators") approve, which
publishes them (the groups' permissions and the workflow: migration 0003). Learners get live
versions only. The listings show each row's status and filter by it.
"""

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.chooser import ChooseResultsView, ChooseView, SnippetChooserViewSet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from common.wagtail_labels import LazyAdminSnippetChooser, live_status_column, updated_column
from courses.models import Occupation
from quizzes.models import Attempt, Question, QuestionKind, Quiz
from vocabulary.training import Level

LIVE_CHOICES = [("1", _("已发布")), ("0", _("草稿/未发布"))]


class LiveFilterSet(WagtailFilterSet):
    live = django_filters.ChoiceFilter(
        label=_("状态"),
        choices=LIVE_CHOICES,
        method="filter_live",
        widget=forms.RadioSelect,
        empty_label=_("全部"),
    )

    def filter_live(self, queryset, name, value):
        return queryset.filter(live=value == "1")


def _occupations_with_questions(request):
    """Only occupations some question uses: the full classification has over 1,600 of them."""
    return Occupation.objects.filter(questions__isnull=False).distinct().order_by("code")


class QuestionFilterSet(LiveFilterSet):
    occupation = django_filters.ModelChoiceFilter(
        label=_("职业（工种）"), queryset=_occupations_with_questions
    )
    kind = django_filters.ChoiceFilter(label=_("题型"), choices=QuestionKind.choices)
    level = django_filters.ChoiceFilter(label=_("等级"), choices=Level.choices)

    class Meta:
        model = Question
        fields = []


class QuizFilterSet(LiveFilterSet):
    class Meta:
        model = Quiz
        fields = []


class LiveQuestionsMixin:
    """A quiz takes published questions only (``QuizQuestion.question``): the chooser offers
    those alone; a draft shows up once a reviewer has approved it. Wagtail opens snippet
    choosers to every admin user; the question bank is exam content, so only those who may
    work on questions or quizzes browse it (403 for others)."""

    def dispatch(self, request, *args, **kwargs):
        allowed = ("add", "change", "view", "publish")
        if not any(
            model.snippet_viewset.permission_policy.user_has_any_permission(request.user, allowed)
            for model in (Question, Quiz)
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_object_list(self):
        return super().get_object_list().filter(live=True).select_related("occupation")


class QuestionChooseView(LiveQuestionsMixin, ChooseView):
    pass


class QuestionChooseResultsView(LiveQuestionsMixin, ChooseResultsView):
    pass


class QuestionChooserViewSet(SnippetChooserViewSet):
    base_widget_class = LazyAdminSnippetChooser
    choose_view_class = QuestionChooseView
    choose_results_view_class = QuestionChooseResultsView


class QuestionViewSet(SnippetViewSet):
    model = Question
    icon = "help"
    menu_label = _("题库")
    filterset_class = QuestionFilterSet
    chooser_viewset_class = QuestionChooserViewSet
    list_display = ["__str__", "occupation", "level", "kind", updated_column(), live_status_column()]
    search_fields = ["stem"]
    ordering = ["-pk"]
    # Wagtail's copy view re-posts the original's inline children by id; keep it off.
    copy_view_enabled = False

    def get_queryset(self, request):
        return Question.objects.select_related("occupation")


class QuizViewSet(SnippetViewSet):
    model = Quiz
    icon = "tasks"
    menu_label = _("测验")
    filterset_class = QuizFilterSet
    list_display = [
        "title",
        "lesson",
        Column("total_points", label=_("满分")),
        Column("pass_mark", label=_("及格线（%）")),
        "max_attempts",
        updated_column(),
        live_status_column(),
    ]
    search_fields = ["title"]
    ordering = ["-pk"]
    copy_view_enabled = False

    def get_queryset(self, request):
        return Quiz.objects.select_related("lesson")


class QuizzesGroup(SnippetViewSetGroup):
    items = (QuestionViewSet, QuizViewSet)
    menu_icon = "help"
    menu_label = _("题库与测验")
    menu_name = "quizzes"
    menu_order = 250


register_snippet(QuizzesGroup)


@hooks.register("before_delete_snippet")
def keep_quizzes_with_attempts(request, instances):
    """Learners' attempts are records and protect their quiz; say so instead of failing."""
    quizzes = [instance for instance in instances if isinstance(instance, Quiz)]
    if quizzes and Attempt.objects.filter(quiz__in=quizzes).exists():
        messages.error(
            request,
            _("已有学员作答的测验不能删除（作答记录需要保留），可以取消它与课时的关联。"),
        )
        return redirect("wagtailsnippets_quizzes_quiz:list")
    return None
