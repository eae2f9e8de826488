"""Reads of subsidy claims: the facts the rules need (a constant number of queries whatever the
person's history), the learner's 我的补贴, the review screens' evidence and cross-check, and the
rows of the payment export."""

import datetime as dt
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from archive.chain import Kind
from archive.models import ArchiveEntry, Certificate, ExternalCertificate, LogRecord
from archive.selectors import corrections_apply
from courses.models import Lesson
from integrity.selectors import active_record_until
from learners.models import Learner
from progress.selectors import event_log
from subsidies.models import (
    IS_OPEN,
    ClaimStatus,
    InsuranceImport,
    InsuranceRecord,
    SubsidyClaim,
    SubsidyStandard,
)
from subsidies.rules import CHINA, ClaimFacts, Refusal, completion_year, refusal
from vocabulary.identity import mask_name
from vocabulary.people import TargetGroup
from vocabulary.training import Level

# ---------------------------------------------------------------- the facts the rules need


def with_rule_facts(entries: QuerySet[ArchiveEntry]) -> QuerySet[ArchiveEntry]:
    """Archive entries, each with what the rules read of its course, standard and certificates
    in the same query: ``course_gives_subsidy``, ``standard_amount`` (None: the city has no
    standard for its occupation and level), ``has_certificate`` (a platform certificate not
    revoked, or a certificate issued elsewhere recorded for it), ``certificate_revoked`` (its
    platform certificate was revoked), ``has_corrections`` (correction records name it:
    ``as_corrected`` applies them) and ``dishonest_until`` (the last day of the person's
    dishonesty record in force today, or None: 我的补贴 says so before a claim is tried)."""
    amount = SubsidyStandard.objects.filter(
        occupation__code=OuterRef("occupation_code"), level=OuterRef("level")
    ).values("amount")[:1]
    valid_certificate = Exists(
        Certificate.objects.filter(entry=OuterRef("pk"), revocation__isnull=True)
    ) | Exists(ExternalCertificate.objects.filter(entry=OuterRef("pk")))
    return entries.annotate(
        course_gives_subsidy=F("course__subsidy_eligible"),
        standard_amount=Subquery(amount),
        has_certificate=ExpressionWrapper(valid_certificate, output_field=BooleanField()),
        certificate_revoked=Exists(
            Certificate.objects.filter(entry=OuterRef("pk"), revocation__isnull=False)
        ),
        has_corrections=Exists(
            LogRecord.objects.filter(kind=Kind.CORRECTION, refers_to=OuterRef("record_id"))
        ),
        dishonest_until=active_record_until(learner_id=OuterRef("learner_id")),
    )


def as_corrected(entries):
    """The entries with their corrections applied (archive.selectors.corrections_apply): one
    query when some entry has corrections, none otherwise. The rules read corrected values."""
    entries = list(entries)
    corrected = [entry for entry in entries if entry.has_corrections]
    if not corrected:
        return entries
    before = {entry.pk: (entry.occupation_code, entry.level) for entry in corrected}
    corrections_apply(corrected)
    # A corrected occupation or level takes the city's standard for what it now says (同类工种、
    # 同一等级、同等补贴): one more query, only when a correction changed either.
    moved = [entry for entry in corrected if (entry.occupation_code, entry.level) != before[entry.pk]]
    if moved:
        wanted = Q()
        for entry in moved:
            wanted |= Q(occupation__code=entry.occupation_code, level=entry.level)
        amounts = {
            (code, level): amount
            for code, level, amount in SubsidyStandard.objects.filter(wanted).values_list(
                "occupation__code", "level", "amount"
            )
        }
        for entry in moved:
            entry.standard_amount = amounts.get((entry.occupation_code, entry.level))
    return entries


def entries_for_rules(learner_id: int) -> QuerySet[ArchiveEntry]:
    """The learner's archive entries with their facts (``with_rule_facts``)."""
    return with_rule_facts(ArchiveEntry.objects.filter(learner_id=learner_id))


def entry_for_rules(learner_id: int, entry_id: int) -> ArchiveEntry | None:
    """One of the learner's entries with its facts, corrected; None if it is not theirs."""
    found = as_corrected(entries_for_rules(learner_id).filter(pk=entry_id)[:1])
    return found[0] if found else None


