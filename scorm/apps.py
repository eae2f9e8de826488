from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from wagtail.signals import page_published

from courses.media import package_validator_register
from scorm.package import validate_package


class ScormConfig(AppConfig):
    name = "scorm"
    verbose_name = _("SCORM 课件")

    def ready(self):
        # A SCORM lesson's zip is checked when the lesson is saved (courses.media).
        package_validator_register("scorm", validate_package)
        # Deferred, Django's idiom: models and receivers are imported once the apps are ready.
        from courses.models import CoursePage
        from scorm.signals import course_published

        page_published.connect(course_published, sender=CoursePage, dispatch_uid="scorm_course_published")
