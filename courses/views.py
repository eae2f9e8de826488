"""Site search across the content pool: published courses, published teaching materials and
approved teachers, with Chinese text found inside longer words (courses.search)."""

from django.template.response import TemplateResponse
from wagtail.search.backends import get_search_backend

from courses.search import search_query
from courses.selectors import published_courses
from teachers.selectors import approved_teachers, live_materials

MAX_QUERY = 100
MAX_RESULTS = 30


def search(request):
    text = (request.GET.get("q") or "").strip()[:MAX_QUERY]
    query = search_query(text)
    results = {"courses": [], "materials": [], "teachers": []}
    if query is not None:
        backend = get_search_backend()
        results = {
            "courses": list(published_courses().search(query, operator="and")[:MAX_RESULTS]),
            "materials": list(backend.search(query, live_materials(), operator="and")[:MAX_RESULTS]),
            "teachers": list(backend.search(query, approved_teachers(), operator="and")[:MAX_RESULTS]),
        }
    total = sum(len(items) for items in results.values())
    return TemplateResponse(request, "courses/search.html", {"q": text, **results, "total": total})
