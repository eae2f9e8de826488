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
