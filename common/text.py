"""Text in the request's language: lists joined the way the language joins them."""

from collections.abc import Iterable

from django.utils.translation import pgettext


def enumeration(items: Iterable) -> str:
    """Items joined with the language's list separator: 、 in Chinese, a comma in English."""
    return pgettext("list separator", "、").join(str(item) for item in items)
