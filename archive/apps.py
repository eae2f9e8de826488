from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = "培训档案 Training archive"

    def ready(self):
        # Deferred, Django's idiom: receivers are connected once the apps are ready.
        from archive import receivers  # noqa: F401  (records completions as they happen)
