"""Summary of one ``bench/scale.sh`` run, as Markdown: reads its BENCH (wrk), WS
(bench/scale_ws.py), PROCS (bench/scale_procs.py) and SERVER (bench/setup_data.py reset) lines.

    .venv/bin/python bench/scale_report.py RESULTS_FILE

Needs no Django. Labels: ``heartbeat-<N>w`` (heartbeats only), ``evening-<N>w-events`` /
``-pages`` / ``-uploads`` and ``evening-<N>w`` (WebSockets, processes) for N gunicorn workers.
"""

import json
import re
import sys
from pathlib import Path

SPEEDUP_TARGET = 1.7
P99_TARGET_MS = 200.0
ROLES = ("gunicorn", "daphne", "nginx", "postgres", "redis", "s3", "worker", "wrk", "ws_client")


def read(path: Path) -> tuple[dict, dict, dict, dict]:
    bench, ws, procs, tables = {}, {}, {}, {}
    for line in path.read_text().splitlines():
        kind, _, payload = line.partition(" ")
        if kind in ("BENCH", "WS", "PROCS", "TABLE"):
            data = json.loads(payload)
            {"BENCH": bench, "WS": ws, "PROCS": procs, "TABLE": tables}[kind][data["label"]] = data
    return bench, ws, procs, tables


def errors(run: dict) -> int:
    return run["non200"] + run["socket_errors"] + run.get("rejected", 0)


def ok_requests(run: dict) -> int:
    return run["requests"] - run["non200"]


def workers_of(label: str) -> int:
    return int(re.search(r"-(\d+)w", label).group(1))


def cpu_ms(procs: dict, role: str, requests: int) -> str:
    role_data = procs.get("roles", {}).get(role)
    if not role_data or not requests:
        return "–"
    return f"{1000 * role_data['cpu_s'] / requests:.1f}"


def heartbeat_table(bench: dict, procs: dict) -> list[str]:
    runs = sorted((label for label in bench if label.startswith("heartbeat-")), key=workers_of)
    if not runs:
        return []
    first = bench[runs[0]]["rps"]
    lines = [
        "### Heartbeats only, through nginx",
        "",
        "| gunicorn workers | heartbeats/s | × 1 worker | p50 ms | p99 ms | errors "
        "| CPU ms per heartbeat: gunicorn / PostgreSQL / nginx / wrk | cores used: gunicorn / machine |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for label in runs:
        run, p = bench[label], procs.get(label, {})
        n = ok_requests(run)
        roles = p.get("roles", {})
        lines.append(
            f"| {workers_of(label)} | {run['rps']:,.0f} | {run['rps'] / first:.2f} | {run['p50_ms']:.0f} "
            f"| {run['p99_ms']:.0f} | {errors(run)} "
            f"| {cpu_ms(p, 'gunicorn', n)} / {cpu_ms(p, 'postgres', n)} / {cpu_ms(p, 'nginx', n)} / "
            f"{cpu_ms(p, 'wrk', n)} | {roles.get('gunicorn', {}).get('cores', '–')} / {p.get('machine_cores', '–')} |"
        )
    if len(runs) > 1:
        ratio = bench[runs[-1]]["rps"] / first
        worst_p99 = max(bench[label]["p99_ms"] for label in runs)
        total_errors = sum(errors(bench[label]) for label in runs)
        met = ratio >= SPEEDUP_TARGET and worst_p99 < P99_TARGET_MS and total_errors == 0
        lines += [
            "",
            f"Target: {workers_of(runs[-1])} workers ≥ {SPEEDUP_TARGET}× 1 worker, p99 < {P99_TARGET_MS:.0f} ms, "
            f"0 errors → measured {ratio:.2f}×, worst p99 {worst_p99:.0f} ms, {total_errors} errors: "
            f"**{'met' if met else 'not met'}**.",
        ]
    return lines + [""]


def evening_table(bench: dict, ws: dict, procs: dict) -> list[str]:
    evenings = sorted({workers_of(label) for label in bench if label.startswith("evening-")})
    if not evenings:
        return []
    lines = [
        "### The evening, all at once",
        "",
        "| gunicorn workers | stream | requests/s | p50 ms | p99 ms | errors | notes |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for n in evenings:
        events = bench.get(f"evening-{n}w-events")
        for stream, what in (
            ("events", "heartbeats (pc, wechat) + batches of 50 (app)"),
            ("pages", "pages"),
            ("uploads", "scan uploads to S3"),
        ):
            run = bench.get(f"evening-{n}w-{stream}")
            if run is None:
                continue
            note = (
                f"{run['events_per_s']:,.0f} events/s accepted"
                if stream == "events"
                else f"{run['accepted']} ok"
            )
            lines.append(
                f"| {n} | {what} | {run['rps']:,.1f} | {run['p50_ms']:.0f} | {run['p99_ms']:.0f} | {errors(run)} | {note} |"
            )
        sockets = ws.get(f"evening-{n}w")
        if sockets:
            # The evening's events come from connected learners only: one push per answered request.
            expected = ok_requests(events) if events else 0
            failed = sum(sockets["failed"].values())
            lines.append(
                f"| {n} | WebSockets | {sockets['opened']:,} open | push delay p50 {sockets['delay_p50_ms']} "
                f"| p99 {sockets['delay_p99_ms']} | {failed} failed ({sockets.get('retries', 0)} retries), {sockets['closed_early']} dropped "
                f"| {sockets['progress_pushes']:,} pushes received for {expected:,} event requests answered "
                f"({sockets['learners_pushed']:,} learners) |"
            )
    return lines + [""]


def memory_table(procs: dict) -> list[str]:
    labels = [label for label in procs if label.startswith(("evening-", "heartbeat-"))]
    if not labels:
        return []
    lines = [
        "### CPU and memory per process group",
        "",
        "| run | " + " | ".join(ROLES) + " | machine |",
        "| --- | " + " | ".join("---" for _ in ROLES) + " | --- |",
    ]
    for label in labels:
        roles = procs[label]["roles"]
        cells = []
        for role in ROLES:
            data = roles.get(role)
            cells.append(
                f"{data['cores']} cores, {data['rss_max_mb']:.0f} MB ({data['processes']})" if data else "–"
            )
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {procs[label]['machine_cores']} cores |")
    lines += [
        "",
        "Each cell: cores used during the run, the group's largest total RSS, (processes). Redis is "
        "the machine's shared server: its CPU and memory include other users'.",
    ]
    return lines + [""]


def log_size(tables: dict) -> list[str]:
    """The evidence log's size per row, from the run that wrote the most rows (the space of the
    runs before was freed by VACUUM and reused, so the table holds about one run's rows)."""
    if not tables:
        return []
    largest = max(tables.values(), key=lambda table: table["rows"] or 0)
    if not largest["rows"]:
        return []
    per_row = largest["bytes"] / largest["rows"]
    return [
        f"Evidence log after {largest['label']}: {largest['rows']:,} rows, {largest['bytes'] / 2**20:,.1f} MiB "
        f"with its indexes: {per_row:,.0f} bytes a row (the row alone {largest['row_width']} bytes); "
        f"400 million rows a year ≈ {400e6 * per_row / 2**30:,.0f} GiB."
        + (" (Few rows: pages not yet full overstate it.)" if largest["rows"] < 20000 else ""),
        "",
    ]


def main() -> None:
    bench, ws, procs, tables = read(Path(sys.argv[1]))
    out = heartbeat_table(bench, procs) + evening_table(bench, ws, procs) + memory_table(procs)
    out += log_size(tables)
    print("\n".join(out) if out else "no results")


if __name__ == "__main__":
    main()
