"""The public page of a catalog. A module of its own: the page renders through the catalogs' read
layer (``catalogs.views`` and ``catalogs.selectors``), which reads the entries (``entries``)."""

from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page

from catalogs.choices import CatalogKind
from catalogs.views import catalog_page_context


class CatalogPage(Page):
    """The public page of one catalog: its published entries in a filterable table.

    One page per kind (``clean`` refuses a second page of a kind, so at most four pages).
    """

    kind = models.CharField(_("目录"), max_length=20, choices=CatalogKind.choices)
    intro = RichTextField(_("说明"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("kind"), FieldPanel("intro")]
    parent_page_types = ["courses.HomePage"]
    subpage_types: ClassVar[list[str]] = []
    max_count = len(CatalogKind)
    per_page = 20

    class Meta:
        verbose_name = pgettext_lazy("model", "目录页面")
        verbose_name_plural = pgettext_lazy("model plural", "目录页面")

    def clean(self):
        super().clean()
        if self.alias_of_id:
            return
        others = CatalogPage.objects.filter(kind=self.kind, alias_of__isnull=True).exclude(pk=self.pk)
        if others.exists():
            raise ValidationError({"kind": _("这个目录已经有页面了。")})

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context.update(catalog_page_context(self, request))
        return context
