"""The JSON log format (LOG_FORMAT=json; LOGGING in config/settings.py).

python-json-logger's formatter, but without the ``request`` attribute Django puts on its
``django.request`` records: its text (``<WSGIRequest: GET '/path?query'>``) holds the query
string, which may carry tokens or codes. The line keeps the path in its message.
"""

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter


class JsonFormatter(BaseJsonFormatter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request"])
        super().__init__(*args, **kwargs)


def logging_config(*, log_format: str, access_log: bool, level: str) -> dict:
    """Settings LOGGING: every line carries the request id (``common.request_id``), as JSON
    (``log_format`` "json", for a collector) or text; ``access_log`` keeps the one line a
    request of the "access" logger."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": "config.log_format.JsonFormatter",
                "fmt": "%(levelname)s %(name)s %(request_id)s %(message)s",
                "rename_fields": {"levelname": "level", "name": "logger"},
                "timestamp": "time",  # ISO 8601, UTC
            },
            "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": log_format, "filters": ["request_id"]}
        },
        "filters": {
            "request_id": {"()": "common.request_id.RequestIdFilter"},
            # A page refused to a role (PermissionDenied) is one line, without its traceback.
            "expected_403": {"()": "portal.log_filters.ExpectedPermissionDenied"},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "access": {"level": "INFO" if access_log else "WARNING"},
            "django.request": {"filters": ["expected_403"]},
            "django.db.backends": {"level": "INFO"},
            # Wagtail logs every page action and django-tasks every task run at INFO: too chatty.
            "wagtail": {"level": "WARNING"},
            "django_tasks": {"level": "WARNING"},
        },
    }
