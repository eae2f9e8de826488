"""drf-spectacular hooks of the API v1 schema (``SPECTACULAR_SETTINGS`` in config/settings.py)."""

DETAIL = {"$ref": "#/components/schemas/Detail"}
SAFE_METHODS = {"get", "head", "options"}
METHODS = SAFE_METHODS | {"post", "put", "patch", "delete"}

# The errors an operation can answer, each a JSON ``Detail`` ({"detail": …}, with ``errors`` by
# field on a 400), and when: derived from what the operation documents (parameters, body,
# security) and from its view (throttles).
ERROR_RESPONSES = {
    "400": "请求有误：参数或请求体不合要求（errors 按字段说明）。"
    "Bad request: a parameter or the body is invalid (`errors` names the fields).",
    "401": "未登录，或凭据无效、已过期。Not signed in, or the credentials are invalid or expired.",
    "403": "无权进行此操作，或会话请求缺少 CSRF 令牌。Not allowed, or a session request without its CSRF token.",
    "404": "不存在或不在你的可见范围内，或页码超出范围。Not found or not visible to you, or a page past the last.",
    "413": "请求体过大。The body is too large.",
    "415": "不支持这种请求体类型。The body's media type is not supported.",
    "429": "请求过于频繁，请稍后再试（见 Retry-After）。Too many requests; try again later (see Retry-After).",
}
# Set on the schema by document_error_responses: every status an operation answers is documented,
# so a client (and the fuzzer, tests/fuzz/run.py) may hold the API to it.
ERRORS_DOCUMENTED = "x-error-responses-documented"


def only_api_v1(endpoints, **kwargs):
    """drf-spectacular preprocessing hook: the schema documents the client API v1 only, not
    Wagtail's internal admin API."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]


def error_statuses(operation: dict, method: str, view=None) -> set[str]:
    """The error statuses an operation can answer besides those it declares itself."""
    parameters = operation.get("parameters", [])
    locations = {parameter.get("in") for parameter in parameters}
    security = operation.get("security", [])
    has_body = "requestBody" in operation
    statuses = set()
    if has_body or "query" in locations:
        statuses.add("400")
    if any(requirement for requirement in security):  # token or session: a bad token is a 401
        statuses.add("401")
    if (security and {} not in security) or method not in SAFE_METHODS:  # permissions, CSRF
        statuses.add("403")
    if "path" in locations or any(parameter.get("name") == "page" for parameter in parameters):
        statuses.add("404")
    if has_body:
        statuses |= {"413", "415"}
    if view is not None and getattr(view, "throttle_classes", None):
        statuses.add("429")
    return statuses


def document_error_responses(result, generator, request, public, **kwargs):
    """drf-spectacular postprocessing hook: every operation documents the errors it can answer
    (400, 401, 403, 404, 413, 415, 429 as they apply), each with the JSON ``Detail`` body every
    /api/ error has. A client generator then knows every answer's shape, and a status or content
    type the schema does not list is a bug (the fuzzer checks both)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(
        "Detail",
        {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]},
    )
    views = {
        (path, method.lower()): getattr(callback, "cls", None)
        for path, _regex, method, callback in (getattr(generator, "endpoints", None) or [])
    }
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status in sorted(error_statuses(operation, method, views.get((path, method)))):
                responses.setdefault(
                    status,
                    {
                        "content": {"application/json": {"schema": DETAIL}},
                        "description": ERROR_RESPONSES[status],
                    },
                )
    result[ERRORS_DOCUMENTED] = True
    return result
