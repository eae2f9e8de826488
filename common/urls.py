"""The ``id`` path converter: a database id in a URL, at most 18 digits.

Django's ``int`` converter takes any run of digits, and ``/api/v1/courses/99999999999999999999/``
then reached the database as a number no BIGINT can hold (an ``OverflowError``, a 500, on
SQLite; a ``DataError`` on PostgreSQL). An id of 19 digits or more names nothing: with this
converter such a URL simply does not match, a 404. Every URL of the project that takes a
database id uses ``<id:...>``; importing this module registers it (``config/urls.py`` does, before
any ``include``; ``courses.models`` does for its routable page).
"""

from django.urls import register_converter

MAX_ID_DIGITS = 18  # 10**18 - 1 < 2**63 - 1, the largest BIGINT


class DatabaseIdConverter:
    regex = rf"[0-9]{{1,{MAX_ID_DIGITS}}}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(value)


register_converter(DatabaseIdConverter, "id")
