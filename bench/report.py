"""Summary of one ``bench/run.sh`` run: reads its BENCH / SERVER / PROFILE lines, prints Markdown.

    .venv/bin/python bench/report.py RESULTS_FILE

BENCH lines come from wrk (``bench/progress.lua``: counted from the answers wrk received within the
run), SERVER lines from ``bench/setup_data.py reset`` (what the database holds after the run,
including requests still in flight when wrk stopped), PROFILE lines from ``bench/profile_request.py``.
Needs no Django.
"""

import json
import statistics
import sys
from pathlib import Path

STREAMS = {
    "baseline": "bare baseline (1 upsert)",
    "drf": "DRF + token auth, same upsert",
    "heartbeat": "single heartbeats",
    "batch": "offline batches of 50",
    "mix": "mix 80 % heartbeats / 20 % batches",
}
HEARTBEAT_RATIO_TARGET = 0.5
HEARTBEAT_P99_TARGET_MS = 100.0
BATCH_EVENTS_TARGET = 5000.0
NOISY_CORES = 0.25  # other processes using more than this during a run make it unrepresentative
CPU_KEYS = ("server_cores", "db_cores", "wrk_cores", "others_cores", "busy_cores")


def read(path: Path) -> tuple[list[dict], dict[str, dict], list[dict], dict[str, dict]]:
    runs, server, profiles, load = [], {}, [], {}
    for line in path.read_text().splitlines():
        kind, _, payload = line.partition(" ")
        if kind == "BENCH":
            runs.append(json.loads(payload))
        elif kind == "SERVER":
            data = json.loads(payload)
            server[data["label"]] = data
        elif kind == "PROFILE":
            profiles.append(json.loads(payload))
        elif kind in ("LOAD", "CPU"):
            data = json.loads(payload)
            load.setdefault(data.pop("label"), {}).update(data)
    return runs, server, profiles, load


def cpu(data: dict) -> str:
    """Cores used during the run by the server, the services (our PostgreSQL backends and Redis),
    wrk, and everything else (other people's processes on a shared machine); and, in brackets,
    the cores busy just before the run."""
    parts = ["—" if data.get(key) is None else f"{data[key]:.2f}" for key in CPU_KEYS]
    return " / ".join(parts[:4]) + f" ({parts[4]})"


