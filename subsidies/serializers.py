"""Shapes of the subsidy API: the learner's claim (contract: "Subsidy claims"), the reviewers'
claim with its person masked, the review detail, and the bodies of the review steps."""

from rest_framework import serializers

from subsidies.models import SubsidyClaim
from subsidies.rules import CODES
from subsidies.services import REASON_MAX_LENGTH, REFERENCE_MAX_LENGTH
from vocabulary.identity import mask_id_number, mask_name


class ClaimOccupationSerializer(serializers.Serializer):
    code = serializers.CharField(source="occupation_code")
    name = serializers.CharField(source="archive_entry.occupation_name")


class MyClaimSerializer(serializers.ModelSerializer):
    """A claim as the learner sees it. ``amount`` is yuan as a decimal string ("1500.00")."""

    amount = serializers.DecimalField(max_digits=8, decimal_places=2, coerce_to_string=True)
    status_name = serializers.CharField(source="get_status_display")
    reason = serializers.CharField(help_text="why the claim was rejected; empty otherwise")
    course_title = serializers.CharField(source="archive_entry.course_title")
    occupation = ClaimOccupationSerializer(source="*")
    level_name = serializers.CharField(source="get_level_display")

    class Meta:
        model = SubsidyClaim
        fields = [
            "id",
            "archive_entry",
            "status",
            "status_name",
            "reason",
            "amount",
            "submitted_at",
            "course_title",
            "occupation",
            "level",
            "level_name",
            "completion_year",
            "district_decided_at",
            "bureau_decided_at",
            "paid_at",
        ]
        read_only_fields = fields


class ClaimCreateSerializer(serializers.Serializer):
    archive_entry = serializers.IntegerField(
        min_value=1, help_text="the id of an entry of the learner's archive"
    )


class RefusalSerializer(serializers.Serializer):
    """A 409: a sentence a person can act on, and the rule's code."""

    detail = serializers.CharField()
    code = serializers.ChoiceField(choices=[*CODES, "wrong_status"])


class ClaimLearnerSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.SerializerMethodField(help_text="masked")
    id_number = serializers.SerializerMethodField(help_text="masked")
    district = serializers.CharField()
    target_group = serializers.CharField()

    def get_name(self, learner) -> str:
        return mask_name(learner.real_name)

    def get_id_number(self, learner) -> str:
        return mask_id_number(learner.id_number)


class ClaimSerializer(MyClaimSerializer):
    """A claim as the reviewers see it: the person masked, the payment reference once paid."""

    learner = ClaimLearnerSerializer()
    # The same values as the learner's shape (whose enum is named MyClaimStatusEnum): a second
    # component with that enum would collide with other apps' "status" enums in the schema.
    status = serializers.CharField(help_text="submitted, district_approved, approved, paid or rejected")

    class Meta(MyClaimSerializer.Meta):
        fields = [*MyClaimSerializer.Meta.fields, "learner", "payment_reference"]
        read_only_fields = fields


class EvidenceChannelSerializer(serializers.Serializer):
    channel = serializers.CharField()
    events = serializers.IntegerField()


class EvidenceSerializer(serializers.Serializer):
    events = serializers.IntegerField()
    accepted = serializers.IntegerField()
    rejected = serializers.IntegerField()
    sessions = serializers.IntegerField()
    credited_seconds = serializers.FloatField()
    first_at = serializers.DateTimeField(allow_null=True)
    last_at = serializers.DateTimeField(allow_null=True)
    channels = EvidenceChannelSerializer(many=True)


class InsuranceCheckSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["no_roster", "not_found", "insured"])
    label = serializers.CharField()
    employer = serializers.CharField()
    insured_since = serializers.DateField(allow_null=True)
    notes = serializers.ListField(child=serializers.CharField())


class ClaimEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    course = serializers.IntegerField(source="course_id")
    course_title = serializers.CharField()
    completed_at = serializers.DateTimeField()
    credited_seconds = serializers.FloatField()
    required_seconds = serializers.IntegerField()
    certificate = serializers.CharField(allow_null=True, help_text="the certificate number, or null")


class ClaimEventSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor.get_username")
    role = serializers.CharField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    note = serializers.CharField()


class RecheckSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()


class ClaimReviewSerializer(serializers.Serializer):
    """A claim with what the review shows beside it (``subsidies.selectors.claim_review_context``)."""

    claim = ClaimSerializer()
    entry = serializers.SerializerMethodField()
    evidence = EvidenceSerializer()
    insurance = InsuranceCheckSerializer(allow_null=True)
    recheck = RecheckSerializer(
        allow_null=True, help_text="the rules' refusal an approval would meet, or null"
    )
    events = ClaimEventSerializer(many=True)

    def get_entry(self, context) -> ClaimEntrySerializer:
        entry, certificate = context["entry"], context["certificate"]
        return ClaimEntrySerializer(
            {
                "pk": entry.pk,
                "course_id": entry.course_id,
                "course_title": entry.course_title,
                "completed_at": entry.completed_at,
                "credited_seconds": entry.credited_seconds,
                "required_seconds": entry.required_seconds,
                "certificate": certificate.number if certificate else None,
            }
        ).data


class DecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    reason = serializers.CharField(
        max_length=REASON_MAX_LENGTH, allow_blank=True, default="", help_text="required to reject"
    )


class PaymentSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=REFERENCE_MAX_LENGTH, help_text="the payment's reference")


class BulkOutcomeSerializer(serializers.Serializer):
    learner = serializers.IntegerField(source="learner_id")
    name = serializers.CharField(help_text="masked")
    archive_entry = serializers.IntegerField(source="entry_id", allow_null=True)
    claim = serializers.IntegerField(source="claim.pk", allow_null=True, default=None)
    code = serializers.CharField(help_text="empty when claimed; a rule's code, or not_completed")
    detail = serializers.CharField()


class BulkResultSerializer(serializers.Serializer):
    claimed = serializers.IntegerField()
    refused = serializers.IntegerField()
    results = BulkOutcomeSerializer(many=True)
