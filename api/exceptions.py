"""Every 4xx answer carries a human-readable ``detail`` (contract: Conventions)."""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.csrf import csrf_failure as django_csrf_failure
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.views import exception_handler as drf_exception_handler


def _first_message(errors) -> str:
    """The first message of a (nested) validation error, prefixed with its field name."""
    if isinstance(errors, dict):
        for field, value in errors.items():
            message = _first_message(value)
            return message if field == "non_field_errors" else f"{field}: {message}"
    if isinstance(errors, list) and errors:
        return _first_message(errors[0])
    return str(errors)


logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


class DatabaseUnavailable(APIException):
    """The database connection failed during the request (a dropped connection, a failover, a
    deadlock): the request's transaction was rolled back, so the same request may be sent again
    as it was (the progress events' ids make a resent batch count once)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "database_unavailable"


def exception_handler(exc, context):
    if isinstance(exc, (OperationalError, InterfaceError)):
        logger.error("database unavailable during %s", context["request"].path, exc_info=exc)
        response = drf_exception_handler(
            DatabaseUnavailable(_("数据库暂时不可用，本次请求没有保存。请稍后原样重发。")), context
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if isinstance(exc, RequestDataTooBig):
        # Django's own answer would be its HTML 400 page; an API client is owed JSON.
        exc = PayloadTooLarge(
            _("请求内容过大（上限 %(limit)d 字节），请减少发送的内容。")
            % {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # Django's handler500 answers, without leaking the exception text.
    data = response.data
    if isinstance(data, list) or isinstance(data, dict) and "detail" not in data:
        response.data = {"detail": _first_message(data), "errors": data}
    return response


def json_bad_request(request, exception=None):
    """Django's own 400s (a request it refused before any view: a bad host, a body too large for
    a non-API parser) as JSON on /api/ paths."""
    return JsonResponse(
        {"detail": _("请求无效，请检查请求头和请求体。")},
        status=status.HTTP_400_BAD_REQUEST,
    )


def json_forbidden(request, exception=None):
    return JsonResponse({"detail": _("没有权限进行此操作。")}, status=status.HTTP_403_FORBIDDEN)


def json_not_found(request, exception=None):
    return JsonResponse({"detail": str(NotFound.default_detail)}, status=status.HTTP_404_NOT_FOUND)


def json_server_error(request):
    return JsonResponse({"detail": _("服务器出错，错误已记录。")}, status=500)


def csrf_failure(request, reason=""):
    """Django's CSRF failure, as JSON on /api/ paths (``CSRF_FAILURE_VIEW``)."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": _("CSRF 校验失败：请带上 X-CSRFToken 请求头，或使用令牌认证。")},
            status=status.HTTP_403_FORBIDDEN,
        )
    return django_csrf_failure(request, reason)
