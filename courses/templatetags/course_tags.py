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
