"""The CMI data model as the API sees it: checking a committed ``cmi`` object, pulling the
status fields out of it, and building the data a runtime starts from (so a learner resumes where
they left off, on any end).

The ``cmi`` object is scorm-again's JSON commit format: nested objects, e.g. SCORM 1.2
``{"core": {"lesson_status": "completed", "score": {"raw": "85"}}, "suspend_data": "..."}`` and
SCORM 2004 ``{"completion_status": "completed", "success_status": "passed", "location": "3"}``.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

SUSPEND_DATA_MAX_CHARS = 64000  # SCORM 2004's smallest permitted maximum; generous for 1.2
MAX_DEPTH = 12
MAX_NODES = 20000
MAX_KEY_CHARS = 255
MAX_STRING_CHARS = 64000

LESSON_STATUSES_12 = {"passed", "completed", "failed", "incomplete", "browsed", "not attempted"}
COMPLETION_STATUSES = {"completed", "incomplete", "not attempted", "unknown"}
SUCCESS_STATUSES = {"passed", "failed", "unknown"}


@dataclass(frozen=True)
class CmiSummary:
    lesson_status: str = ""
    completion_status: str = ""
    success_status: str = ""
    score_raw: float | None = None
    score_min: float | None = None
    score_max: float | None = None
    score_scaled: float | None = None

    def is_completed(self) -> bool:
        """The rule that completes the lesson: 1.2 completed/passed; 2004 completed or passed."""
        return (
            self.lesson_status in ("completed", "passed")
            or self.completion_status == "completed"
            or self.success_status == "passed"
        )


def invalid(message: str) -> ValidationError:
    return ValidationError({"detail": message})


def check_shape(cmi) -> None:
    """A JSON object of bounded depth and size, with only string keys and plain values."""
    if not isinstance(cmi, dict):
        raise invalid(_("cmi 必须是 JSON 对象。"))
    nodes = 0
    stack = [(cmi, 1)]
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise invalid(_("cmi 数据项过多（上限 %(limit)d）。") % {"limit": MAX_NODES})
        if depth > MAX_DEPTH:
            raise invalid(_("cmi 嵌套过深（上限 %(limit)d 层）。") % {"limit": MAX_DEPTH})
        if isinstance(value, dict):
            for key, item in value.items():
                if len(key) > MAX_KEY_CHARS:
                    raise invalid(_("cmi 的字段名过长。"))
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            if len(value) > MAX_STRING_CHARS:
                raise invalid(_("cmi 中的文本过长（上限 %(limit)d 字符）。") % {"limit": MAX_STRING_CHARS})
        elif value is not None and not isinstance(value, (bool, int, float)):
            raise invalid(_("cmi 含有不支持的值。"))


def _section(cmi: dict, key: str, where: str) -> dict:
    value = cmi.get(key, {})
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise invalid(_("%(where)s 必须是 JSON 对象。") % {"where": where})
    return value


def _status(section: dict, key: str, allowed: set[str], where: str) -> str:
    value = section.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str) or (value and value not in allowed):
        choices = ", ".join(sorted(allowed))
        raise invalid(_("%(where)s 的值无效（可选：%(choices)s）。") % {"where": where, "choices": choices})
    return value


def _number(section: dict, key: str, where: str) -> float | None:
    value = section.get(key, "")
    if value in ("", None):
        return None
    if isinstance(value, bool):
        raise invalid(_("%(where)s 必须是数字。") % {"where": where})
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise invalid(_("%(where)s 必须是数字。") % {"where": where}) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise invalid(_("%(where)s 必须是有限的数字。") % {"where": where})
    return number


def summarise(version: str, cmi: dict) -> CmiSummary:
    """Check a committed cmi object for the package's version; return its status fields."""
    check_shape(cmi)
    suspend_data = cmi.get("suspend_data", "")
    if suspend_data is not None and not isinstance(suspend_data, str):
        raise invalid(_("cmi.suspend_data 必须是文本。"))
    if suspend_data and len(suspend_data) > SUSPEND_DATA_MAX_CHARS:
        raise invalid(_("cmi.suspend_data 过长（上限 %(limit)d 字符）。") % {"limit": SUSPEND_DATA_MAX_CHARS})
    if version == "1.2":
        core = _section(cmi, "core", "cmi.core")
        score = _section(core, "score", "cmi.core.score")
        return CmiSummary(
            lesson_status=_status(core, "lesson_status", LESSON_STATUSES_12, "cmi.core.lesson_status"),
            score_raw=_number(score, "raw", "cmi.core.score.raw"),
            score_min=_number(score, "min", "cmi.core.score.min"),
            score_max=_number(score, "max", "cmi.core.score.max"),
        )
    score = _section(cmi, "score", "cmi.score")
    scaled = _number(score, "scaled", "cmi.score.scaled")
    if scaled is not None and not -1 <= scaled <= 1:
        raise invalid(_("cmi.score.scaled 必须在 -1 到 1 之间。"))
    return CmiSummary(
        completion_status=_status(cmi, "completion_status", COMPLETION_STATUSES, "cmi.completion_status"),
        success_status=_status(cmi, "success_status", SUCCESS_STATUSES, "cmi.success_status"),
        score_raw=_number(score, "raw", "cmi.score.raw"),
        score_min=_number(score, "min", "cmi.score.min"),
        score_max=_number(score, "max", "cmi.score.max"),
        score_scaled=scaled,
    )


