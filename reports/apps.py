from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class ReportsConfig(AppConfig):
    """统一报表: the bureau's and the districts' quarterly and annual reports against the task
    table and the employment base (docs/reports.md)."""

    name = "reports"
    verbose_name = pgettext_lazy("app", "统一报表")
