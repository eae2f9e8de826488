"""The server-rendered side of a catalog page (its context); the page model calls it."""

from django.core.paginator import Paginator

from catalogs import selectors
from catalogs.forms import CatalogFilterForm


def catalog_page_context(page, request) -> dict:
    """Filter form, the requested page of published entries, and the querystring to keep the
    filters across page links. A fixed number of queries, whatever the number of entries."""
    years = selectors.catalog_years(page.kind)
    form = CatalogFilterForm(request.GET or None, kind=page.kind, years=years)
    entries = selectors.entries_filter(
        selectors.published_entries(page.kind), kind=page.kind, **(form.filters() if form.is_bound else {})
    )
    paginator = Paginator(entries, page.per_page)
    page_obj = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "filter_form": form,
        "entries": page_obj.object_list,
        "page_obj": page_obj,
        "paginator": paginator,
        "filter_query": query.urlencode(),
        "filtered": form.is_bound and bool(form.filters()),
    }
