"""The audit trail's shapes: the filters of ``GET /api/v1/audit/actions/`` (also read by the
/audit/ page, so both refuse the same input with the same words) and one entry."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from audit.models import AuditAction, AuditEntry
from audit.selectors import YEARS, AuditFilters


def _in_years(day):
    first, last = YEARS
    if day is not None and not first <= day.year <= last:
        raise serializers.ValidationError(
            _("日期须在 %(first)s 年至 %(last)s 年之间。") % {"first": first, "last": last}
        )
    return day


class AuditFilterSerializer(serializers.Serializer):
    """The trail's filters, all optional. Days are China's days (Asia/Shanghai), both included."""

    action = serializers.ChoiceField(
        choices=AuditAction.choices, required=False, allow_blank=True, help_text="view, export or decision"
    )
    subject = serializers.CharField(
        max_length=60,
        required=False,
        allow_blank=True,
        help_text='A dotted name ("subsidies.claims") or its first part ("subsidies"): every name under it.',
    )
    actor = serializers.CharField(
        max_length=150, required=False, allow_blank=True, help_text="The account's username, exactly."
    )
    object_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
    since = serializers.DateField(required=False, allow_null=True, help_text="From this day (China's time).")
    until = serializers.DateField(
        required=False, allow_null=True, help_text="Up to and including this day (China's time)."
    )

    def validate_since(self, value):
        return _in_years(value)

    def validate_until(self, value):
        return _in_years(value)

    def validate(self, attrs):
        since, until = attrs.get("since"), attrs.get("until")
        if since is not None and until is not None and until < since:
            raise serializers.ValidationError({"until": [_("结束日期不能早于开始日期。")]})
        return attrs

    def filters(self) -> AuditFilters:
        data = self.validated_data
        return AuditFilters(
            action=data.get("action", ""),
            subject=data.get("subject", "").strip(),
            actor=data.get("actor", "").strip(),
            object_id=data.get("object_id", "").strip(),
            since=data.get("since"),
            until=data.get("until"),
        )


class AuditEntrySerializer(serializers.ModelSerializer):
    actor = serializers.CharField(
        source="actor_name", read_only=True, help_text="The account's username at the time."
    )
    detail = serializers.DictField(
        read_only=True,
        help_text="What the entry is about: the filters of an export, the decision and its reason.",
    )

    class Meta:
        model = AuditEntry
        fields = ["id", "at", "actor", "role", "action", "subject", "object_id", "detail", "ip"]
        read_only_fields = fields
