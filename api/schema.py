def only_api_v1(endpoints, **kwargs):
    """drf-spectacular preprocessing hook: the schema documents the client API v1 only, not
    Wagtail's internal admin API."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]