@dataclass(frozen=True)
class ClaimCounts:
    """The person's claims that were not rejected: for this entry, for its occupation and level,
    and in its completion year."""

    for_entry: int = 0
    same_occupation_level: int = 0
    in_year: int = 0


def open_claim_counts(
    *, learner_id: int, entry_id: int, occupation_code: str, level: str, year: int, exclude_claim_id=None
) -> ClaimCounts:
    """One aggregate query over the person's claims that were not rejected."""
    claims = SubsidyClaim.objects.filter(IS_OPEN, learner_id=learner_id)
    if exclude_claim_id is not None:
        claims = claims.exclude(pk=exclude_claim_id)
    counts = claims.aggregate(
        for_entry=Count("pk", filter=Q(archive_entry_id=entry_id)),
        same=Count("pk", filter=Q(occupation_code=occupation_code, level=level)),
        in_year=Count("pk", filter=Q(completion_year=year)),
    )
    return ClaimCounts(counts["for_entry"], counts["same"], counts["in_year"])


def claim_facts(
    entry: ArchiveEntry, *, target_group: str, counts: ClaimCounts, check_standard=True
) -> ClaimFacts:
    """The facts of ``entry`` (from ``entries_for_rules``) for ``subsidies.rules.refusal``."""
    return ClaimFacts(
        course_gives_subsidy=bool(entry.course_gives_subsidy),
        has_standard=entry.standard_amount is not None or not check_standard,
        certificate_issued=bool(entry.has_certificate),
        certificate_revoked=bool(entry.certificate_revoked) and not entry.has_certificate,
        credited_seconds=float(entry.credited_seconds),
        required_seconds=float(entry.required_hours) * 3600,
        target_group=target_group,
        year=completion_year(entry.completed_at),
        occupation=f"{entry.occupation_code} {entry.occupation_name}",
        level_name=str(Level(entry.level).label) if entry.level in Level.values else entry.level,
        claims_for_entry=counts.for_entry,
        claims_same_occupation_level=counts.same_occupation_level,
        claims_in_year=counts.in_year,
        dishonest_until=getattr(entry, "dishonest_until", None),
    )


# ---------------------------------------------------------------- the learner's 我的补贴


@dataclass
class EntryRow:
    """One training of the learner's archive as 我的补贴 shows it."""

    entry: ArchiveEntry
    claims: list = field(default_factory=list)  # every claim of the entry, newest first
    open_claim: SubsidyClaim | None = None
    refusal: Refusal | None = None  # why a claim would be refused now (None: it can be claimed)

    @property
    def can_claim(self) -> bool:
        return self.open_claim is None and self.refusal is None


def learner_claims(learner_id: int) -> QuerySet[SubsidyClaim]:
    """The learner's claims, newest first, with their training."""
    return SubsidyClaim.objects.filter(learner_id=learner_id).select_related("archive_entry")


def _entry_rows(
    entries: list[ArchiveEntry], claims: list[SubsidyClaim], target_groups: dict
) -> list[EntryRow]:
    """Each entry with its claims and the rules' answer now, from the claims of the entries'
    people (``claims``, newest first) counted in Python: no query per entry."""
    open_claims: dict[int, list[SubsidyClaim]] = {}
    by_entry: dict[int, list[SubsidyClaim]] = {}
    for claim in claims:
        by_entry.setdefault(claim.archive_entry_id, []).append(claim)
        if claim.status != ClaimStatus.REJECTED:
            open_claims.setdefault(claim.learner_id, []).append(claim)
    rows = []
    for entry in entries:
        row = EntryRow(entry=entry, claims=by_entry.get(entry.pk, []))
        row.open_claim = next((c for c in row.claims if c.status != ClaimStatus.REJECTED), None)
        if row.open_claim is None:
            theirs = open_claims.get(entry.learner_id, [])
            year = completion_year(entry.completed_at)
            counts = ClaimCounts(
                for_entry=0,
                same_occupation_level=sum(
                    1 for c in theirs if (c.occupation_code, c.level) == (entry.occupation_code, entry.level)
                ),
                in_year=sum(1 for c in theirs if c.completion_year == year),
            )
            facts = claim_facts(entry, target_group=target_groups[entry.learner_id], counts=counts)
            row.refusal = refusal(facts)
        rows.append(row)
    return rows


