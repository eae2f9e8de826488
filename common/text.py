"""Text in the request's language: lists joined the way the language joins them."""

from collections.abc import Iterable

from django.utils.translation import pgettext


def enumeration(items: Iterable) -> str:
    """Items joined with the language's list separator: 、 in Chinese, a comma in English."""
    return pgettext("list separator", "、").join(str(item) for item in items)


def ascii_int(text) -> int | None:
    """The whole number ``text`` spells in ASCII digits, or None. ``str.isdigit`` accepts digits
    ``int`` refuses (superscripts, other scripts' digits): input checked with it alone can fail."""
    text = str(text or "")
    return int(text) if text.isascii() and text.isdigit() else None
