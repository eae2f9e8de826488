from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = pgettext_lazy("app", "培训档案")

    def ready(self):
        # Deferred, Django's idiom: receivers are connected once the apps are ready.
        from archive import receivers  # noqa: F401  (records completions as they happen)
