"""Shapes of the evaluation API: a learner's rating, and an institution's yearly scorecard."""

from rest_framework import serializers

from evaluation.models import COMMENT_MAX_LENGTH, STARS, CourseRating

MAX_ID = 2**63 - 1  # the largest BIGINT: a larger id is a 400, not a database error


class RatingCreateSerializer(serializers.Serializer):
    course = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="the id of a course the learner completed"
    )
    stars = serializers.IntegerField(min_value=STARS[0], max_value=STARS[1])
    comment = serializers.CharField(
        max_length=COMMENT_MAX_LENGTH, required=False, allow_blank=True, default="", trim_whitespace=True
    )


class RatingSerializer(serializers.ModelSerializer):
    course_title = serializers.CharField(source="course.title")
    institution = serializers.IntegerField(source="institution_id", allow_null=True)
    institution_name = serializers.SerializerMethodField()
    editable = serializers.BooleanField(help_text="whether the rating may still be changed")

    class Meta:
        model = CourseRating
        fields = [
            "id",
            "course",
            "course_title",
            "stars",
            "comment",
            "institution",
            "institution_name",
            "created_at",
            "updated_at",
            "editable",
        ]
        read_only_fields = fields

    def get_institution_name(self, rating) -> str:
        return rating.institution.name if rating.institution_id else ""


class RatingRefusalSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.ChoiceField(choices=["rating_final"])


class ScorecardInstitutionSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    district = serializers.CharField()


class ReasonSerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=[
            "completion_rate",
            "certificate_rate",
            "rating",
            "rejection_rate",
            "fraud_findings",
            "dishonesty_record",
        ]
    )
    detail = serializers.CharField()


class StandingSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["good", "warned", "suspended", "removed"])
    label = serializers.CharField()
    until = serializers.DateField(allow_null=True, help_text="a suspension's last day; null: until lifted")


class ScorecardSerializer(serializers.Serializer):
    """An institution's figures for the year. Rates are 0–1, null when there is nothing to
    divide by."""

    institution = ScorecardInstitutionSerializer()
    year = serializers.IntegerField()
    classes = serializers.IntegerField()
    trainees = serializers.IntegerField()
    completions = serializers.IntegerField()
    completion_rate = serializers.FloatField(allow_null=True)
    certificates = serializers.IntegerField()
    certificate_rate = serializers.FloatField(allow_null=True)
    ratings = serializers.IntegerField()
    average_rating = serializers.FloatField(allow_null=True)
    claims_submitted = serializers.IntegerField()
    claims_rejected = serializers.IntegerField()
    rejection_rate = serializers.FloatField(allow_null=True)
    fraud_findings = serializers.IntegerField()
    flagged = serializers.BooleanField()
    reasons = ReasonSerializer(many=True)
    standing = StandingSerializer()
