"""Editors' screens for teacher vetting: transition buttons and the reason form.

Every button and every POST is checked with ``services.allowed_transitions`` /
``services.teacher_transition``: the same rules as anywhere else.
"""

from django import forms
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView
from wagtail.admin import messages
from wagtail.admin.auth import permission_denied
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import Button
from wagtail.snippets.views.snippets import EditView, IndexView

from teachers.models import Teacher
from teachers.services import (
    ReasonRequired,
    TransitionRefused,
    allowed_transitions,
    teacher_transition,
    transition_for,
)

TRANSITION_ICONS = {
    "under_review": "search",
    "approved": "check",
    "rejected": "cross",
    "submitted": "repeat",
    "suspended": "warning",
}


def transition_url(teacher: Teacher, to_state: str) -> str:
    return reverse(Teacher.snippet_viewset.get_url_name("transition"), args=[teacher.pk, to_state])


class TeacherIndexView(IndexView):
    """The teacher list, with the user's allowed transitions in each row's "More" menu."""

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        for move in allowed_transitions(teacher=instance, user=self.request.user):
            buttons.append(
                MenuItem(
                    move.label,
                    url=transition_url(instance, move.target),
                    icon_name=TRANSITION_ICONS.get(move.target, "arrow-right"),
                    priority=40,
                )
            )
        return buttons


class TeacherEditView(EditView):
    """The edit screen, with the allowed transitions in the header's "More" menu."""

    @cached_property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        for move in allowed_transitions(teacher=self.object, user=self.request.user):
            buttons.append(
                Button(
                    move.label,
                    url=transition_url(self.object, move.target),
                    icon_name=TRANSITION_ICONS.get(move.target, "arrow-right"),
                    priority=40,
                )
            )
        return buttons


class TransitionForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("原因 / 审核意见"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class TeacherTransitionView(WagtailAdminTemplateMixin, FormView):
    """Confirm one transition of one teacher, asking for the reason where it is required."""

    template_name = "teachers/admin/transition.html"
    form_class = TransitionForm
    header_icon = "user"
    index_url_name = None  # set by the viewset

    def dispatch(self, request, *args, **kwargs):
        self.teacher = get_object_or_404(Teacher, pk=kwargs["pk"])
        self.move = transition_for(self.teacher.state, kwargs["to_state"])
        if self.move is None:
            messages.error(
                request,
                _("“%(name)s”当前为“%(state)s”，不能执行此操作。")
                % {"name": self.teacher.name, "state": self.teacher.get_state_display()},
            )
            return redirect(self.get_success_url())
        if self.move not in allowed_transitions(teacher=self.teacher, user=request.user):
            return permission_denied(request)
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return _("%(action)s：%(name)s") % {"action": self.move.label, "name": self.teacher.name}

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.fields["reason"].required = self.move.reason_required
        return form

    def get_success_url(self):
        return reverse(self.index_url_name)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            teacher=self.teacher, move=self.move, cancel_url=self.get_success_url(), **kwargs
        )

    def form_valid(self, form):
        try:
            teacher_transition(
                teacher=self.teacher,
                to_state=self.move.target,
                user=self.request.user,
                reason=form.cleaned_data["reason"],
            )
        except ReasonRequired as refusal:
            form.add_error("reason", refusal.message)
            return self.form_invalid(form)
        except TransitionRefused as refusal:
            messages.error(self.request, refusal.message)
            return redirect(self.get_success_url())
        messages.success(
            self.request,
            _("已对“%(name)s”执行“%(action)s”，当前状态：%(state)s。")
            % {
                "name": self.teacher.name,
                "action": self.move.label,
                "state": self.teacher.get_state_display(),
            },
        )
        return redirect(self.get_success_url())
