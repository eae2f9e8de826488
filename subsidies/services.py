"""Writes of subsidy claims: the one rules service (``claim_submit``), the review steps, payment,
the bulk claim for a class and the social-insurance roster import.

**Why the person is locked.** The rules count a person's claims (at most 3 a year, never the
same occupation and level twice). Two claims for the same person made at the same moment (the
app and the web, or a learner and their institution's bulk claim) would each count the other's
absence and both pass. So every step that applies the rules first takes the person's row lock
(``SELECT … FOR UPDATE`` on ``learners_learner``), counts under it and writes before it is
released: the second claim waits, then counts the first. The same lock is taken at each approval
before the rules are checked again. Two of the rules are also unique constraints (a last line
behind the lock: a writer that forgot it fails instead of breaking the rule).

The caller decides who may do what (``subsidies.permissions``); these functions assume an
authorised caller and record the user as the actor of each step (``ClaimEvent``). Each decision
and the payment notify the learner (``wechat.notifications.notify_subsidy_decision``, sent after
the commit).
"""

import datetime as dt
from dataclasses import dataclass, replace

from django.db import IntegrityError, transaction
from django.db.models import OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from archive.models import ArchiveEntry
from institutions import roles
from institutions.models import TrainingClass
from integrity.selectors import active_record_for_institution, active_record_until
from learners.models import Learner
from subsidies import insurance, rules
from subsidies.models import (
    IS_OPEN,
    PAYMENT_REFERENCE_MAX_LENGTH,
    ClaimEvent,
    ClaimStatus,
    InsuranceImport,
    InsuranceRecord,
    SubsidyClaim,
)
from subsidies.rules import ClaimRefused, completion_year, refusal
from subsidies.selectors import claim_facts, entry_for_rules, open_claim_counts
from vocabulary.identity import mask_name
from wechat.notifications import notify_subsidy_decision

REASON_MAX_LENGTH = 500
REFERENCE_MAX_LENGTH = PAYMENT_REFERENCE_MAX_LENGTH


class EntryNotFound(Exception):
    """The archive entry does not exist or is not the learner's own (a 404)."""


class ClaimStateError(Exception):
    """The claim is not at the step the action belongs to (a 409, code ``wrong_status``)."""

    code = "wrong_status"

    def __init__(self, claim: SubsidyClaim, action: str):
        self.detail = _("这份申领当前为“%(status)s”，不能%(action)s。") % {
            "status": claim.get_status_display(),
            "action": action,
        }
        super().__init__(self.detail)


def _actor_role(user) -> str:
    role = roles.role_of(user)
    return str(role) if role else ""


def _lock_person(learner_id: int) -> tuple[str, int, dt.date | None]:
    """Take the person's row lock for the rest of the transaction; their target group, user and
    the last day of their dishonesty record in force today (None: none), read in the same query."""
    return (
        Learner.objects.select_for_update(of=("self",))
        .filter(pk=learner_id)
        .annotate(dishonest_until=active_record_until(subject_kind="person", learner_id=OuterRef("pk")))
        .values_list("target_group", "user_id", "dishonest_until")
        .get()
    )


def _facts(entry, *, target_group: str, counts, dishonest_until, check_standard=True):
    """The rules' facts of the entry, with the person's dishonesty record."""
    facts = claim_facts(entry, target_group=target_group, counts=counts, check_standard=check_standard)
    return replace(facts, dishonest_until=dishonest_until)


# ---------------------------------------------------------------- claiming


