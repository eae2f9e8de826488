"""The plan's subsidy rules as one pure function over the facts of a claim.

``subsidies.services`` gathers the facts in a constant number of queries (under a lock on the
person) and asks ``refusal``; the 我的补贴 page asks the same function to say beforehand why a
training cannot be claimed. Nothing here touches the database.

The checks, in this order (the first that fails answers; docs/subsidies.md says why):

1. ``already_claimed`` — this archive entry has a claim that was not rejected;
2. ``not_eligible`` — the person has a dishonesty record (失信记录) in force today
   (``integrity``), the course gives no subsidy, the city has no standard for its occupation
   and level, no certificate was issued (or the bureau revoked it; a certificate issued
   elsewhere and recorded for the training counts), the credited time falls short of the
   required hours, or the person is not in an eligible target group. The entry's values are
   read as corrected (archive corrections);
3. ``same_occupation_level`` — a claim (granted or pending: any not rejected) for the same
   occupation and level, in any year;
4. ``yearly_limit`` — 3 claims not rejected already in the calendar year of this completion.
"""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from vocabulary.people import TargetGroup

CHINA = ZoneInfo("Asia/Shanghai")
YEARLY_LIMIT = 3

ALREADY_CLAIMED = "already_claimed"
YEARLY_LIMIT_CODE = "yearly_limit"
SAME_OCCUPATION_LEVEL = "same_occupation_level"
NOT_ELIGIBLE = "not_eligible"
CODES = (ALREADY_CLAIMED, YEARLY_LIMIT_CODE, SAME_OCCUPATION_LEVEL, NOT_ELIGIBLE)

# Who the plan subsidises: the groups it names (企业职工, 高校学生, 农村转移就业劳动者, 贫困劳动力,
# 失业人员 including the disabled, 两后生, 退役军人, and the workers of high-risk trades its safety
# action trains). "其他" is no group of the plan: such a person is not subsidised until their
# category is confirmed and corrected (docs/subsidies.md).
ELIGIBLE_TARGET_GROUPS = frozenset(TargetGroup.values) - {TargetGroup.OTHER}


def completion_year(completed_at: dt.datetime) -> int:
    """The calendar year of a completion in China's time (whatever the server's time zone)."""
    return completed_at.astimezone(CHINA).year


@dataclass(frozen=True)
class ClaimFacts:
    """What the rules need to know about one archive entry and its person. The counts are of the
    person's claims that were not rejected, leaving out the claim being re-checked (if any)."""

    course_gives_subsidy: bool
    has_standard: bool
    certificate_issued: bool
    credited_seconds: float
    required_seconds: float
    target_group: str
    year: int
    occupation: str  # "code name", for messages
    level_name: str
    claims_for_entry: int
    claims_same_occupation_level: int
    claims_in_year: int
    certificate_revoked: bool = False  # its certificate was revoked (and no other stands for it)
    # The last day of the person's dishonesty record (失信记录) in force today, or None.
    dishonest_until: dt.date | None = None


@dataclass(frozen=True)
class Refusal:
    code: str
    detail: str


class ClaimRefused(Exception):
    """A claim, or an approval, that the rules refuse: ``code`` is one of ``CODES``."""

    def __init__(self, refusal: Refusal):
        super().__init__(refusal.detail)
        self.code = refusal.code
        self.detail = refusal.detail


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.2f}"


def already_claimed() -> Refusal:
    return Refusal(ALREADY_CLAIMED, _("这次培训已经申领过补贴，申领未被驳回前不能重复申领。"))


def same_occupation_level(occupation: str, level_name: str) -> Refusal:
    return Refusal(
        SAME_OCCUPATION_LEVEL,
        _("“%(occupation)s（%(level)s）”的培训补贴已经发放或正在审核，同一职业同一等级不能重复享受。")
        % {"occupation": occupation, "level": level_name},
    )


def refusal(facts: ClaimFacts) -> Refusal | None:
    """Why the claim cannot be made (the first rule that fails), or None if it can."""
    if facts.claims_for_entry:
        return already_claimed()
    ineligible = _ineligible(facts)
    if ineligible:
        return Refusal(NOT_ELIGIBLE, ineligible)
    if facts.claims_same_occupation_level:
        return same_occupation_level(facts.occupation, facts.level_name)
    if facts.claims_in_year >= YEARLY_LIMIT:
        return Refusal(
            YEARLY_LIMIT_CODE,
            _(
                "%(year)s 年已有 %(limit)s 次补贴性培训申领（已提交、审核中或已发放），每人每年最多 %(limit)s 次；"
                "这次培训不能再申领。"
            )
            % {"year": facts.year, "limit": YEARLY_LIMIT},
        )
    return None


def dishonesty(until: dt.date) -> str:
    """Why a person (or an institution claiming for its class) with a dishonesty record in
    force may not claim."""
    return _("有生效中的失信记录（至 %(until)s 止），在此之前不能申领职业培训补贴。") % {
        "until": until.isoformat()
    }


def _ineligible(facts: ClaimFacts) -> str:
    if facts.dishonest_until is not None:
        return dishonesty(facts.dishonest_until)
    if not facts.course_gives_subsidy:
        return _("这门课程不属于补贴性职业技能培训，不能申领补贴。")
    if not facts.has_standard:
        return _("“%(occupation)s（%(level)s）”尚未设定补贴标准，请联系市人社局。") % {
            "occupation": facts.occupation,
            "level": facts.level_name,
        }
    if facts.certificate_revoked:
        return _("这次培训的证书已被市人社局撤销，不能申领补贴。")
    if not facts.certificate_issued:
        return _("这次培训还没有颁发证书（学员完成实名核验后颁发），取得证书后才能申领补贴。")
    if facts.credited_seconds < facts.required_seconds:
        return _("已获学时 %(credited)s 小时，不足课程要求的 %(required)s 小时，不能申领补贴。") % {
            "credited": _hours(facts.credited_seconds),
            "required": _hours(facts.required_seconds),
        }
    if facts.target_group not in ELIGIBLE_TARGET_GROUPS:
        return _(
            "人员类别为“其他”，不在职业培训补贴对象范围内；如人员类别有误，请联系培训机构或区县人社部门更正后再申领。"
        )
    return ""
