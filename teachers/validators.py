"""Checks other apps run against the teacher pool."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from common.text import enumeration
from teachers.models import Teacher, TeacherState


def validate_teachers_publishable(teachers: Iterable[Teacher | int]) -> None:
    """Raise ValidationError naming every teacher (instance or id) that is not approved now.

    Reads the states from the database, so an in-memory instance that is stale (approved when
    loaded, suspended since) is still refused. Teachers that no longer exist are refused too.
    """
    ids = {getattr(teacher, "pk", teacher) for teacher in teachers}
    ids.discard(None)
    if not ids:
        return
    found = {t.pk: t for t in Teacher.objects.filter(pk__in=ids).only("id", "name", "state")}
    refused = [
        _("%(name)s（%(state)s）") % {"name": t.name, "state": t.get_state_display()}
        for t in sorted(found.values(), key=lambda t: t.pk)
        if t.state != TeacherState.APPROVED
    ]
    refused += [_("#%(id)d（不存在）") % {"id": pk} for pk in sorted(ids - found.keys())]
    if refused:
        names = enumeration(refused)
        raise ValidationError(
            _("只有审核通过的师资可以关联到已发布的课程，以下师资未通过审核：%(names)s。"),
            code="teacher_not_approved",
            params={"names": names},
        )
