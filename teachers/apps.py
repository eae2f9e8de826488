from django.apps import AppConfig


class TeachersConfig(AppConfig):
    name = "teachers"
    verbose_name = "师资与教材 Teachers and materials"
