"""Validators of catalog data: the unified social credit code (GB 32100-2015) and phones."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

# The 31 characters a credit code may use (no I, O, S, V, Z), each worth its index.
CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_SHAPE = re.compile(rf"^[{CREDIT_CODE_CHARS}]{{2}}\d{{6}}[{CREDIT_CODE_CHARS}]{{10}}$")


def credit_code_check_char(first17: str) -> str:
    """The check character of a unified social credit code, from its first 17 characters:
    31 - (Σ value × weight mod 31), where 31 counts as 0 (GB 32100-2015, 5.2)."""
    total = sum(
        CREDIT_CODE_CHARS.index(char) * weight for char, weight in zip(first17, _WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def normalize_credit_code(value: str) -> str:
    return (value or "").strip().upper()


def validate_credit_code(value: str) -> None:
    """Raise ValidationError unless value is an 18-character unified social credit code whose
    last character is the right check character."""
    code = normalize_credit_code(value)
    if len(code) != 18:
        raise ValidationError(
            _("统一社会信用代码应为18位，这个是%(n)d位。"),
            code="length",
            params={"n": len(code)},
        )
    if not _SHAPE.match(code):
        raise ValidationError(
            _("统一社会信用代码含有不允许的字符（不使用I、O、S、V、Z，第3–8位为行政区划代码）。"),
            code="format",
        )
    if credit_code_check_char(code[:17]) != code[17]:
        raise ValidationError(
            _("统一社会信用代码校验位错误，请核对。"),
            code="check_char",
        )


# A mainland mobile number, or a landline with its area code (Zibo: 0533), optional extension.
validate_contact_phone = RegexValidator(
    r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$",
    _("请填写手机号或带区号的固定电话，如0533-1234567。"),
)
