"""What every page's header knows of the user's roles (config/settings.py, TEMPLATES)."""

from functools import cache

from django.urls import reverse

from institutions.roles import Role, roles_of
from portal.homes import home_url, role_links


def navigation(request):
    """``nav_links``: the tools the user's roles open (each a ``url``, a ``label`` and whether it
    is the ``current`` page); ``home_url``: where the user's work starts (``/home/`` sends them
    there too); ``profile_url``: a learner's own profile (empty for other roles). Each is
    computed only by the pages that show it (the header, the error pages), once."""

    @cache
    def links():
        if getattr(request, "user", None) is None:
            return []
        return [
            {"url": link.url, "label": link.label, "current": link.is_current(request.path)}
            for link in role_links(request)
        ]

    @cache
    def home():
        user = getattr(request, "user", None)
        return "/" if user is None else home_url(user)

    @cache
    def profile():
        user = getattr(request, "user", None)
        if user is None or Role.LEARNER not in roles_of(user):
            return ""
        return reverse("me:profile")

    return {"nav_links": links, "home_url": home, "profile_url": profile}
