from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class IntegrityConfig(AppConfig):
    """Fraud signals and their review (检测与复核) and dishonesty records (失信记录):
    docs/integrity.md."""

    name = "integrity"
    verbose_name = pgettext_lazy("app", "诚信监管")
