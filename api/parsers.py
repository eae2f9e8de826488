"""The API's JSON parser: DRF's, with a limit on nesting.

A body nested a thousand levels deep makes Python's JSON decoder raise ``RecursionError`` (a 500
through DRF's parser, which expects only ``ValueError``); one nested a few hundred levels parses,
and then every walk over it (validation, logging, ``repr``) recurses as deep. No request of the
contract nests more than a few levels, so anything deeper than ``MAX_DEPTH`` is a 400.
"""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32


def depth_exceeds(value, limit: int) -> bool:
    """Whether ``value`` nests lists and objects more than ``limit`` levels (iteratively, so a
    deep value cannot exhaust the stack here either)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON 嵌套过深（最多 %(depth)d 层）。") % {"depth": MAX_DEPTH}) from None
        if depth_exceeds(data, MAX_DEPTH):
            raise ParseError(_("JSON 嵌套过深（最多 %(depth)d 层）。") % {"depth": MAX_DEPTH})
        return data
