from django.apps import AppConfig


class ScormConfig(AppConfig):
    name = "scorm"
    verbose_name = "SCORM 课件"

    def ready(self):
        from wagtail.signals import page_published

        from courses.models import CoursePage
        from scorm.signals import course_published

        page_published.connect(course_published, sender=CoursePage, dispatch_uid="scorm_course_published")
