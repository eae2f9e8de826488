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
