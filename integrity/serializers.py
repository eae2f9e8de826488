"""Shapes of the integrity API: review cases and dishonesty records, personal data masked."""

from rest_framework import serializers

from integrity.models import CaseStatus, DecisionKind, SignalKind, SubjectKind
from vocabulary.identity import mask_id_number, mask_name


class CaseLearnerSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.SerializerMethodField(help_text="masked")
    id_number = serializers.SerializerMethodField(help_text="masked")

    def get_name(self, learner) -> str:
        return mask_name(learner.real_name)

    def get_id_number(self, learner) -> str:
        return mask_id_number(learner.id_number)


class ReviewCaseSerializer(serializers.Serializer):
    """A review case of the queue, heaviest first."""

    id = serializers.IntegerField(source="pk")
    learner = CaseLearnerSerializer()
    district = serializers.CharField(help_text="the learner's district when the case opened")
    status = serializers.ChoiceField(choices=CaseStatus.values)
    weight = serializers.IntegerField(help_text="the sum of its signals' weights")
    signals = serializers.IntegerField(source="n_signals", help_text="the number of its signals")
    signal_kinds = serializers.ListField(child=serializers.ChoiceField(choices=SignalKind.values))
    opened_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    decision = serializers.ChoiceField(
        source="decision_kind", choices=DecisionKind.values, allow_null=True, help_text="null while open"
    )


class DishonestyRecordSerializer(serializers.Serializer):
    """A dishonesty record (失信记录): a person (masked), an enterprise or an institution."""

    id = serializers.IntegerField(source="pk")
    subject_kind = serializers.ChoiceField(choices=SubjectKind.values)
    subject_id = serializers.IntegerField()
    subject_name = serializers.CharField(
        help_text="a person's name masked; an enterprise's or institution's name"
    )
    reason = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(help_text="the last day it is in force")
    state = serializers.ChoiceField(
        choices=["active", "upcoming", "expired", "lifted"], help_text="today, China's date"
    )
    active = serializers.BooleanField()
    decision = serializers.IntegerField(
        source="decision_id", allow_null=True, help_text="the review decision it came from"
    )
    created_at = serializers.DateTimeField()
    lifted_at = serializers.DateTimeField(allow_null=True)
    lift_reason = serializers.CharField(allow_blank=True)
