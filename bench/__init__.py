"""Load benchmark of POST /api/v1/progress/events/ (see docs/benchmarks.md). Not imported by the app."""
