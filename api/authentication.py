"""API authentication."""

from django.db.models import F
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication (``Authorization: Token <key>``), whose one query also reads the
    id of the user's learner profile (``request.auth.learner_pk``, None for staff): the events
    endpoint, the platform's busiest, needs it on every request and saves a query."""

    def authenticate_credentials(self, key):
        token = (
            self.get_model()
            .objects.select_related("user")
            .annotate(learner_pk=F("user__learner__id"))
            .filter(key=key)
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)
