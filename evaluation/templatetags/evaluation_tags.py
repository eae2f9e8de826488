"""The rating form on 我的档案's entries (``evaluation/_rate.html``): the learner's ratings are read
once per request, whatever the number of entries."""

from django import template

from evaluation import selectors

register = template.Library()

_CACHE_ATTR = "_evaluation_ratings"


@register.simple_tag(takes_context=True)
def course_rating(context, course_id):
    """The signed-in learner's rating of the course (None if not rated), with ``editable`` set."""
    request = context.get("request")
    learner = getattr(getattr(request, "user", None), "learner", None) if request else None
    if learner is None:
        return None
    ratings = getattr(request, _CACHE_ATTR, None)
    if ratings is None:
        ratings = selectors.learner_ratings_by_course(learner.pk)
        setattr(request, _CACHE_ATTR, ratings)
    rating = ratings.get(course_id)
    if rating is not None:
        rating.editable = selectors.rating_editable(rating)
    return rating
