"""API tokens: django-rest-knox's, issued at login and registration.

Stored as SHA-512 digests (knox): a database dump or the admin shows no usable token. They
expire after ``API_TOKEN_TTL_DAYS`` (30): the app then logs in again. A login issues a new token
and removes the user's expired ones, so a user has a handful at most.
"""

from django.utils import timezone
from knox.models import AuthToken


def token_issue(user) -> str:
    """A new token for ``user`` (the plain string, shown once: only its digest is stored)."""
    AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    _instance, token = AuthToken.objects.create(user=user)
    return token
