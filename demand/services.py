"""Writes of training demand: a worker's own demand, an enterprise's bulk demand (all its rows
or none), and the status moving forward as offers and classes answer it (``demands_advance``,
called by ``orders``).

**A worker's duplicate.** A worker has at most one open demand (submitted or listed) per
occupation. Stating the same occupation again while one is open answers that open demand, as it
is (the API's 200 instead of 201; its note is not changed): stating a wish twice is not an
error, and counting it twice would inflate the aggregation. Once the demand is matched or
closed, a new one may be stated. The worker's row lock serialises two submissions made at the
same moment (the app and the web); the database's unique constraint is the last line behind it.

The caller decides who may do what (``demand.permissions``); these functions assume an
authorised caller and record the user who submitted.
"""

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from demand.bulk import Row
from demand.models import IS_OPEN, STATUS_ORDER, DemandStatus, TrainingDemand
from institutions.models import Enterprise
from integrity.selectors import active_record_for_enterprise
from learners.models import Learner


def _lock_person(learner_id: int) -> tuple[str, str]:
    """Take the worker's row lock for the rest of the transaction; their district and group."""
    return (
        Learner.objects.select_for_update()
        .filter(pk=learner_id)
        .values_list("district", "target_group")
        .get()
    )


def demand_submit(*, learner_id: int, occupation_id: int, note: str, user) -> tuple[TrainingDemand, bool]:
    """The worker ``learner_id`` states they want training in ``occupation_id`` (提单); the
    demand, and whether it is new (False: their open demand for that occupation, unchanged).
    The worker's district and target group are copied onto it."""
    try:
        with transaction.atomic():
            district, target_group = _lock_person(learner_id)
            existing = _open_demand(learner_id, occupation_id)
            if existing is not None:
                return existing, False
            now = timezone.now()
            demand = TrainingDemand.objects.create(
                learner_id=learner_id,
                occupation_id=occupation_id,
                head_count=1,
                note=note.strip(),
                district=district,
                target_group=target_group,
                submitted_at=now,
                submitted_by=user,
                status_changed_at=now,
            )
            return demand, True
    except IntegrityError:
        # Only a writer that skipped the lock gets here: the database kept the rule.
        existing = _open_demand(learner_id, occupation_id)
        if existing is None:
            raise
        return existing, False


def _open_demand(learner_id: int, occupation_id: int) -> TrainingDemand | None:
    return TrainingDemand.objects.filter(IS_OPEN, learner_id=learner_id, occupation_id=occupation_id).first()


class EnterpriseBarred(PermissionDenied):
    """The enterprise has a dishonesty record (失信记录) in force: it states no demand until it
    ends. A PermissionDenied, so a page that does not catch it answers 403 with the message."""

    def __init__(self, until):
        self.detail = _("本企业有生效中的失信记录（至 %(until)s 止），在此之前不能提交培训需求。") % {
            "until": until.isoformat()
        }
        super().__init__(self.detail)


@transaction.atomic
def enterprise_demands_submit(*, enterprise: Enterprise, rows: list[Row], user) -> list[TrainingDemand]:
    """An enterprise's bulk demand, one row per occupation (``demand.bulk.check_lines``): all
    written in one transaction, or none. The enterprise's district is copied onto each.
    ``EnterpriseBarred`` while the enterprise has a dishonesty record in force."""
    record = active_record_for_enterprise(enterprise.pk)
    if record is not None:
        raise EnterpriseBarred(record.ends_on)
    now = timezone.now()
    demands = [
        TrainingDemand(
            enterprise=enterprise,
            occupation=row.occupation,
            head_count=row.head_count,
            note=row.note,
            district=enterprise.district,
            submitted_at=now,
            submitted_by=user,
            status_changed_at=now,
        )
        for row in rows
    ]
    return TrainingDemand.objects.bulk_create(demands)


def demands_advance(demand_ids, status: str) -> int:
    """Move the demands ``demand_ids`` forward to ``status`` (listed: an offer covers them;
    matched: a class answering them opened; closed), never backwards: a demand already at
    ``status`` or beyond it is left as it is. One UPDATE; the number of demands moved. A status
    that is not a step forward from somewhere (submitted, or an unknown one) is a ValueError."""
    if status not in STATUS_ORDER or status == DemandStatus.SUBMITTED:
        raise ValueError(f"not a status a demand moves forward to: {status!r}")
    ids = list(demand_ids)
    if not ids:
        return 0
    earlier = STATUS_ORDER[: STATUS_ORDER.index(status)]
    return TrainingDemand.objects.filter(pk__in=ids, status__in=earlier).update(
        status=status, status_changed_at=timezone.now()
    )