def claim_submit(*, learner_id: int, entry_id: int, user) -> SubsidyClaim:
    """Claim the subsidy for the archive entry ``entry_id`` of the learner ``learner_id``, made
    by ``user`` (the learner, or staff claiming for a class). Raises ``EntryNotFound`` if the
    entry is not the learner's, ``ClaimRefused`` (with its rule's code) if the plan's rules
    refuse it (a dishonesty record of the person in force is read with the lock). Five queries whatever the person's history: the lock, the entry with its facts,
    the counts of their claims, the claim and its first event (and the user's roles, once per
    request: ``institutions.roles`` caches them)."""
    try:
        with transaction.atomic():
            return _claim_insert(learner_id=learner_id, entry_id=entry_id, user=user)
    except IntegrityError:
        # Only a writer that skipped the lock gets here: the database kept the rule. Which one,
        # asked once the transaction has been rolled back (the same entry breaks both).
        if SubsidyClaim.objects.filter(IS_OPEN, archive_entry_id=entry_id).exists():
            raise ClaimRefused(rules.already_claimed()) from None
        entry = ArchiveEntry.objects.get(pk=entry_id)
        refused = rules.same_occupation_level(
            f"{entry.occupation_code} {entry.occupation_name}", entry.get_level_display()
        )
        raise ClaimRefused(refused) from None


def _claim_insert(*, learner_id: int, entry_id: int, user) -> SubsidyClaim:
    target_group, learner_user_id, dishonest_until = _lock_person(learner_id)
    entry = entry_for_rules(learner_id, entry_id)
    if entry is None:
        raise EntryNotFound(entry_id)
    year = completion_year(entry.completed_at)
    counts = open_claim_counts(
        learner_id=learner_id,
        entry_id=entry.pk,
        occupation_code=entry.occupation_code,
        level=entry.level,
        year=year,
    )
    refused = refusal(
        _facts(entry, target_group=target_group, counts=counts, dishonest_until=dishonest_until)
    )
    if refused is not None:
        raise ClaimRefused(refused)
    now = timezone.now()
    claim = SubsidyClaim.objects.create(
        learner_id=learner_id,
        archive_entry=entry,
        occupation_code=entry.occupation_code,
        level=entry.level,
        completion_year=year,
        amount=entry.standard_amount,
        submitted_at=now,
        submitted_by=user,
    )
    note = "" if user.pk == learner_user_id else _("培训机构代为申领")
    ClaimEvent.objects.create(
        claim=claim, actor=user, role=_actor_role(user), at=now, to_status=claim.status, note=note
    )
    return claim


@dataclass(frozen=True)
class BulkOutcome:
    """What a bulk claim did for one member of the class."""

    learner_id: int
    name: str  # masked
    entry_id: int | None
    claim: SubsidyClaim | None = None
    code: str = ""  # a rule's code, or "not_completed"
    detail: str = ""


def claims_bulk_submit_for_class(*, training_class: TrainingClass, user) -> list[BulkOutcome]:
    """Claim, for every member of the class who completed the class's course, the subsidy of
    that training: each claim through ``claim_submit`` in a transaction of its own (one person's
    refusal never undoes another's claim). An institution with a dishonesty record in force
    claims for nobody: every member is reported refused (``not_eligible``). Members who have not completed the course, or whose
    claim the rules refuse, are reported with the reason."""
    members = list(
        Learner.objects.filter(class_memberships__training_class=training_class)
        .order_by("pk")
        .only("pk", "real_name")
    )
    barred = active_record_for_institution(training_class.institution_id)
    if barred is not None:
        # An institution with a dishonesty record in force claims for nobody.
        detail = _("本机构有生效中的失信记录（至 %(until)s 止），在此之前不能代为申领补贴。") % {
            "until": barred.ends_on.isoformat()
        }
        return [
            BulkOutcome(member.pk, mask_name(member.real_name), None, code=rules.NOT_ELIGIBLE, detail=detail)
            for member in members
        ]
    entries = dict(
        ArchiveEntry.objects.filter(
            course_id=training_class.course_id, learner_id__in=[member.pk for member in members]
        ).values_list("learner_id", "pk")
    )
    outcomes = []
    for member in members:
        name = mask_name(member.real_name)
        entry_id = entries.get(member.pk)
        if entry_id is None:
            outcomes.append(
                BulkOutcome(member.pk, name, None, code="not_completed", detail=_("尚未完成本班课程。"))
            )
            continue
        try:
            claim = claim_submit(learner_id=member.pk, entry_id=entry_id, user=user)
        except ClaimRefused as refused:
            outcomes.append(BulkOutcome(member.pk, name, entry_id, code=refused.code, detail=refused.detail))
        else:
            outcomes.append(BulkOutcome(member.pk, name, entry_id, claim=claim))
    return outcomes


