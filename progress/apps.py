from django.apps import AppConfig


class ProgressConfig(AppConfig):
    name = "progress"
    verbose_name = "学习进度 Progress"

    def ready(self):
        from progress import facts  # noqa: F401  (connects the cache invalidation receivers)
