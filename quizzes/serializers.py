"""Shapes of the quiz API, for the OpenAPI schema. The views build these dicts in selectors."""

from rest_framework import serializers


class QuizSummarySerializer(serializers.Serializer):
    quiz = serializers.IntegerField()
    lesson = serializers.IntegerField()
    title = serializers.CharField()
    question_count = serializers.IntegerField(help_text="Live questions an attempt started now gets.")
    max_points = serializers.IntegerField(help_text="满分: the points of those questions.")
    pass_points = serializers.IntegerField(
        help_text="The fewest points that pass (pass_mark % of max_points, rounded up)."
    )
    pass_mark = serializers.IntegerField(help_text="Percentage needed to pass, 0–100.")
    max_attempts = serializers.IntegerField(help_text="0 = unlimited.")
    time_limit_minutes = serializers.IntegerField(allow_null=True)
    attempts_used = serializers.IntegerField()
    attempts_left = serializers.IntegerField(allow_null=True, help_text="null = unlimited.")
    best_score = serializers.FloatField(allow_null=True, help_text="The best attempt's percentage.")
    best_points = serializers.IntegerField(allow_null=True, help_text="The best attempt's points.")
    best_max_points = serializers.IntegerField(
        allow_null=True, help_text="The maximum the best attempt was taken on."
    )
    passed = serializers.BooleanField()
    open_attempt = serializers.IntegerField(allow_null=True, help_text="An unfinished attempt's id.")


class AttemptChoiceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()


class AttemptQuestionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=["single", "multiple", "true_false"])
    stem = serializers.CharField()
    points = serializers.IntegerField()
    choices = AttemptChoiceSerializer(many=True)


class AttemptSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    quiz = serializers.IntegerField()
    title = serializers.CharField()
    number = serializers.IntegerField()
    status = serializers.CharField()
    started_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    time_limit_minutes = serializers.IntegerField(allow_null=True)
    pass_mark = serializers.IntegerField(help_text="Percentage needed to pass, 0–100.")
    max_points = serializers.IntegerField(help_text="满分 of this attempt.")
    pass_points = serializers.IntegerField(help_text="The fewest points that pass this attempt.")
    attempts_used = serializers.IntegerField()
    attempts_left = serializers.IntegerField(allow_null=True)
    questions = AttemptQuestionSerializer(many=True)


class SubmitRequestSerializer(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.ListField(child=serializers.IntegerField()),
        help_text='{"<question id>": [<choice id>, ...]}; unanswered questions may be left out.',
    )
    channel = serializers.CharField(required=False, help_text="pc (default), app or wechat.")


class QuestionResultSerializer(serializers.Serializer):
    question = serializers.IntegerField()
    kind = serializers.CharField()
    selected = serializers.ListField(child=serializers.IntegerField())
    correct_choices = serializers.ListField(child=serializers.IntegerField())
    correct = serializers.BooleanField()
    points = serializers.IntegerField()
    earned = serializers.IntegerField()
    explanation = serializers.CharField()


class SubmitResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    score = serializers.FloatField(help_text="Percentage of the points, 0–100.")
    passed = serializers.BooleanField()
    points = serializers.IntegerField()
    max_points = serializers.IntegerField()
    pass_mark = serializers.IntegerField(help_text="Percentage needed to pass, 0–100.")
    pass_points = serializers.IntegerField(help_text="The fewest points that pass, on max_points.")
    submitted_at = serializers.DateTimeField()
    lesson_completed = serializers.BooleanField(help_text="True when this submission completed the lesson.")
    attempts_used = serializers.IntegerField()
    attempts_left = serializers.IntegerField(allow_null=True)
    results = QuestionResultSerializer(many=True)