def total_time_carried(version: str, previous: dict, new: dict) -> dict:
    """scorm-again sends total_time only with the final commit: keep the last one we had."""
    new = dict(new)
    if version == "1.2":
        old_core, new_core = previous.get("core") or {}, new.get("core")
        if isinstance(new_core, dict) and "total_time" not in new_core and old_core.get("total_time"):
            new["core"] = {**new_core, "total_time": old_core["total_time"]}
    elif "total_time" not in new and previous.get("total_time"):
        new["total_time"] = previous["total_time"]
    return new


# What a runtime is started from: the learner's saved values that a SCO may read back, and the
# values the LMS sets. Read-only and write-only elements (session_time, exit) are not restored.
RESTORED_12 = {
    "core": ("lesson_location", "lesson_status", "score", "total_time"),
    "": ("suspend_data", "comments", "objectives", "student_preference"),
}
RESTORED_2004 = (
    "location",
    "completion_status",
    "success_status",
    "score",
    "progress_measure",
    "total_time",
    "suspend_data",
    "objectives",
    "interactions",
    "comments_from_learner",
    "learner_preference",
)


def _pick(source: dict, keys) -> dict:
    return {key: source[key] for key in keys if source.get(key) not in (None, "", {}, [])}


def launch_cmi(*, version: str, saved: dict | None, learner_id: str, learner_name: str, package) -> dict:
    """The cmi object the runtime is loaded with before the SCO starts."""
    saved = saved or {}
    if version == "1.2":
        saved_core = saved.get("core") if isinstance(saved.get("core"), dict) else {}
        core = _pick(saved_core, RESTORED_12["core"])
        suspended = saved_core.get("exit") == "suspend"
        core.update(
            student_id=learner_id,
            student_name=learner_name,
            credit="credit",
            lesson_mode="normal",
            entry="resume" if suspended else ("" if saved else "ab-initio"),
        )
        cmi = {"core": core, **_pick(saved, RESTORED_12[""])}
        if package.launch_data:
            cmi["launch_data"] = package.launch_data
        if package.mastery_score:
            cmi["student_data"] = {"mastery_score": package.mastery_score}
        return cmi
    cmi = _pick(saved, RESTORED_2004)
    suspended = saved.get("exit") == "suspend"
    cmi.update(
        learner_id=learner_id,
        learner_name=learner_name,
        credit="credit",
        mode="normal",
        entry="resume" if suspended else ("" if saved else "ab-initio"),
    )
    if package.launch_data:
        cmi["launch_data"] = package.launch_data
    return cmi
