from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class OpsConfig(AppConfig):
    """Operations pages for the bureau's operators: the background tasks (docs/operations.md,
    "Background work")."""

    name = "ops"
    verbose_name = pgettext_lazy("app", "运维")

    def ready(self):
        # Connects the retry of failed attempts (a task_finished receiver) in every process,
        # the worker included, before its first task.
        import common.background  # noqa: F401
