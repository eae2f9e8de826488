"""Shapes of the reports API (contract: "Reports (统一报表)").

Numbers follow the contract's conventions: counts are integers; ``credited_hours`` is a number
(hours, one decimal place; the contract's durations are numbers); ``subsidy_amount`` is yuan as
a decimal string with two places, as the subsidy claims' ``amount``; ``task_ratio`` a number
rounded to four places. ``task`` and ``task_ratio`` are null when the district has no task for
the year (or a task of 0).
"""

from rest_framework import serializers

from vocabulary.people import District


class _Figures(serializers.Serializer):
    trainees = serializers.IntegerField(help_text="people with study time credited in the period")
    completions = serializers.IntegerField(help_text="archive entries completed in the period")
    credited_hours = serializers.DecimalField(
        max_digits=14, decimal_places=1, coerce_to_string=False, help_text="credited study time, hours"
    )
    certificates = serializers.IntegerField(
        help_text="platform certificates issued in the period and not revoked, plus external ones"
    )
    subsidy_claims = serializers.IntegerField(help_text="claims submitted in the period, not rejected")
    subsidy_amount = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text="yuan, a decimal string: the sum of those claims"
    )
    task = serializers.IntegerField(
        allow_null=True, help_text="the district's training target of the year, or null when none is set"
    )
    task_ratio = serializers.FloatField(
        allow_null=True,
        help_text="completions ÷ task (a quarter's completions ÷ the year's task), or null",
    )


class ReportRowSerializer(_Figures):
    district = serializers.ChoiceField(choices=District.choices)

    def get_fields(self):
        fields = super().get_fields()
        # The district first, as the contract lists it.
        return {"district": fields.pop("district"), **fields}


class ReportTotalsSerializer(_Figures):
    """The rows added up (``task``: the sum of the tasks set; ``task_ratio``: completions ÷ it)."""


class TrainingReportSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    quarter = serializers.IntegerField(allow_null=True, min_value=1, max_value=4)
    results = ReportRowSerializer(many=True)
    totals = ReportTotalsSerializer()


def report_data(report) -> dict:
    """The JSON body of a ``reports.selectors.Report``."""
    return TrainingReportSerializer(
        {
            "year": report.period.year,
            "quarter": report.period.quarter,
            "results": report.rows,
            "totals": report.totals,
        }
    ).data
