"""HTTP token authentication of the API (the WebSocket's is in ``api.websocket_auth``)."""

import functools

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.crypto import hash_token
from knox.models import AuthToken
from rest_framework import authentication, exceptions

from common.sql import Statement, run, table
from learners.models import Learner  # named exception (.importlinter): the token query joins it


class TokenAuthentication(authentication.TokenAuthentication):
    """Token authentication (``Authorization: Token <token>``) against django-rest-knox's tokens
    (``api.tokens``): the token is looked up by its SHA-512 digest (the table's primary key; the
    plain token is never stored) and refused once expired. Its one query also reads the id of
    the user's learner profile (``request.auth.learner_pk``, None for staff): the events endpoint,
    the platform's busiest, needs it on every request and saves a query.

    The query is plain SQL (``common.sql``'s table helper: the rows become the same model
    instances the ORM would build). Every API request pays for authentication, and compiling the
    ORM's join of token, user and learner cost more CPU than the rest of a heartbeat's framework
    work together (docs/benchmarks.md). Joining the learners' table is why this module imports
    ``learners.models``: one of the API kit's two named exceptions (.importlinter)."""

    def authenticate_credentials(self, key):
        token, user, learner_pk = _token_with_user(key)
        if token is None or (token.expiry is not None and token.expiry <= timezone.now()):
            raise exceptions.AuthenticationFailed(_("认证令牌无效。"))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("用户未激活或者已删除。"))
        token.learner_pk = learner_pk
        return (user, token)


@functools.cache
def _token_query() -> str:
    tokens, users = _tables()
    learner_table = connection.ops.quote_name(Learner._meta.db_table)
    quote = connection.ops.quote_name
    return (
        f"SELECT {tokens.columns}, {users.columns}, {learner_table}.{quote('id')} "  # noqa: S608
        f"FROM {tokens.sql_name} "
        f"INNER JOIN {users.sql_name} ON {users.sql_name}.{quote('id')} = {tokens.sql_name}.{quote('user_id')} "
        f"LEFT OUTER JOIN {learner_table} ON {learner_table}.{quote('user_id')} = {users.sql_name}.{quote('id')} "
        f"WHERE {tokens.sql_name}.{quote('digest')} = %s"
    )


def _tables():
    return table(AuthToken), table(get_user_model())


def _token_with_user(key: str):
    """The token with this key, its user and the user's learner id, in one query; Nones if no
    token has this key."""
    tokens, users = _tables()
    split = len(tokens.fields)

    def read(rows):
        if not rows:
            return None, None, None
        row = rows[0]
        token, user = tokens.instance(row[:split]), users.instance(row[split:-1])
        AuthToken.user.field.set_cached_value(token, user)
        return token, user, row[-1]

    [found] = run([Statement(_token_query(), [hash_token(key)], read)])
    return found
