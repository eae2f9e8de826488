from django import template
from django.utils.translation import gettext as _

from courses import covers, lessons

register = template.Library()


@register.filter
def minutes(seconds) -> str:
    """A duration in seconds as 分钟 (at least one minute shown)."""
    try:
        value = max(1, round(float(seconds) / 60))
    except (TypeError, ValueError):
        return ""
    return _("%(n)d 分钟") % {"n": value}


@register.filter
def clock(seconds) -> str:
    """A lesson's duration as the player shows it: 5:30."""
    try:
        return lessons.clock_text(seconds)
    except (TypeError, ValueError):
        return ""


@register.filter
def iso_duration(seconds) -> str:
    """The same duration for ``<time datetime="…">``: PT5M30S."""
    try:
        return lessons.iso_duration(seconds)
    except (TypeError, ValueError):
        return ""


@register.filter
def study_time(seconds) -> str:
    """Study time as people say it: 44 秒, 12 分钟, 3 小时 5 分钟. Rounded down, so credited time
    is never shown as more than it is."""
    try:
        total = max(0, int(float(seconds)))
    except (TypeError, ValueError):
        return ""
    if total < 60:
        return _("%(n)d 秒") % {"n": total}
    hours, rest = divmod(total, 3600)
    if not hours:
        return _("%(n)d 分钟") % {"n": rest // 60}
    return _("%(h)d 小时 %(m)d 分钟") % {"h": hours, "m": rest // 60}


@register.inclusion_tag("courses/_cover.html")
def course_cover(course, size="card"):
    """The course's cover image at ``size`` ("card" or "hero"), with alt text; a placeholder
    in the occupation's colour when it has none."""
    rendition = covers.cover_rendition(course, size)
    return {
        "course": course,
        "size": size,
        "rendition": rendition,
        "alt": covers.cover_alt(course) if rendition else "",
        "tone": covers.placeholder_tone(course),
    }


@register.simple_tag
def cover_url(course, size="card") -> str:
    """The URL of the course's cover at ``size`` ("" without one): for a share card's image."""
    rendition = covers.cover_rendition(course, size)
    return rendition.url if rendition else ""
