from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class EvaluationConfig(AppConfig):
    """Institutions' evaluation and exit (评估和退出机制): ratings, yearly scorecards, decisions."""

    name = "evaluation"
    verbose_name = pgettext_lazy("app", "机构评估")
