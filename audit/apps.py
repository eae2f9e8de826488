from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class AuditConfig(AppConfig):
    """The audit trail: who viewed a report with personal data, decided or exported what, when."""

    name = "audit"
    verbose_name = pgettext_lazy("app", "审计日志")
