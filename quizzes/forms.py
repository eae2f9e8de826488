"""Editors' forms for the question bank and quizzes (Wagtail snippet forms)."""

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.forms import WagtailAdminModelForm

TRUE_FALSE = "true_false"  # QuestionKind.TRUE_FALSE; quizzes.models imports this module
# The texts of a true/false question's two choices: data, the same in every language.
TRUE_TEXT = "正确"
FALSE_TEXT = "错误"


class QuestionForm(WagtailAdminModelForm):
    """Hands the choices being submitted to ``Question.clean()`` and, for a true/false question
    entered without choices, creates 正确/错误 from the answer picked here."""

    true_false_answer = forms.ChoiceField(
        label=_("判断题答案"),
        choices=[
            ("", "—"),
            ("true", pgettext_lazy("true/false answer", "正确")),
            ("false", pgettext_lazy("true/false answer", "错误")),
        ],
        required=False,
        help_text=format_lazy(
            _("判断题可不填选项：选择答案后自动生成“{true}”“{false}”两个选项。"),
            true=TRUE_TEXT,
            false=FALSE_TEXT,
        ),
    )

    def _submitted_choices(self) -> list[tuple[str, bool]] | None:
        formset = self.formsets.get("choices")
        if formset is None or not formset.is_valid():
            return None  # the formset shows its own errors
        rows = []
        for form in formset.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("text"):
                continue
            rows.append((data["text"], bool(data.get("is_correct"))))
        return rows

    def clean(self):
        cleaned = super().clean()
        self._auto_true_false = None
        choices = self._submitted_choices()
        if choices is None:
            self.instance._pending_choices = "skip"  # the formset's errors come first
            return cleaned
        if cleaned.get("kind") == TRUE_FALSE and not choices:
            answer = cleaned.get("true_false_answer")
            if not answer:
                self.add_error(
                    "true_false_answer",
                    _("判断题请选择正确答案，或添加“%(true)s”“%(false)s”两个选项。")
                    % {"true": TRUE_TEXT, "false": FALSE_TEXT},
                )
                self.instance._pending_choices = []
                return cleaned
            self._auto_true_false = answer == "true"
            choices = [(TRUE_TEXT, answer == "true"), (FALSE_TEXT, answer == "false")]
        self.instance._pending_choices = choices
        return cleaned

    def save(self, commit=True):
        instance = super().save(commit=False)
        instance._pending_choices = None
        if getattr(self, "_auto_true_false", None) is not None:
            instance.true_false_choices_set(true_is_correct=self._auto_true_false)
        if commit:
            instance.save()
            self.save_m2m()
        return instance


class QuizForm(WagtailAdminModelForm):
    """Shows each quiz lesson as “course title — lesson title”."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("lesson")
        if field is not None:
            field.queryset = field.queryset.select_related("course").order_by("course__title", "sort_order")
            field.label_from_instance = lambda lesson: f"{lesson.course.title} — {lesson.title}"
