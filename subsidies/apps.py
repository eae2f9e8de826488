from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class SubsidiesConfig(AppConfig):
    name = "subsidies"
    # "补贴申领" alone is one claim (a heading, a field); the app holds them all.
    verbose_name = pgettext_lazy("app", "补贴申领")
