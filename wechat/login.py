"""The OAuth web login from inside WeChat, binding, the JS-SDK configuration (to be written)."""

from django.http import Http404


def oauth_start(request):
    raise Http404


def oauth_callback(request):
    raise Http404


def unbind(request):
    raise Http404


def jssdk_config(request):
    raise Http404
