"""DRF's token admin listed tokens in plain text; API tokens are knox's now (digests only), and
DRF's table stays empty (api migration 0001). Importing DRF's admin module first makes the order
of admin autodiscovery irrelevant: it registers once, here, and is unregistered at once."""

import rest_framework.authtoken.admin  # noqa: F401
from django.contrib import admin
from rest_framework.authtoken.models import TokenProxy

admin.site.unregister(TokenProxy)
