"""Logging filters (config/settings.py, LOGGING)."""

import logging

from django.core.exceptions import PermissionDenied


class ExpectedPermissionDenied(logging.Filter):
    """A page refused to a role that may not open it is expected, not an error: Django logs it
    on ``django.request`` as "Forbidden (Permission denied): <path>" with the exception's
    traceback; this keeps the line and drops the traceback. Other records pass unchanged."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc_info = record.exc_info
        if exc_info and isinstance(exc_info[1], PermissionDenied):
            record.exc_info = None
            record.exc_text = None
        return True