# ---------------------------------------------------------------- review and payment


def _locked_claim(claim_id: int) -> tuple[SubsidyClaim, tuple]:
    """The claim, locked, after its person's lock (the order ``claim_submit`` takes them in),
    and the person's target group and dishonesty record's end (``_lock_person``)."""
    learner_id = SubsidyClaim.objects.values_list("learner_id", flat=True).get(pk=claim_id)
    target_group, _user_id, dishonest_until = _lock_person(learner_id)
    claim = (
        SubsidyClaim.objects.select_for_update(of=("self",)).select_related("archive_entry").get(pk=claim_id)
    )
    return claim, (target_group, dishonest_until)


def _recheck(claim: SubsidyClaim, person: tuple) -> None:
    """The plan's rules again, under the person's lock, leaving this claim out: a training whose
    certificate or hours no longer hold, or a person whose other claims meanwhile filled the
    year or took the occupation and level, is refused at approval too."""
    entry = entry_for_rules(claim.learner_id, claim.archive_entry_id)
    counts = open_claim_counts(
        learner_id=claim.learner_id,
        entry_id=entry.pk,
        occupation_code=entry.occupation_code,
        level=entry.level,
        year=completion_year(entry.completed_at),
        exclude_claim_id=claim.pk,
    )
    # The amount was fixed at submission: the standard is not asked for again.
    target_group, dishonest_until = person
    facts = _facts(
        entry, target_group=target_group, counts=counts, dishonest_until=dishonest_until, check_standard=False
    )
    refused = refusal(facts)
    if refused is not None:
        raise ClaimRefused(refused)