def learner_entry_rows(learner: Learner) -> list[EntryRow]:
    """Every entry of the learner's archive with its claims and whether it can be claimed now:
    two queries (the entries with their facts, the claims)."""
    entries = as_corrected(entries_for_rules(learner.pk).order_by("-completed_at", "-pk"))
    claims = list(SubsidyClaim.objects.filter(learner_id=learner.pk).order_by("-submitted_at", "-pk"))
    return _entry_rows(entries, claims, {learner.pk: learner.target_group})


@dataclass
class MemberRow:
    learner: Learner
    name: str  # masked
    row: EntryRow | None  # None: the member has not completed the class's course


def class_claim_rows(training_class) -> list[MemberRow]:
    """The class's members, each with their training of the class's course (if completed), its
    claims and whether it can be claimed now: three queries whatever the class's size."""
    members = list(
        Learner.objects.filter(class_memberships__training_class=training_class)
        .order_by("pk")
        .only("pk", "real_name", "target_group")
    )
    ids = [member.pk for member in members]
    entries = as_corrected(
        with_rule_facts(ArchiveEntry.objects.filter(course_id=training_class.course_id, learner_id__in=ids))
    )
    claims = list(SubsidyClaim.objects.filter(learner_id__in=ids).order_by("-submitted_at", "-pk"))
    rows = {
        row.entry.learner_id: row
        for row in _entry_rows(entries, claims, {m.pk: m.target_group for m in members})
    }
    return [MemberRow(member, mask_name(member.real_name), rows.get(member.pk)) for member in members]


# ---------------------------------------------------------------- review screens


def claims_listed(claims: QuerySet[SubsidyClaim]) -> QuerySet[SubsidyClaim]:
    """Claims with what a list shows in the same query."""
    return claims.select_related("learner", "archive_entry").order_by("submitted_at", "pk")


def evidence_summary(*, learner_id: int, course_id: int) -> dict:
    """What the progress log holds of the learner's study of the course (read through
    ``progress.selectors.event_log``): events received, accepted and rejected, playback
    sessions, the credit their segments added, the first and last study time, and the channels
    (pc, app, wechat) with their accepted events. Two queries."""
    lessons = Lesson.objects.filter(course_id=course_id).values("pk")
    events = event_log(learner_id=learner_id).filter(lesson_ref__in=Subquery(lessons)).order_by()
    totals = events.aggregate(
        events=Count("pk"),
        accepted=Count("pk", filter=Q(status="accepted")),
        rejected=Count("pk", filter=Q(status="rejected")),
        sessions=Count("session", distinct=True),
        credited_seconds=Coalesce(Sum("credited_seconds"), 0.0),
        first_at=Min("client_at"),
        last_at=Max("client_at"),
    )
    channels = list(
        events.filter(status="accepted")
        .values("channel")
        .annotate(events=Count("pk"))
        .order_by("-events", "channel")
    )
    return {**totals, "channels": channels}


@dataclass(frozen=True)
class InsuranceCheck:
    """The cross-check (联网核查) of a claim against the imported social-insurance roster."""

    status: str  # "no_roster" (nothing imported yet), "not_found", "insured"
    employer: str = ""
    insured_since: dt.date | None = None
    roster_imported_at: dt.datetime | None = None
    notes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return {
            "no_roster": _("尚未导入社保名单，无法核查"),
            "not_found": _("社保名单中没有此人"),
            "insured": _("社保名单中有参保记录"),
        }[self.status]


def _same_employer(a: str, b: str) -> bool:
    def norm(text: str) -> str:
        return (
            unicodedata.normalize("NFKC", text or "").replace(" ", "").replace("（", "(").replace("）", ")")
        )

    return norm(a) == norm(b)


