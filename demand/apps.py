from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class DemandConfig(AppConfig):
    """五单式: 提单 (demand), 列单 (offers), 接单 (institutions take orders), 选单 (choose)."""

    name = "demand"
    verbose_name = pgettext_lazy("app", "培训需求")