def _clean_reason(reason: str, *, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ValueError(_("请填写未通过的原因，学员会看到它。"))
    if len(reason) > REASON_MAX_LENGTH:
        raise ValueError(_("原因最多 %(n)s 字。") % {"n": REASON_MAX_LENGTH})
    return reason


def _step(claim: SubsidyClaim, *, user, to_status: str, note: str, now, fields: dict) -> SubsidyClaim:
    from_status = claim.status
    claim.status = to_status
    for name, value in fields.items():
        setattr(claim, name, value)
    claim.save(update_fields=["status", *fields])
    ClaimEvent.objects.create(
        claim=claim,
        actor=user,
        role=_actor_role(user),
        at=now,
        from_status=from_status,
        to_status=to_status,
        note=note,
    )
    return claim


def _notify(claim: SubsidyClaim, decision: str, *, approved: bool, now) -> None:
    notify_subsidy_decision(
        Learner(pk=claim.learner_id),
        claim.pk,
        decision,
        title=claim.archive_entry.course_title,
        approved=approved,
        amount=claim.amount if approved else None,
        reason=claim.reason,
        decided_at=now,
        url=reverse("subsidies:mine"),
    )


def claim_district_decide(*, claim_id: int, user, approve: bool, reason: str = "") -> SubsidyClaim:
    """The district official approves a submitted claim (the rules are checked again) or rejects
    it with a reason the learner is shown. ``ValueError`` for a missing reason,
    ``ClaimStateError`` if the claim is not waiting for the district, ``ClaimRefused`` if the
    rules refuse the approval."""
    reason = _clean_reason(reason, required=not approve)
    with transaction.atomic():
        claim, person = _locked_claim(claim_id)
        if claim.status != ClaimStatus.SUBMITTED:
            raise ClaimStateError(claim, _("再做区县审核"))
        now = timezone.now()
        if approve:
            _recheck(claim, person)
            fields = {"district_decided_at": now, "district_decided_by": user}
            _step(
                claim, user=user, to_status=ClaimStatus.DISTRICT_APPROVED, note=reason, now=now, fields=fields
            )
        else:
            fields = {"district_decided_at": now, "district_decided_by": user, "reason": reason}
            _step(claim, user=user, to_status=ClaimStatus.REJECTED, note=reason, now=now, fields=fields)
        _notify(claim, claim.status, approved=approve, now=now)
    return claim


def claim_bureau_decide(*, claim_id: int, user, approve: bool, reason: str = "") -> SubsidyClaim:
    """The bureau approves a claim the district approved (the rules are checked again), or
    rejects it with a reason. Errors as ``claim_district_decide``."""
    reason = _clean_reason(reason, required=not approve)
    with transaction.atomic():
        claim, person = _locked_claim(claim_id)
        if claim.status != ClaimStatus.DISTRICT_APPROVED:
            raise ClaimStateError(claim, _("做市人社局审批"))
        now = timezone.now()
        if approve:
            _recheck(claim, person)
            fields = {"bureau_decided_at": now, "bureau_decided_by": user}
            _step(claim, user=user, to_status=ClaimStatus.APPROVED, note=reason, now=now, fields=fields)
        else:
            fields = {"bureau_decided_at": now, "bureau_decided_by": user, "reason": reason}
            _step(claim, user=user, to_status=ClaimStatus.REJECTED, note=reason, now=now, fields=fields)
        _notify(claim, claim.status, approved=approve, now=now)
    return claim


def claim_mark_paid(*, claim_id: int, user, reference: str) -> SubsidyClaim:
    """The bureau records the payment of an approved claim with its payment reference."""
    reference = (reference or "").strip()
    if not reference:
        raise ValueError(_("请填写支付凭证号。"))
    if len(reference) > REFERENCE_MAX_LENGTH:
        raise ValueError(_("支付凭证号最多 %(n)s 个字符。") % {"n": REFERENCE_MAX_LENGTH})
    with transaction.atomic():
        claim, _person = _locked_claim(claim_id)
        if claim.status != ClaimStatus.APPROVED:
            # An action completing "不能…" ("it cannot …"): not the heading 登记发放 of the review page.
            raise ClaimStateError(claim, pgettext("claim action", "登记发放"))
        now = timezone.now()
        fields = {"paid_at": now, "paid_by": user, "payment_reference": reference}
        _step(claim, user=user, to_status=ClaimStatus.PAID, note=reference, now=now, fields=fields)
        _notify(claim, ClaimStatus.PAID, approved=True, now=now)
    return claim


# ---------------------------------------------------------------- the social-insurance roster


def insurance_roster_import(*, content: bytes, filename: str, user) -> InsuranceImport:
    """Import the social-insurance roster (CSV or .xlsx: ID number, employer, insured since):
    every row or none (``insurance.InsuranceFileError`` names the rows that are wrong). A person
    already on the roster gets the new row's employer and date. ID numbers are kept only as the
    learners' keyed hash."""
    rows = insurance.read_insurance_roster(content)
    hashes = [row.id_number_hash for row in rows]
    with transaction.atomic():
        existing = set()
        for start in range(0, len(hashes), 1000):
            chunk = hashes[start : start + 1000]
            existing.update(
                InsuranceRecord.objects.filter(id_number_hash__in=chunk).values_list(
                    "id_number_hash", flat=True
                )
            )
        batch = InsuranceImport.objects.create(
            uploaded_by=user,
            filename=(filename or "")[:200],
            rows=len(rows),
            created=len(set(hashes) - existing),
            updated=len(set(hashes) & existing),
        )
        InsuranceRecord.objects.bulk_create(
            [
                InsuranceRecord(
                    id_number_hash=row.id_number_hash,
                    employer=row.employer,
                    insured_since=row.insured_since,
                    source=batch,
                )
                for row in rows
            ],
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["id_number_hash"],
            update_fields=["employer", "insured_since", "source"],
        )
    return batch
