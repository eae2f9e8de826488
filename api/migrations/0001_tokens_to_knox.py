"""API tokens move from DRF's table (keys in plain text, never expiring) to django-rest-knox's
(SHA-512 digests, expiring): every existing token is carried over as its digest, so apps that are
logged in stay logged in, with the usual lifetime from today, and DRF's table is emptied."""

import datetime as dt

from django.conf import settings
from django.db import migrations
from django.utils import timezone


def tokens_to_knox(apps, schema_editor):
    from knox.crypto import hash_token
    from knox.settings import CONSTANTS

    DrfToken = apps.get_model("authtoken", "Token")
    KnoxToken = apps.get_model("knox", "AuthToken")
    expiry = timezone.now() + dt.timedelta(days=settings.API_TOKEN_TTL_DAYS)
    KnoxToken.objects.bulk_create(
        [
            KnoxToken(
                digest=hash_token(token.key),
                token_key=token.key[: CONSTANTS.TOKEN_KEY_LENGTH],
                user_id=token.user_id,
                expiry=expiry,
            )
            for token in DrfToken.objects.all()
        ],
        ignore_conflicts=True,
    )
    DrfToken.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("authtoken", "0004_alter_tokenproxy_options"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [migrations.RunPython(tokens_to_knox, migrations.RunPython.noop)]
