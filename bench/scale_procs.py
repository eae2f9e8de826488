"""CPU and memory per process group during a bench/scale.sh run, read from /proc.

    .venv/bin/python bench/scale_procs.py --label evening-2w \\
        web=tree:1234 ws=tree:1240 db=match:'^postgres: \\S+ bench_scale ' ...

Each ``role=spec`` names a group: ``tree:PID`` is the process and its descendants (gunicorn's
master and workers), ``match:REGEX`` every process whose command line matches (PostgreSQL's
backends of one database). Samples every ``--interval`` seconds until SIGTERM/SIGINT, then prints
one line ``PROCS {json}``: for each role the processes seen, the CPU seconds they used during the
sampling and as cores, and their resident memory (RSS) summed at the last sample and at the
largest, with the largest single process. ``machine_cores`` is what the whole machine used.
"""

import argparse
import json
import os
import re
import signal
import time
from pathlib import Path

HZ = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _stat(pid: int) -> tuple[int, int, list[str]] | None:
    """(ppid, utime + stime in ticks) of a process and its command line; None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
        fields = raw[raw.rindex(")") + 2 :].split()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        return int(fields[1]), int(fields[11]) + int(fields[12]), cmdline.strip()
    except (OSError, ValueError, IndexError):
        return None


def _rss_bytes(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, ValueError, IndexError):
        return 0


def _machine_ticks() -> tuple[int, int]:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    busy = values[0] + values[1] + values[2] + values[5] + values[6] + values[7]
    return busy, sum(values)


def snapshot() -> dict[int, tuple[int, int, str]]:
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat is not None:
                found[int(entry)] = stat
    return found


def members(spec: str, processes: dict[int, tuple[int, int, str]]) -> set[int]:
    kind, _, value = spec.partition(":")
    if kind == "tree":
        root = int(value)
        chosen = {root} if root in processes else set()
        grew = True
        while grew:
            extra = {pid for pid, (ppid, _, _) in processes.items() if ppid in chosen} - chosen
            chosen |= extra
            grew = bool(extra)
        return chosen
    if kind == "match":
        pattern = re.compile(value)
        return {pid for pid, (_, _, cmd) in processes.items() if pattern.search(cmd) and pid != os.getpid()}
    raise SystemExit(f"unknown spec {spec!r}: tree:PID or match:REGEX")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--label", default="")
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("roles", nargs="+", help="role=tree:PID or role=match:REGEX")
    args = parser.parse_args()
    roles = dict(role.split("=", 1) for role in args.roles)
    stop = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.append(1))

    first: dict[int, int] = {}  # pid -> its ticks when first seen
    last: dict[int, int] = {}
    rss_max = dict.fromkeys(roles, 0)
    rss_last = dict.fromkeys(roles, 0)
    process_max = dict.fromkeys(roles, 0)
    seen = {role: set() for role in roles}
    machine0, started = _machine_ticks(), time.monotonic()
    while True:
        processes = snapshot()
        for role, spec in roles.items():
            pids = members(spec, processes)
            seen[role] |= pids
            sizes = [_rss_bytes(pid) for pid in pids]
            rss_last[role] = sum(sizes)
            rss_max[role] = max(rss_max[role], rss_last[role])
            process_max[role] = max([process_max[role], *sizes])
            for pid in pids:
                first.setdefault(pid, processes[pid][1])
                last[pid] = processes[pid][1]
        if stop:
            break
        time.sleep(args.interval)
    seconds = time.monotonic() - started
    machine1 = _machine_ticks()
    mb = 1024 * 1024
    result = {"label": args.label, "seconds": round(seconds, 1), "roles": {}}
    for role in roles:
        cpu = sum(last[pid] - first[pid] for pid in seen[role]) / HZ
        result["roles"][role] = {
            "processes": len(seen[role]),
            "cpu_s": round(cpu, 2),
            "cores": round(cpu / seconds, 2) if seconds else 0,
            "rss_mb": round(rss_last[role] / mb, 1),
            "rss_max_mb": round(rss_max[role] / mb, 1),
            "largest_process_mb": round(process_max[role] / mb, 1),
        }
    busy, total = machine1[0] - machine0[0], machine1[1] - machine0[1]
    result["machine_cores"] = round(os.cpu_count() * busy / total, 2) if total else 0
    print("PROCS " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