def cpu_ms(run: dict, data: dict) -> str:
    """Server CPU time per request: robust to other load on a shared machine, unlike req/s."""
    if not data.get("server_cores") or not run["rps"]:
        return "—"
    return f"{1000 * data['server_cores'] / run['rps']:.1f}"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    runs, server, profiles, load = read(Path(sys.argv[1]))
    # Each run is compared with the baseline run of the same server just before it (with ROUNDS,
    # the one of its own round): the machine's speed drifts, neighbouring runs compare fairly.
    baselines: dict[str, float] = {}
    rows, checks, rounds = [], [], {}
    for run in runs:
        setup = run["label"].split(":")[0]
        if run["mode"] == "baseline":
            baselines[setup] = run["rps"]
        base = baselines.get(setup)
        if run["mode"] == "heartbeat" and base:
            rounds.setdefault(setup, []).append((run["rps"] / base, run["p99_ms"]))
        ratio = f"{run['rps'] / base:.2f}" if base and run["mode"] != "baseline" else "—"
        logged = server.get(run["label"], {})
        rejected = sum(logged.get("rejected", {}).values()) if logged else None
        noisy = load.get(run["label"], {}).get("others_cores", 0.0) > NOISY_CORES
        rows.append(
            [
                setup + (" ⚠" if noisy else ""),
                STREAMS.get(run["mode"], run["mode"]),
                f"{run['rps']:,.0f}",
                f"{run['events_per_s']:,.0f}" if run["mode"] not in ("baseline", "drf") else "—",
                f"{run['p50_ms']:.1f}",
                f"{run['p99_ms']:.1f}",
                ratio,
                str(run["non200"] + run["socket_errors"]),
                cpu_ms(run, load.get(run["label"], {})),
                cpu(load.get(run["label"], {})),
                f"{run['rejected'] + run['duplicate']}"
                + (
                    f" / {logged['accepted']:,} logged, {rejected} rejected"
                    if logged and logged["accepted"]
                    else ""
                ),
            ]
        )
        if run["mode"] == "heartbeat" and base:
            met = run["rps"] / base >= HEARTBEAT_RATIO_TARGET and run["p99_ms"] < HEARTBEAT_P99_TARGET_MS
            checks.append(
                [
                    setup + (" ⚠" if noisy else ""),
                    f"heartbeats ≥ {HEARTBEAT_RATIO_TARGET}× baseline req/s, p99 < {HEARTBEAT_P99_TARGET_MS:.0f} ms",
                    f"{run['rps'] / base:.2f}×, p99 {run['p99_ms']:.0f} ms",
                    "met" if met else "NOT met",
                ]
            )
        if run["mode"] == "batch":
            met = run["events_per_s"] >= BATCH_EVENTS_TARGET
            checks.append(
                [
                    setup + (" ⚠" if noisy else ""),
                    f"offline batches ≥ {BATCH_EVENTS_TARGET:,.0f} events/s",
                    f"{run['events_per_s']:,.0f} events/s",
                    "met" if met else "NOT met",
                ]
            )
    for setup, pairs in rounds.items():
        if len(pairs) > 1:
            ratio, p99 = statistics.median(r for r, _ in pairs), statistics.median(p for _, p in pairs)
            met = ratio >= HEARTBEAT_RATIO_TARGET and p99 < HEARTBEAT_P99_TARGET_MS
            checks.append(
                [
                    setup,
                    f"median of {len(pairs)} rounds: heartbeats ≥ {HEARTBEAT_RATIO_TARGET}× baseline, "
                    f"p99 < {HEARTBEAT_P99_TARGET_MS:.0f} ms",
                    f"{ratio:.2f}× (rounds: {', '.join(f'{r:.2f}' for r, _ in pairs)}), p99 {p99:.0f} ms",
                    "met" if met else "NOT met",
                ]
            )
    print(
        table(
            [
                "server",
                "stream",
                "req/s",
                "events/s",
                "p50 ms",
                "p99 ms",
                "req/s ÷ baseline",
                "errors",
                "server CPU ms/req",
                "CPU cores: server / DB / wrk / others (before)",
                "not accepted (wrk) / server log",
            ],
            rows,
        )
    )
    if any(data.get("others_cores", 0.0) > NOISY_CORES for data in load.values()):
        print(
            f"\n⚠ other processes on the machine used more than {NOISY_CORES} cores during this run: "
            "its figures understate the server. Run again when the machine is quiet (QUIET_WAIT=300)."
        )
    if checks:
        print()
        print(table(["server", "target", "measured", "result"], checks))
    if profiles:
        print()
        print("In-process, one request at a time (bench/profile_request.py):")
        print()
        print(
            table(
                [
                    "database",
                    "request",
                    "ms/request",
                    "CPU ms",
                    "DB CPU ms",
                    "SQL statements",
                    "ms in DB driver",
                ],
                [
                    [
                        p["database"],
                        p["stream"],
                        f"{p['ms_per_request']:.1f}",
                        f"{p.get('cpu_ms_per_request', 0):.1f}",
                        "—"
                        if p.get("db_cpu_ms_per_request") is None
                        else f"{p['db_cpu_ms_per_request']:.1f}",
                        f"{p['queries_per_request']:.1f}",
                        f"{p['sql_ms_per_request']:.1f}",
                    ]
                    for p in profiles
                ],
            )
        )
        for p in profiles:
            shares = ", ".join(f"{k.strip()} {v}%" for k, v in p["share_of_profiled_time_pct"].items())
            print(f"\n- {p['stream']}: share of time under cProfile: {shares}")


if __name__ == "__main__":
    main()
