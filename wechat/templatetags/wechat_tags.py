from django import template

from wechat.services import openid_masked

register = template.Library()


@register.filter(name="openid_masked")
def openid_masked_filter(openid):
    """An openid as a page may show it (never in full)."""
    return openid_masked(openid or "")
