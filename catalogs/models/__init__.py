"""The four catalogs (四个目录): one Wagtail page per catalog, entries as moderated snippets.

Each catalog kind has its own entry model (sharing the abstract ``CatalogEntry``): the columns
differ by kind, each kind can require its own fields in the database, and Wagtail assigns
moderation workflows per model, so e.g. the institution catalog can get the bureau's review
while the demand catalog gets another. Entries are drafted, submitted, approved and published
one by one (DraftStateMixin + RevisionMixin + WorkflowMixin + LockableMixin); the database row
of a live entry always holds its published content, drafts live in revisions, so "published"
is simply ``live=True``.

Two modules, imported in this order: the entries (``entries``), then the page (``page``), which
renders through the read layer (``catalogs.views`` → ``catalogs.selectors`` → ``entries``). In one
module, the page and the read layer imported each other (a deferred import hid the cycle).
"""

from catalogs.models.entries import (
    ENTRY_MODELS,
    CatalogEntry,
    DemandEntry,
    GeneralEntry,
    GuideEntry,
    InstitutionEntry,
    KeyIndustryEntry,
    OccupationEntry,
    current_year,
)
from catalogs.models.page import CatalogPage

__all__ = [
    "ENTRY_MODELS",
    "CatalogEntry",
    "CatalogPage",
    "DemandEntry",
    "GeneralEntry",
    "GuideEntry",
    "InstitutionEntry",
    "KeyIndustryEntry",
    "OccupationEntry",
    "current_year",  # the entries' default year, named by migration 0001
]
