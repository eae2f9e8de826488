from django.apps import AppConfig


class ScormConfig(AppConfig):
    name = "scorm"
    verbose_name = "SCORM 课件"
