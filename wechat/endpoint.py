"""The message endpoint WeChat's servers call (to be written)."""

from django.http import Http404


def message_endpoint(request):
    raise Http404
