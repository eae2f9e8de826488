"""A simulator of the official account, for development (to be written)."""

from django.http import Http404


def page(request):
    raise Http404
