"""Bulk enrolment of a class from a roster: a preview that writes nothing but the parsed upload,
then an all-or-nothing confirmation.

Accounts created here get an unusable password (``set_unusable_password``): nobody, not even
the staff who imported them, knows a password; the learner sets one through "forgot password"
(found by phone or ID number) or signs in through WeChat. Usernames are ``zb`` + the last 4
characters of the ID number (no more than its masked form shows) + 8 random hex characters.
"""

import datetime as dt
import hashlib
import json
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.text import enumeration
from institutions.models import ClassMembership, TrainingClass
from institutions.services import ClassFull, class_member_add
from learners.crypto import blind_index
from learners.models import Enrollment, Learner
from learners.services import learner_register
from rosters.models import RosterUpload
from rosters.parsing import check_rows, read_roster
from rosters.selectors import upload_rows
from vocabulary.identity import normalize_id_number

DEFAULT_UPLOAD_TTL = 2 * 3600


REGISTERED_SINCE_PREVIEW = gettext_lazy(
    "第%(row)d行的身份证号在预览后已被注册；本次未导入任何数据，请重新上传。"
)


class RosterRefused(Exception):
    """The confirmation was refused and nothing was written; ``status``: 400, 409 or 410."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def id_number_hash(number: str) -> str:
    """The look-up hash of an ID number, exactly as ``Learner.objects.with_id_number`` computes
    it, so that a whole roster is looked up in one query instead of one per row."""
    return blind_index(normalize_id_number(number))


def rows_checksum(training_class_id: int, rows: list[dict]) -> str:
    canonical = json.dumps(
        {"class": training_class_id, "rows": rows}, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _annotate(training_class: TrainingClass, rows: list[dict]) -> None:
    """Mark each row new or registered, and already in the class or not (two queries)."""
    by_hash = {id_number_hash(row["id_number"]): row for row in rows if len(row["id_number"]) == 18}
    registered = {
        digest: (pk, real_name)
        for digest, pk, real_name in Learner.objects.filter(id_number_hash__in=list(by_hash)).values_list(
            "id_number_hash", "pk", "real_name"
        )
    }
    in_class = set(
        ClassMembership.objects.filter(
            training_class=training_class, learner_id__in=[pk for pk, _name in registered.values()]
        ).values_list("learner_id", flat=True)
    )
    for row in rows:
        row["new"] = True
        row["already_in_class"] = False
    for digest, row in by_hash.items():
        if digest not in registered:
            continue
        pk, real_name = registered[digest]
        row["new"] = False
        row["already_in_class"] = pk in in_class
        if row["name"] and row["name"] != real_name:
            row["errors"].append(_("该身份证号已注册，但姓名与注册信息不一致，请核对。"))


def roster_uploads_purge() -> int:
    """Delete expired uploads (their rows hold personal data); the number deleted."""
    deleted, _counts = RosterUpload.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted


def roster_preview(
    *, training_class: TrainingClass, uploaded_by, content: bytes, filename: str = ""
) -> RosterUpload:
    """Parse and check a roster; keep its rows for the confirmation. Creates no account, member
    or enrolment. Raises ``RosterFileError`` for a file that cannot be read."""
    rows = check_rows(read_roster(content))
    _annotate(training_class, rows)
    roster_uploads_purge()
    ttl = int(getattr(settings, "ROSTER_UPLOAD_TTL", DEFAULT_UPLOAD_TTL))
    return RosterUpload.objects.create(
        training_class=training_class,
        uploaded_by=uploaded_by,
        filename=(filename or "")[:200],
        payload=json.dumps(rows, ensure_ascii=False),
        checksum=rows_checksum(training_class.pk, rows),
        row_count=len(rows),
        error_count=sum(1 for row in rows if row["errors"]),
        expires_at=timezone.now() + dt.timedelta(seconds=ttl),
    )


def _new_username(id_number: str) -> str:
    return f"zb{id_number[-4:].lower()}{secrets.token_hex(4)}"


def _register(row: dict) -> Learner:
    """Create the account and learner of a roster row, with no usable password."""
    for _attempt in range(3):
        try:
            return learner_register(
                username=_new_username(row["id_number"]),
                password=None,  # create_user() then sets an unusable password
                real_name=row["name"],
                id_number=row["id_number"],
                phone=row["phone"],
                district=row["district"],
                target_group=row["target_group"],
                employer=row["employer"],
            )
        except ValidationError as error:
            if "username" not in getattr(error, "message_dict", {}):
                raise
    raise RosterRefused(_("无法生成用户名，请重试。"), 409)


def roster_confirm(*, upload: RosterUpload, user, checksum: str = "") -> dict:
    """Create the missing learners, add everyone to the class and enrol them in its assigned
    courses, all in one transaction: any failure (a row with an error, an ID number registered
    since the preview) writes nothing. Returns {"created", "added", "enrolled"}."""
    with transaction.atomic():
        upload = RosterUpload.objects.select_for_update().select_related("training_class").get(pk=upload.pk)
        if upload.confirmed_at is not None:
            raise RosterRefused(_("该花名册已导入。"), 409)
        if upload.expires_at < timezone.now():
            raise RosterRefused(_("预览已过期，请重新上传。"), 410)
        rows = upload_rows(upload)
        training_class = upload.training_class
        if rows_checksum(training_class.pk, rows) != upload.checksum or (
            checksum and checksum != upload.checksum
        ):
            raise RosterRefused(_("导入的数据与预览不一致，请重新上传。"))
        bad = [row["row"] for row in rows if row["errors"]]
        if bad:
            listed = enumeration(bad[:10])
            message = (
                _("第%(rows)s等行有错误，请改正后重新上传；本次未导入任何数据。")
                if len(bad) > 10
                else _("第%(rows)s行有错误，请改正后重新上传；本次未导入任何数据。")
            )
            raise RosterRefused(message % {"rows": listed})
        registered = dict(
            Learner.objects.filter(
                id_number_hash__in=[id_number_hash(row["id_number"]) for row in rows]
            ).values_list("id_number_hash", "pk")
        )
        course_ids = list(training_class.assignments.values_list("course_id", flat=True).distinct())
        enrolled_before = Enrollment.objects.filter(
            learner_id__in=list(registered.values()), course_id__in=course_ids
        ).count()
        learner_ids, created, added = [], 0, 0
        for row in rows:
            pk = registered.get(id_number_hash(row["id_number"]))
            if row["new"] and pk is not None:
                raise RosterRefused(REGISTERED_SINCE_PREVIEW % {"row": row["row"]}, 409)
            if not row["new"] and pk is None:
                raise RosterRefused(
                    _("第%(row)d行的学员账号在预览后已不存在；本次未导入任何数据，请重新上传。")
                    % {"row": row["row"]},
                    409,
                )
            if pk is None:
                try:
                    learner = _register(row)
                except ValidationError:
                    raise RosterRefused(REGISTERED_SINCE_PREVIEW % {"row": row["row"]}, 409) from None
                created += 1
            else:
                learner = Learner(pk=pk)
            try:
                _membership, joined = class_member_add(training_class=training_class, learner=learner)
            except ClassFull as error:  # the class's capacity: the whole import is refused
                raise RosterRefused(
                    _("%(reason)s本次未导入任何数据。") % {"reason": error.messages[0]}, 409
                ) from None
            added += int(joined)
            learner_ids.append(learner.pk)
        enrolled_after = Enrollment.objects.filter(
            learner_id__in=learner_ids, course_id__in=course_ids
        ).count()
        result = {"created": created, "added": added, "enrolled": enrolled_after - enrolled_before}
        upload.confirmed_at = timezone.now()
        upload.confirmed_by = user
        upload.payload = ""  # the personal data is no longer needed
        upload.result = result
        upload.save(update_fields=["confirmed_at", "confirmed_by", "payload", "result"])
    return result
