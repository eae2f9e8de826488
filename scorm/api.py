"""SCORM runtime data API: a learner's saved CMI data for one SCORM lesson, read and saved.

``GET /api/v1/scorm/lessons/{id}/`` and ``PUT`` (also ``POST``, which is what a stock
scorm-again ``lmsCommitUrl`` sends) with ``{"cmi": {...}, "channel": "pc"}``.
"""

import json

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, ParseError, PermissionDenied, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from progress.models import Channel
from scorm import serializers as ss
from scorm.package import limit
from scorm.selectors import attempt_data, learner_attempt, learner_is_enrolled, scorm_lesson
from scorm.services import attempt_save

DEFAULT_MAX_COMMIT_BYTES = 1024 * 1024


class CommitTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


class BoundedJSONParser(JSONParser):
    """JSON with a size cap (``SCORM_MAX_COMMIT_BYTES``, default 1 MiB) read before parsing, and
    a 400 (not a 500) for JSON nested too deeply for the parser."""

    def parse(self, stream, media_type=None, parser_context=None):
        cap = limit("SCORM_MAX_COMMIT_BYTES", DEFAULT_MAX_COMMIT_BYTES)
        raw = stream.read(cap + 1) if stream is not None else b""
        if len(raw) > cap:
            raise CommitTooLarge(_("提交的数据过大（上限 %(limit)d 字节）。") % {"limit": cap})
        encoding = (parser_context or {}).get("encoding") or "utf-8"
        try:
            return json.loads(raw.decode(encoding), parse_constant=json_constant_refused)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(_("JSON 格式错误：%(error)s") % {"error": exc}) from None
        except RecursionError:
            raise ParseError(_("JSON 嵌套过深。")) from None


def json_constant_refused(name: str):
    raise ValueError(f"{name} is not valid JSON")


class ScormRuntimeView(APIView):
    """The learner's saved SCORM runtime data for one lesson (the same on every end)."""

    permission_classes = [IsAuthenticated]
    parser_classes = [BoundedJSONParser]

    def _lesson_for(self, request, lesson_id: int):
        learner = getattr(request.user, "learner", None)
        if learner is None:
            raise PermissionDenied(_("只有注册学员有学习记录。"))
        lesson = scorm_lesson(lesson_id)
        if lesson is None:
            raise NotFound(_("没有这个 SCORM 课时。"))
        if not learner_is_enrolled(learner, lesson):
            raise PermissionDenied(_("未报名此课程。"))
        return learner, lesson

    @extend_schema(
        responses={200: ss.ScormStateSerializer, 403: ss.DetailSerializer, 404: ss.DetailSerializer}
    )
    def get(self, request, lesson_id: int):
        learner, lesson = self._lesson_for(request, lesson_id)
        attempt = learner_attempt(learner, lesson)
        return Response(attempt_data(lesson, lesson.scorm_package, attempt))

    @extend_schema(
        request=ss.ScormCommitSerializer,
        responses={
            200: ss.ScormStateSerializer,
            400: ss.DetailSerializer,
            403: ss.DetailSerializer,
            404: ss.DetailSerializer,
            413: ss.DetailSerializer,
        },
    )
    def put(self, request, lesson_id: int):
        learner, lesson = self._lesson_for(request, lesson_id)
        body = request.data
        if not isinstance(body, dict) or not isinstance(body.get("cmi"), dict):
            raise ValidationError({"detail": _('请求体必须是 {"cmi": {...}}。')})
        channel = body.get("channel", Channel.PC)
        if channel not in Channel.values:
            raise ValidationError({"detail": _("channel 必须是 pc、app 或 wechat。")})
        package = lesson.scorm_package
        # A cmi object that is not valid for the package's version is a 400, and nothing is saved.
        attempt = attempt_save(
            learner=learner, lesson=lesson, version=package.version, cmi=body["cmi"], channel=channel
        )
        return Response(attempt_data(lesson, package, attempt))

    @extend_schema(
        request=ss.ScormCommitSerializer,
        responses={200: ss.ScormStateSerializer, 400: ss.DetailSerializer, 413: ss.DetailSerializer},
        description="The same as PUT, for runtimes that can only POST their commits.",
    )
    def post(self, request, lesson_id: int):
        return self.put(request, lesson_id)
