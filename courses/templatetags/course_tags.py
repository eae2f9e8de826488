from django import template
from django.utils.translation import gettext as _

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
