"""Site search across the content pool (courses; materials and teachers join as they are published)."""

from django.core.paginator import Paginator
from django.template.response import TemplateResponse

from courses.search import search_query
from courses.selectors import published_courses

MAX_QUERY = 100


def search(request):
    text = (request.GET.get("q") or "").strip()[:MAX_QUERY]
    query = search_query(text)
    results = []
    if query is not None:
        results = list(published_courses().search(query, operator="and")[:50])
    page = Paginator(results, 20).get_page(request.GET.get("page"))
    return TemplateResponse(
        request, "courses/search.html", {"q": text, "results": page, "total": len(results)}
    )
