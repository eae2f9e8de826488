"""The bare baseline: the smallest plain Django view that upserts one progress row per request.

No DRF, no authentication, no event log: it parses ``{"learner": id, "lesson": id, "position": s}``
and runs ``update_or_create`` on ``LessonProgress`` (a transaction with SELECT ... FOR UPDATE and
an UPDATE, or an INSERT the first time). It goes through the same middleware as the real endpoint.
"""

import json

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from progress.models import LessonProgress


@csrf_exempt
@require_POST
def baseline_view(request):
    try:
        data = json.loads(request.body)
        learner_id, lesson_id = int(data["learner"]), int(data["lesson"])
        position = float(data["position"])
    except (ValueError, KeyError, TypeError):
        return HttpResponseBadRequest("expected {learner, lesson, position}")
    progress, _ = LessonProgress.objects.update_or_create(
        learner_id=learner_id,
        lesson_id=lesson_id,
        defaults={"position": position, "position_at": timezone.now(), "last_channel": "pc"},
    )
    return JsonResponse({"lesson": progress.lesson_id, "position": progress.position})


class DrfBaselineView(APIView):
    """The same upsert behind DRF with the project's token authentication: what the framework
    alone costs, so the events endpoint can be compared with it as well as with the bare view."""

    permission_classes = [IsAuthenticated]

    def post(self, request):
        learner = getattr(request.user, "learner", None)
        try:
            lesson_id, position = int(request.data["lesson"]), float(request.data["position"])
        except (ValueError, KeyError, TypeError):
            raise ValidationError({"detail": "expected {lesson, position}"}) from None
        if learner is None:
            raise ValidationError({"detail": "not a learner"})
        progress, _ = LessonProgress.objects.update_or_create(
            learner_id=learner.pk,
            lesson_id=lesson_id,
            defaults={"position": position, "position_at": timezone.now(), "last_channel": "pc"},
        )
        return Response({"lesson": progress.lesson_id, "position": progress.position})
