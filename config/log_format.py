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
