"""Writes of the institutions' evaluation: a learner's rating of a course they completed, and the
bureau's decisions on institutions (with what a removal does to the 培训机构目录).

The caller decides who may do what (``evaluation.permissions``); these functions assume an
authorised caller. Their refusals are exceptions a view turns into a 400 naming the field
(``RatingInvalid``, ``DecisionInvalid``), a 403 (``NotCompleted``) or a 409 (``RatingFinal``).
"""

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.actions.unpublish import UnpublishAction

from catalogs.models import InstitutionEntry
from evaluation import selectors
from evaluation.models import (
    COMMENT_MAX_LENGTH,
    REASON_MAX_LENGTH,
    STARS,
    CourseRating,
    DecisionKind,
    EvaluationDecision,
)
from institutions.models import Institution


class FieldError(ValueError):
    """A value refused, with the field it belongs to (a 400 naming it)."""

    def __init__(self, field: str, detail: str):
        self.field = field
        self.detail = detail
        super().__init__(detail)


class RatingInvalid(FieldError):
    pass


class DecisionInvalid(FieldError):
    pass


class NotCompleted(Exception):
    """The learner has not completed the course (no archive entry for it): a 403."""

    def __init__(self):
        self.detail = _("只能评价已结业的课程。")
        super().__init__(self.detail)


class RatingFinal(Exception):
    """The rating is older than the days it may be changed in: a 409, code ``rating_final``."""

    code = "rating_final"

    def __init__(self, days: int):
        self.detail = _("评价提交 %(days)d 天后不能再修改。") % {"days": days}
        super().__init__(self.detail)


def _control_free(text: str) -> str:
    """The text with control characters (line breaks aside) removed."""
    return "".join(ch for ch in text if ch in "\n" or ch >= " " and ch != "\x7f")


def rating_clean(stars, comment) -> tuple[int, str]:
    """The stars (an integer 1–5) and the comment (trimmed, at most 200 characters), or
    ``RatingInvalid`` naming the field."""
    if isinstance(stars, bool) or not isinstance(stars, int):
        try:
            stars = int(str(stars).strip())
        except (TypeError, ValueError):
            raise RatingInvalid("stars", _("评分应为 1 到 5 之间的整数。")) from None
    if not STARS[0] <= stars <= STARS[1]:
        raise RatingInvalid("stars", _("评分应为 1 到 5 之间的整数。"))
    if comment is None:
        comment = ""
    if not isinstance(comment, str):
        raise RatingInvalid("comment", _("评价应为文字。"))
    comment = _control_free(comment).strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise RatingInvalid(
            "comment",
            _("评价最多 %(limit)d 个字（现有 %(n)d 个）。")
            % {"limit": COMMENT_MAX_LENGTH, "n": len(comment)},
        )
    return stars, comment


def rating_submit(*, learner_id: int, course_id: int, stars, comment="") -> tuple[CourseRating, bool]:
    """Rate a course the learner completed, or change their rating of it within the edit window.
    Returns the rating and whether it was created. The institution is that of the class the
    learner studied the course in, taken when the rating is first given."""
    stars, comment = rating_clean(stars, comment)
    if not selectors.has_completed(learner_id, course_id):
        raise NotCompleted()
    now = timezone.now()
    with transaction.atomic():
        rating = (
            CourseRating.objects.select_for_update()
            .filter(learner_id=learner_id, course_id=course_id)
            .first()
        )
        if rating is None:
            training_class = selectors.class_studied_in(learner_id, course_id)
            try:
                with transaction.atomic():
                    rating = CourseRating.objects.create(
                        learner_id=learner_id,
                        course_id=course_id,
                        training_class=training_class,
                        institution_id=training_class.institution_id if training_class else None,
                        stars=stars,
                        comment=comment,
                        created_at=now,
                        updated_at=now,
                    )
                return rating, True
            except IntegrityError:
                # The same learner rated the same course at the same moment: change that one.
                rating = CourseRating.objects.select_for_update().get(
                    learner_id=learner_id, course_id=course_id
                )
        if not selectors.rating_editable(rating, now):
            raise RatingFinal(settings.EVALUATION_RATING_EDIT_DAYS)
        rating.stars, rating.comment, rating.updated_at = stars, comment, now
        rating.save(update_fields=["stars", "comment", "updated_at"])
    return rating, False


# ---------------------------------------------------------------- decisions


def decision_clean(*, kind, reason, until, on: dt.date) -> tuple[str, str, dt.date | None]:
    """The decision's kind, its reason (required, trimmed) and ``until`` (a suspension's last
    day, not in the past; nothing for the other kinds), or ``DecisionInvalid`` naming the field."""
    if kind not in DecisionKind.values:
        raise DecisionInvalid("kind", _("请选择处理决定。"))
    reason = _control_free(reason or "").strip()
    if not reason:
        raise DecisionInvalid("reason", _("请填写理由，培训机构会看到它。"))
    if len(reason) > REASON_MAX_LENGTH:
        raise DecisionInvalid("reason", _("理由最多 %(limit)d 个字。") % {"limit": REASON_MAX_LENGTH})
    if until is not None:
        if kind != DecisionKind.SUSPENSION:
            raise DecisionInvalid("until", _("只有暂停接单可以设定期限。"))
        if until < on:
            raise DecisionInvalid("until", _("暂停期限不能早于今天。"))
    return kind, reason, until


@transaction.atomic
def decision_record(
    *, institution: Institution, year: int, kind: str, reason: str, user, until: dt.date | None = None
) -> EvaluationDecision:
    """Record the bureau's decision (append-only). A removal also unpublishes the institution's
    live entries in the 培训机构目录 of the decision's year and later (``remove_from_directory``).
    Institutions stay active: their staff keep seeing their classes and the decision."""
    kind, reason, until = decision_clean(kind=kind, reason=reason, until=until, on=selectors.today())
    decision = EvaluationDecision.objects.create(
        institution=institution, year=year, kind=kind, reason=reason, until=until, decided_by=user
    )
    if kind == DecisionKind.REMOVAL:
        remove_from_directory(institution=institution, from_year=year, user=user)
    return decision


def remove_from_directory(*, institution: Institution, from_year: int, user) -> list[InstitutionEntry]:
    """Unpublish the institution's live 培训机构目录 entries (matched by its unified social credit
    code) of ``from_year`` and later, through Wagtail's unpublish action (logged as the user's
    ``wagtail.unpublish``); a review in progress on such an entry is cancelled, so that its
    approval does not publish it again. The bureau's decision is the authority here, not the
    CMS's publish permission (the Bureau group only reads the CMS). Earlier years' catalogs stay
    as they were published. Lifting a removal publishes nothing: editors publish the entry again
    through the review workflow."""
    entries = list(
        InstitutionEntry.objects.filter(credit_code=institution.credit_code, year__gte=from_year, live=True)
    )
    for entry in entries:
        state = entry.current_workflow_state
        if state is not None:
            state.cancel(user=user)
        UnpublishAction(entry, user=user).execute(skip_permission_checks=True)
    return entries
