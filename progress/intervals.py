"""Sets of media intervals, kept as sorted, disjoint, merged ``[start, end]`` pairs.

Credited study time is the total length of the union of credited intervals, so watching a part
twice credits it once. These are pure functions; the progress service stores their results.
"""

Interval = tuple[float, float]


def merge(intervals: list[Interval]) -> list[Interval]:
    """Union of intervals, sorted and merged (touching intervals join)."""
    merged: list[list[float]] = []
    for start, end in sorted((min(a, b), max(a, b)) for a, b in intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def total(intervals: list[Interval]) -> float:
    return sum(end - start for start, end in intervals)


def uncovered(intervals: list[Interval], start: float, end: float) -> list[Interval]:
    """The parts of ``[start, end]`` not yet in ``intervals`` (which must be merged), in order."""
    gaps: list[Interval] = []
    cursor = start
    for a, b in intervals:
        if b <= cursor:
            continue
        if a >= end:
            break
        if a > cursor:
            gaps.append((cursor, min(a, end)))
        cursor = max(cursor, b)
        if cursor >= end:
            break
    if cursor < end:
        gaps.append((cursor, end))
    return gaps


def add(
    intervals: list[Interval], start: float, end: float, limit: float | None = None
) -> tuple[list[Interval], float]:
    """Add ``[start, end]``; return the new merged set and the new length gained.

    With ``limit``, at most that much new length is added: the uncovered parts are taken in
    media order until the limit is spent (used for the daily cap).
    """
    if end <= start:
        return intervals, 0.0
    gained = 0.0
    pieces: list[Interval] = []
    for a, b in uncovered(intervals, start, end):
        length = b - a
        if limit is not None and gained + length > limit:
            b = a + max(0.0, limit - gained)
            length = b - a
        if length > 0:
            pieces.append((a, b))
            gained += length
        if limit is not None and gained >= limit:
            break
    if not pieces:
        return intervals, 0.0
    return merge(list(intervals) + pieces), gained
