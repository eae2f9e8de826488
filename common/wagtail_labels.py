"""Wagtail texts made in the request's language.

Some of Wagtail's labels are translated when their object is made: the "Updated" and "Status"
listing columns (``gettext()`` in their constructors) and a snippet chooser's "Choose …" buttons
(formatted in the widget's constructor). A viewset's ``list_display`` and a form's widgets are made
once per process, so these labels would stay in the language of whoever came first (Chinese on
an English screen, or the reverse). These make them lazily instead, with Wagtail's own messages
(held in variables, so that makemessages leaves them to Wagtail's catalog)."""

from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy
from wagtail.admin.ui.tables import LiveStatusTagColumn, UpdatedAtColumn
from wagtail.snippets.widgets import AdminSnippetChooser

WAGTAIL_UPDATED = "Updated"
WAGTAIL_STATUS = "Status"
WAGTAIL_CHOOSE = "Choose %(object)s"
WAGTAIL_CHOOSE_ANOTHER = "Choose another %(object)s"
WAGTAIL_EDIT_THIS = "Edit this %(object)s"


def updated_column() -> UpdatedAtColumn:
    return UpdatedAtColumn(label=gettext_lazy(WAGTAIL_UPDATED))


def live_status_column() -> LiveStatusTagColumn:
    return LiveStatusTagColumn(label=gettext_lazy(WAGTAIL_STATUS))


def _formatted(message: str, name) -> str:
    return gettext(message) % {"object": name}


formatted_lazy = lazy(_formatted, str)


class LazyAdminSnippetChooser(AdminSnippetChooser):
    """Wagtail's snippet chooser, its buttons named in the language of each request."""

    def __init__(self, model=None, **kwargs):
        super().__init__(model=model, **kwargs)
        name = self.model._meta.verbose_name
        self.choose_one_text = formatted_lazy(WAGTAIL_CHOOSE, name)
        self.choose_another_text = formatted_lazy(WAGTAIL_CHOOSE_ANOTHER, name)
        self.link_to_chosen_text = formatted_lazy(WAGTAIL_EDIT_THIS, name)
