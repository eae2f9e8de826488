"""Course cover images: the renditions pages and the API show, fetched with the courses.

An editor uploads a cover in Wagtail (``CoursePage.cover``, any size; a 16:9 crop is made around
the image's focal point). Cards show it at 640×360, the course page at 960×540; a course without
one shows a placeholder coloured by its occupation's major group.
"""

from django.db.models import Prefetch, QuerySet
from wagtail.images import get_image_model

SIZES = {"card": "fill-640x360", "hero": "fill-960x540"}
# The classification's eight major groups (the code's first digit), one tone each.
TONES = {str(group): f"tone-{group}" for group in range(1, 9)}


def with_covers(courses: QuerySet) -> QuerySet:
    """Courses with their cover and its renditions in the same queries as the list (one more
    query for the renditions, only when some course has a cover)."""
    rendition_model = get_image_model().get_rendition_model()
    return courses.select_related("cover").prefetch_related(
        Prefetch(
            "cover__renditions",
            queryset=rendition_model.objects.filter(filter_spec__in=SIZES.values()),
            to_attr="prefetched_renditions",
        )
    )


def cover_rendition(course, size: str = "card"):
    """The course's cover at ``size`` (a rendition, made on first use), or None: no cover, or
    its file missing from storage."""
    image = course.cover
    if image is None:
        return None
    try:
        return image.get_rendition(SIZES[size])
    except OSError:  # wagtail.images.models.SourceImageIOError: the file is gone from storage
        return None


def cover_alt(course) -> str:
    """The editor's description of the image (Wagtail's alt text field), or the course title."""
    image = course.cover
    return (getattr(image, "description", "") or "").strip() or course.title


def placeholder_tone(course) -> str:
    code = getattr(course.occupation, "code", "") or ""
    return TONES.get(code[:1], "tone-0")
