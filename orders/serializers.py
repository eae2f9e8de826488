"""Shapes of the 选单 API: an offer's class as a worker chooses it (contract: "Training demand",
compatible extensions) and the enrolment's answer."""

from rest_framework import serializers

from api.shapes import OccupationField


class OpenClassCourseSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    title = serializers.CharField()


class OpenClassSerializer(serializers.Serializer):
    """A class of a training offer (培训清单) the worker may enrol in."""

    id = serializers.IntegerField(source="training_class.pk")
    name = serializers.CharField(source="training_class.name")
    institution = serializers.CharField(source="training_class.institution.name")
    district = serializers.CharField(source="training_class.district")
    course = OpenClassCourseSerializer(source="training_class.course")
    occupation = OccupationField(source="training_class.occupation")
    level = serializers.CharField(source="training_class.level")
    starts_on = serializers.DateField(source="training_class.starts_on")
    ends_on = serializers.DateField(source="training_class.ends_on")
    mode = serializers.CharField(source="training_class.mode", help_text="online, offline or blended")
    place = serializers.CharField(source="training_class.place")
    capacity = serializers.IntegerField(source="training_class.capacity", allow_null=True)
    places_left = serializers.IntegerField(allow_null=True, help_text="null: no limit")
    offer = serializers.IntegerField(source="offer.pk", help_text="the training offer's id")
    subsidy_amount = serializers.DecimalField(
        source="offer.subsidy_amount", max_digits=8, decimal_places=2, coerce_to_string=True, allow_null=True
    )
    answers_demand = serializers.BooleanField(help_text="the class answers one of the worker's demands")
    enrolled = serializers.BooleanField()


class ClassEnrolmentSerializer(serializers.Serializer):
    class_id = serializers.IntegerField(source="training_class_id")
    course = serializers.IntegerField(source="training_class.course_id")
    joined_at = serializers.DateTimeField()


class EnrolRefusalSerializer(serializers.Serializer):
    """A 409: the class is full."""

    detail = serializers.CharField()
    code = serializers.ChoiceField(choices=["class_full"])
