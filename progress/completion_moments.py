"""When a lesson or a course completed (docs/archive.md, "The completion date that counts"):
the moments the crediting batch (``progress.crediting.Batch``) dates completions by, and the
recording of the courses a batch completes. A mixin of ``Batch``, reading its state (``now``,
``learner``, ``spans``, ``saved_progress``, ``saved_spans``, ``course_gains``, ``days``,
``course_candidates``, ``lessons``, ``outcome``); private to progress like the engine."""

import datetime as dt

from django.db.models import Max

from progress.completion import CourseStanding, course_completion_record, course_standing
from progress.facts import LessonInfo
from progress.models import CreditedSpan, LessonProgress


class CompletionMoments:
    def _lesson_moment(self, lesson: LessonInfo, progress: LessonProgress, at: dt.datetime) -> dt.datetime:
        """When the lesson completed: ``at``, the end (client time) of the segment whose credit
        reached its minimum — but not before the credit saved earlier, if the lesson needed it
        (all of it was earned by the lesson's latest saved event), nor before its own rule was
        met (a package's status, a passed quiz); never after this batch arrived."""
        moment = at
        saved_seconds, saved_until = self.saved_progress.get(lesson.id, (0.0, None))
        if (
            saved_seconds > 0
            and saved_until is not None
            and progress.credited_seconds - saved_seconds < lesson.minimum - 1e-6
        ):
            moment = max(moment, saved_until)
        if progress.content_completed_at is not None:
            moment = max(moment, progress.content_completed_at)
        return min(moment, self.now)

    def _course_moment(self, course_id: int, standing: CourseStanding) -> dt.datetime:
        """When the course completed: the first moment (client time) at which every required
        lesson was completed and the credited time reached the required hours. Two reads, only
        for a course whose rule is met: its required lessons' latest completion (this batch's
        were just written, at their own moments) and its credited spans (when the credit saved
        before this batch was earned: by the end of its span). This batch's credit counts at the
        end of the segment that added it. Bounded to this batch: never before the first credit
        it added to the course (a course whose rule was met before, because its hours were
        lowered, say, completes with that credit), never after it arrived."""
        learner_id = self.learner.pk
        gains = self.course_gains.get(course_id) or [(self.now, 0.0)]
        lessons_done = LessonProgress.objects.filter(
            learner_id=learner_id, lesson__course_id=course_id, lesson__required=True
        ).aggregate(at=Max("completed_at"))["at"]
        read = {span.pk for span in self.spans if span.pk}
        credits = list(gains)
        rows = CreditedSpan.objects.filter(
            learner_id=learner_id, lesson__course_id=course_id, credited_seconds__gt=0
        ).values_list("pk", "day", "ended_at", "credited_seconds")
        for pk, day, ended_at, seconds in rows:
            if pk in self.saved_spans:  # extended by this batch: what it held before
                ended_at, seconds = self.saved_spans[pk]
            elif pk not in read and day in self.days:  # written by this batch: in ``gains``
                continue
            if seconds > 0:
                credits.append((ended_at, seconds))
        credits.sort(key=lambda credit: credit[0])
        # Credit that no span records (from before spans were kept, or seeded) counts as earned first.
        credited = standing.credited_seconds - sum(seconds for _, seconds in credits)
        hours_reached = None
        for at, seconds in credits:
            if credited >= standing.required_seconds - 1e-6:
                break
            credited += seconds
            hours_reached = at
        moments = [moment for moment in (lessons_done, hours_reached) if moment is not None]
        return min(max([*moments, min(at for at, _ in gains)]), self.now)

    def _complete_courses(self) -> None:
        """Record the completion of each course whose rule may now be met (a lesson completed, or
        more time credited once its required lessons were). Runs after ``_save``, so the shared
        rule reads this batch's progress from the database. The completion is dated when the
        learner met the rule (``_course_moment``), not when the batch arrived."""
        completed = {info.course_id for info in self.lessons.values() if info.course_completed}
        for course_id in sorted(self.course_candidates - completed):
            standing = course_standing(learner=self.learner, course_id=course_id)
            if standing.met and course_completion_record(
                learner=self.learner,
                course_id=course_id,
                completed_at=self._course_moment(course_id, standing),
            ):
                self.outcome.completed_courses.append(course_id)
