"""Writes to the catalogs outside the Wagtail admin (the admin's own views do the rest)."""

from django.db import transaction
from wagtail.log_actions import log


@transaction.atomic
def entry_publish(*, entry, user=None):
    """Validate an entry, save it and publish it now, as the admin's "Publish" does: a new
    entry is created as a draft (``wagtail.create``), then a revision (``wagtail.edit``) is
    published (``wagtail.publish``). Raises ValidationError on invalid data."""
    entry.full_clean()
    if entry._state.adding:
        entry.live = False
        entry.save()
        log(entry, "wagtail.create", user=user)
    revision = entry.save_revision(user=user, log_action=True)
    revision.publish(user=user)
    entry.refresh_from_db()
    return entry


@transaction.atomic
def entry_draft_submit(*, entry, user=None):
    """Save an entry's content as a draft revision and, when its catalog has a moderation
    workflow (Settings → Workflows), submit that revision to it; never publish. Editors then
    review and publish it as they do every entry. A new entry is created as a draft
    (``wagtail.create``); a live entry keeps its published content in its row (the change waits
    in the revision, ``has_unpublished_changes``); an entry already in review gets the new
    revision in that review. Raises ValidationError on invalid data."""
    entry.full_clean()
    if entry._state.adding:
        entry.live = False
        entry.save()
        log(entry, "wagtail.create", user=user)
    entry.save_revision(user=user, log_action=True)
    workflow = entry.get_workflow()
    if workflow is not None and not entry.workflow_in_progress:
        workflow.start(entry, user)
    return entry
