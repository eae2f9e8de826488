"""The quiz player's server-rendered heading: the lesson's live quiz and its score scale."""

from django import template

from quizzes.selectors import lesson_quiz_scale

register = template.Library()


@register.simple_tag
def quiz_scale(lesson) -> dict | None:
    """``{% quiz_scale lesson as scale %}``: title, question_count, max_points (满分),
    pass_points (及格分) and pass_mark (%) of the lesson's live quiz, or None. The same numbers
    the quiz API answers, so the page and the quiz agree on the scale."""
    return lesson_quiz_scale(lesson)
