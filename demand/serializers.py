"""Shapes of the training-demand API (contract: "Training demand"): the worker's demand, the
body that states one, the readers' demand, the aggregations by occupation and by district, and
the readers' query."""

from django.utils.translation import gettext as _
from rest_framework import serializers

from api.shapes import OccupationField
from demand.models import NOTE_MAX_LENGTH, DemandStatus, TrainingDemand
from demand.selectors import normalise, occupation_by_code
from vocabulary.people import District

GROUPS = ("occupation", "district")


class MyTrainingDemandSerializer(serializers.ModelSerializer):
    """A demand as the worker sees it."""

    occupation = OccupationField()
    status_name = serializers.CharField(source="get_status_display")

    class Meta:
        model = TrainingDemand
        fields = [
            "id",
            "occupation",
            "status",
            "status_name",
            "submitted_at",
            "status_changed_at",
            "note",
            "head_count",
            "district",
            "target_group",
        ]
        read_only_fields = fields


class TrainingDemandCreateSerializer(serializers.Serializer):
    occupation = serializers.CharField(
        max_length=50, help_text="an occupation code of the national classification, e.g. 4-10-01-05"
    )
    note = serializers.CharField(
        max_length=NOTE_MAX_LENGTH, allow_blank=True, default="", trim_whitespace=True
    )

    def validate_occupation(self, value):
        occupation = occupation_by_code(value)
        if occupation is None:
            raise serializers.ValidationError(
                _("没有职业代码为“%(code)s”的职业，请按国家职业分类大典填写，例如 4-10-01-05。")
                % {"code": normalise(value)[:20]}
            )
        return occupation


class TrainingDemandSerializer(serializers.ModelSerializer):
    """A demand as its readers see it: a worker's (no name: the figures are what is read) or a
    line of an enterprise's bulk demand (``enterprise`` names it)."""

    occupation = OccupationField()
    # The same values as the worker's shape: a second enum component named "Status" would collide.
    status = serializers.CharField(help_text="submitted, listed, matched or closed")
    status_name = serializers.CharField(source="get_status_display")
    source = serializers.SerializerMethodField(help_text="learner (a worker's own) or enterprise (HR's bulk)")
    enterprise = serializers.CharField(source="enterprise.name", allow_null=True, default=None)
    target_group = serializers.CharField(
        read_only=True, help_text="the worker's target group; empty for a line of an enterprise's demand"
    )

    class Meta:
        model = TrainingDemand
        fields = [
            "id",
            "occupation",
            "status",
            "status_name",
            "submitted_at",
            "status_changed_at",
            "note",
            "head_count",
            "district",
            "target_group",
            "source",
            "enterprise",
        ]
        read_only_fields = fields

    def get_source(self, demand) -> str:
        return "enterprise" if demand.enterprise_id else "learner"


class DemandByOccupationSerializer(serializers.Serializer):
    """``?group=occupation``: one row per occupation."""

    occupation = OccupationField(source="*")
    demands = serializers.IntegerField(help_text="demand rows")
    people = serializers.IntegerField(help_text="people: the rows' head counts added up")
    districts = serializers.ListField(child=serializers.CharField(), help_text="district names, sorted")


class DemandByDistrictSerializer(serializers.Serializer):
    """``?group=district``: one row per district."""

    district = serializers.CharField()
    demands = serializers.IntegerField(help_text="demand rows")
    people = serializers.IntegerField(help_text="people: the rows' head counts added up")
    occupations = serializers.IntegerField(help_text="distinct occupations wanted")


class TrainingDemandQuerySerializer(serializers.Serializer):
    group = serializers.ChoiceField(choices=GROUPS, required=False)
    district = serializers.ChoiceField(choices=District.choices, required=False)
    status = serializers.ChoiceField(choices=DemandStatus.choices, required=False)
    occupation = serializers.CharField(max_length=20, required=False)

    def validate_occupation(self, value):
        code = normalise(value)
        if occupation_by_code(code) is None:
            raise serializers.ValidationError(_("没有职业代码为“%(code)s”的职业。") % {"code": code[:20]})
        return code
