from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class OrdersConfig(AppConfig):
    """五单式 列单 (the bureau's offers), 接单 (institutions apply to run them, districts approve)
    and 选单 (workers choose the classes that answer them)."""

    name = "orders"
    verbose_name = pgettext_lazy("app", "培训订单")
