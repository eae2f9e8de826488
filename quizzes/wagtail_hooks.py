"""Editors' screens: the question bank (题库) and quizzes, under one “题库与测验” menu."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from quizzes.models import Attempt, Question, Quiz


class QuestionViewSet(SnippetViewSet):
    model = Question
    icon = "help"
    menu_label = _("题库 Question bank")
    list_display = ["__str__", "occupation", "level", "kind", "updated_at"]
    list_filter = ["occupation", "kind", "level"]
    search_fields = ["stem"]
    ordering = ["-pk"]
    # Wagtail's copy view re-posts the original's inline children by id; keep it off.
    copy_view_enabled = False


class QuizViewSet(SnippetViewSet):
    model = Quiz
    icon = "tasks"
    menu_label = _("测验 Quizzes")
    list_display = ["title", "lesson", "pass_mark", "max_attempts", "updated_at"]
    search_fields = ["title"]
    ordering = ["-pk"]
    copy_view_enabled = False


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
            "已有学员作答的测验不能删除（作答记录需要保留），可以取消它与课时的关联。"
            "A quiz that learners have attempted cannot be deleted; unlink it from its lesson instead.",
        )
        return redirect("wagtailsnippets_quizzes_quiz:list")
    return None