def insurance_check(learner: Learner, entry: ArchiveEntry) -> InsuranceCheck:
    """Match the learner (by the keyed hash of their ID number) against the roster and say what
    a reviewer should look at: an unemployed person insured when they trained, an enterprise
    employee who is not insured, an employer that differs from the one they registered."""
    latest = InsuranceImport.objects.order_by("-uploaded_at").values_list("uploaded_at", flat=True).first()
    if latest is None:
        return InsuranceCheck("no_roster")
    record = InsuranceRecord.objects.filter(id_number_hash=learner.id_number_hash).first()
    if record is None:
        notes = ()
        if learner.target_group == TargetGroup.ENTERPRISE_EMPLOYEE:
            notes = (_("登记为企业职工，但社保名单中没有参保记录，请核实人员类别或就业情况。"),)
        return InsuranceCheck("not_found", roster_imported_at=latest, notes=notes)
    notes = []
    completed_on = entry.completed_at.astimezone(CHINA).date()
    if learner.target_group == TargetGroup.UNEMPLOYED and record.insured_since <= completed_on:
        notes.append(
            _("登记为失业人员，但完成培训时已在“%(employer)s”参保，请核实人员类别。")
            % {"employer": record.employer}
        )
    if learner.employer and not _same_employer(learner.employer, record.employer):
        notes.append(
            _("登记的工作单位“%(registered)s”与参保单位“%(insured)s”不一致。")
            % {"registered": learner.employer, "insured": record.employer}
        )
    if record.insured_since > completed_on:
        notes.append(_("参保起始日期在培训完成之后。"))
    return InsuranceCheck(
        "insured",
        employer=record.employer,
        insured_since=record.insured_since,
        roster_imported_at=latest,
        notes=tuple(notes),
    )


def claim_recheck(claim: SubsidyClaim, learner: Learner) -> Refusal | None:
    """The rules applied again to a claim under review, leaving the claim itself out (what the
    approval will check): shown beside the claim so the reviewer sees a refusal coming."""
    if claim.status not in (ClaimStatus.SUBMITTED, ClaimStatus.DISTRICT_APPROVED):
        return None
    entry = entry_for_rules(learner.pk, claim.archive_entry_id)
    counts = open_claim_counts(
        learner_id=learner.pk,
        entry_id=entry.pk,
        occupation_code=entry.occupation_code,
        level=entry.level,
        year=completion_year(entry.completed_at),
        exclude_claim_id=claim.pk,
    )
    facts = claim_facts(entry, target_group=learner.target_group, counts=counts, check_standard=False)
    return refusal(facts)


def claim_for_review(claims: QuerySet[SubsidyClaim], claim_id: int) -> SubsidyClaim | None:
    """The claim with this id among ``claims`` (the user's reach), with its person and training."""
    return (
        claims.select_related("learner", "archive_entry", "archive_entry__certificate")
        .filter(pk=claim_id)
        .first()
    )


def claim_review_context(claim: SubsidyClaim, *, with_insurance: bool) -> dict:
    """Everything the review screen shows beside a claim: the learner (masked), the archive entry
    with credited against required time, the learner's whole archive and other claims, the
    evidence summary, the insurance cross-check, the re-check of the rules and the history."""
    learner = claim.learner
    entry = claim.archive_entry
    archive = list(
        ArchiveEntry.objects.filter(learner_id=learner.pk)
        .select_related("certificate")
        .order_by("-completed_at")
    )
    others = list(
        SubsidyClaim.objects.filter(learner_id=learner.pk)
        .exclude(pk=claim.pk)
        .select_related("archive_entry")
    )
    return {
        "claim": claim,
        "learner": learner,
        "learner_name": mask_name(learner.real_name),
        "entry": entry,
        "certificate": entry.issued_certificate,
        "credited_hours": entry.credited_seconds / 3600,
        "required_hours": float(entry.required_hours),
        "hours_covered": entry.credited_seconds >= float(entry.required_hours) * 3600,
        "archive": archive,
        "other_claims": others,
        "evidence": evidence_summary(learner_id=learner.pk, course_id=entry.course_id),
        "insurance": insurance_check(learner, entry) if with_insurance else None,
        "recheck": claim_recheck(claim, learner),
        "events": list(claim.events.select_related("actor")),
    }


# ---------------------------------------------------------------- the payment export


def approved_claims_rows(*, year: int | None = None) -> Iterator[dict]:
    """Approved claims waiting for payment, oldest approval first, read in chunks (the export
    streams them): plain values, personal data masked by the caller."""
    claims = SubsidyClaim.objects.filter(status=ClaimStatus.APPROVED)
    if year is not None:
        claims = claims.filter(completion_year=year)
    return (
        claims.order_by("bureau_decided_at", "pk")
        .values(
            "pk",
            "amount",
            "completion_year",
            "submitted_at",
            "district_decided_at",
            "bureau_decided_at",
            "occupation_code",
            "level",
            "learner__real_name",
            "learner__id_number",
            "learner__district",
            "learner__target_group",
            "archive_entry__course_title",
            "archive_entry__occupation_name",
            "archive_entry__completed_at",
            "archive_entry__certificate__number",
        )
        .iterator(chunk_size=500)
    )
