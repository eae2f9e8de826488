"""A list of skill levels, stored as JSON and edited as checkboxes."""

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from vocabulary.training import Level


def validate_levels(value) -> None:
    if not isinstance(value, list) or any(level not in Level.values for level in value):
        raise ValidationError(_("请从列表中选择职业技能等级。"), code="invalid_choice")


class LevelListField(models.JSONField):
    """Several ``vocabulary.training.Level`` values, e.g. ``["5", "4"]``.

    JSON rather than a join table so that revisions (drafts) store the levels with the entry.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", list)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("default", None)
        return name, path, args, kwargs

    def formfield(self, **kwargs):
        return forms.MultipleChoiceField(
            choices=Level.choices,
            widget=forms.CheckboxSelectMultiple,
            required=not self.blank,
            label=capfirst(self.verbose_name),
            help_text=self.help_text,
        )

    def validate(self, value, model_instance):
        super().validate(value, model_instance)
        validate_levels(value)
