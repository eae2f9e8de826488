"""ISBNs (GB/T 5795, ISO 2108): check digits, validation, and normalisation to ISBN-13.

Editors type ISBNs as printed, e.g. ``978-7-5167-1234-5`` or an older ``7-5045-3456-X``; we store
13 digits without separators.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_SEPARATORS = re.compile(r"[\s\-‐‑–—]")  # spaces and the hyphens/dashes people paste
_ISBN13 = re.compile(r"^\d{13}$")
_ISBN10 = re.compile(r"^\d{9}[\dX]$")


def isbn13_check_digit(first12: str) -> str:
    """EAN-13 check digit: weights 1, 3, 1, 3, ...; the check makes the sum a multiple of 10."""
    total = sum(int(digit) * (3 if i % 2 else 1) for i, digit in enumerate(first12))
    return str((10 - total % 10) % 10)


def isbn10_check_char(first9: str) -> str:
    """ISBN-10 check character: weights 10..2; the check makes the sum a multiple of 11 (10 is X)."""
    total = sum(int(digit) * weight for digit, weight in zip(first9, range(10, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return "X" if check == 10 else str(check)


def _compact(value: str) -> str:
    return _SEPARATORS.sub("", (value or "").strip()).upper().removeprefix("ISBN")


def isbn_normalize(value: str) -> str:
    """The ISBN-13 (13 digits) for an ISBN-13 or ISBN-10 with or without hyphens; "" for empty.

    Raises ValidationError (codes ``length``, ``format``, ``check_digit``, ``prefix``).
    """
    number = _compact(value)
    if not number:
        return ""
    if len(number) not in (10, 13):
        raise ValidationError(
            _("ISBN 应为 13 位（或旧版 10 位），此号码为 %(n)d 位。"),
            code="length",
            params={"n": len(number)},
        )
    if len(number) == 10:
        if not _ISBN10.match(number):
            raise ValidationError(
                _("10 位 ISBN 由 9 位数字和 1 位数字或 X 组成。"),
                code="format",
            )
        if isbn10_check_char(number[:9]) != number[9]:
            raise ValidationError(
                _("ISBN 校验位错误，请核对。"),
                code="check_digit",
            )
        first12 = "978" + number[:9]
        return first12 + isbn13_check_digit(first12)
    if not _ISBN13.match(number):
        raise ValidationError(_("13 位 ISBN 只能包含数字。"), code="format")
    if number[:3] not in ("978", "979"):
        raise ValidationError(_("ISBN-13 以 978 或 979 开头。"), code="prefix")
    if isbn13_check_digit(number[:12]) != number[12]:
        raise ValidationError(
            _("ISBN 校验位错误，请核对。"),
            code="check_digit",
        )
    return number


def validate_isbn(value: str) -> None:
    """Model-field validator: accepts what ``isbn_normalize`` accepts."""
    isbn_normalize(value)
