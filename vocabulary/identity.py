"""Chinese resident identity numbers (GB 11643-1999) and masking of personal data."""

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


def id_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def normalize_id_number(value: str) -> str:
    return (value or "").strip().upper()


def validate_id_number(value: str) -> None:
    """Raise ValidationError unless value is an 18-character ID number with a valid check digit
    and a real birth date."""
    number = normalize_id_number(value)
    if len(number) != 18:
        raise ValidationError(
            _("身份证号应为18位，此号码为%(n)d位。"),
            code="length",
            params={"n": len(number)},
        )
    if not _SHAPE.match(number):
        raise ValidationError(_("身份证号应为17位数字加1位数字或X。"), code="format")
    if id_check_char(number[:17]) != number[17]:
        raise ValidationError(_("身份证号校验位错误，请核对。"), code="check_digit")
    try:
        birth_date_from_id(number)
    except ValueError:
        raise ValidationError(_("身份证号中的出生日期无效。"), code="birth_date") from None


def birth_date_from_id(number: str) -> dt.date:
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def sex_from_id(number: str) -> str:
    """'M' or 'F', from the 17th digit (odd: male)."""
    return "M" if int(number[16]) % 2 else "F"


def mask_id_number(number: str) -> str:
    """Keep the first 4 and last 4 characters: 3703**********123X."""
    if not number:
        return ""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_name(name: str) -> str:
    """张* for two characters, 张*明 for three, 欧**华 for four: only the first and last stay."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str) -> str:
    """Keep the first 3 and last 4 digits: 139****5678."""
    if not phone:
        return ""
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
