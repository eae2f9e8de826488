"""WebSocket side of bench/scale.sh: many learners' apps holding ``/ws/progress/`` open and
counting the pushes they receive while the heartbeats of the same learners go through HTTP.

    .venv/bin/python bench/scale_ws.py --url ws://127.0.0.1:8660 --data FILE --connections 2000 \\
        --ready FILE --hold 60

Opens one connection per learner of the data file (``learner <pk> <token>`` lines, the app's
``?token=``), at most ``--rate`` new ones a second; when all are open (or failed) it writes the
``--ready`` file (and the connected learners to ``--connected``), holds them ``--hold`` seconds (or until SIGTERM), closes them and prints one
line ``WS {json}``: connections opened and failed (by reason, after retries), closed by the server before the end,
pushes received (progress and takeover), and the delay of each progress push from the moment the
server saved it (its ``updated_at``) to its arrival, p50/p99 in ms. Uses websockets (asyncio).
"""

import argparse
import asyncio
import collections
import datetime as dt
import json
import random
import signal
import sys
import time
from pathlib import Path

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

ATTEMPTS = 4


def learners(path: Path) -> list[tuple[int, str]]:
    rows = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "learner":
            rows.append((int(parts[1]), parts[2]))
    return rows


class Counts:
    def __init__(self):
        self.opened = 0
        self.failed: collections.Counter = collections.Counter()
        self.closed_early = 0
        self.pushes: collections.Counter = collections.Counter()
        self.delays_ms: list[float] = []
        self.learners_pushed: set[int] = set()
        self.connected: list[int] = []
        self.retries = 0


async def hold(url: str, learner: int, token: str, counts: Counts, stop: asyncio.Event) -> None:
    """One app: connect (again after a refusal, as the app does, up to ``ATTEMPTS`` times), then
    read pushes until the end."""
    for attempt in range(ATTEMPTS):
        try:
            async with connect(f"{url}/ws/progress/?token={token}", open_timeout=60, max_queue=64) as ws:
                counts.opened += 1
                counts.connected.append(learner)
                reader = asyncio.ensure_future(read(ws, learner, counts))
                stopper = asyncio.ensure_future(stop.wait())
                done, _ = await asyncio.wait({reader, stopper}, return_when=asyncio.FIRST_COMPLETED)
                if reader in done and not stop.is_set():
                    counts.closed_early += 1
                for task in (reader, stopper):
                    task.cancel()
                return
        except InvalidStatus as refusal:
            reason = f"HTTP {refusal.response.status_code}"
        except (OSError, TimeoutError, ConnectionClosed) as error:
            reason = type(error).__name__
        if attempt + 1 < ATTEMPTS and not stop.is_set():
            counts.retries += 1
            await asyncio.sleep(random.uniform(1, 2) * 2**attempt)  # back off, with jitter, as apps should
    counts.failed[reason] += 1


async def read(ws, learner: int, counts: Counts) -> None:
    try:
        async for raw in ws:
            arrived = time.time()
            message = json.loads(raw)
            kind = message.get("type", "?")
            counts.pushes[kind] += 1
            counts.learners_pushed.add(learner)
            saved = message.get("updated_at")
            if kind == "progress" and saved:
                counts.delays_ms.append((arrived - dt.datetime.fromisoformat(saved).timestamp()) * 1000)
    except ConnectionClosed:
        pass


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)


async def main(args) -> dict:
    rows = learners(args.data)[: args.connections]
    counts, stop = Counts(), asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    started = time.monotonic()
    tasks = []
    for i, (learner, token) in enumerate(rows):
        tasks.append(asyncio.ensure_future(hold(args.url, learner, token, counts, stop)))
        if (i + 1) % max(1, args.rate // 10) == 0:
            await asyncio.sleep(0.1)
    while (
        counts.opened + sum(counts.failed.values()) < len(rows)
        and time.monotonic() - started < args.open_timeout
    ):
        await asyncio.sleep(0.2)
    open_seconds = time.monotonic() - started
    print(
        f"{counts.opened} open, failed {dict(counts.failed)}, {counts.retries} retries, {open_seconds:.0f}s",
        file=sys.stderr,
    )
    if args.connected:
        args.connected.write_text("".join(f"{learner}\n" for learner in counts.connected))
    if args.ready:
        args.ready.write_text(f"{counts.opened}\n")
    try:
        await asyncio.wait_for(stop.wait(), args.hold)
    except TimeoutError:
        stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "label": args.label,
        "connections": len(rows),
        "opened": counts.opened,
        "failed": dict(counts.failed),
        "retries": counts.retries,
        "open_seconds": round(open_seconds, 1),
        "closed_early": counts.closed_early,
        "pushes": sum(counts.pushes.values()),
        "progress_pushes": counts.pushes.get("progress", 0),
        "takeover_pushes": counts.pushes.get("takeover", 0),
        "learners_pushed": len(counts.learners_pushed),
        "delay_p50_ms": percentile(counts.delays_ms, 0.50),
        "delay_p99_ms": percentile(counts.delays_ms, 0.99),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", required=True, help="ws://host:port of nginx")
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument("--rate", type=int, default=50, help="new connections a second")
    parser.add_argument("--open-timeout", type=float, default=600, help="seconds to wait for all to open")
    parser.add_argument("--hold", type=float, default=60, help="seconds to hold them once open")
    parser.add_argument("--ready", type=Path, help="written when every connection is open or failed")
    parser.add_argument("--connected", type=Path, help="written with the learners connected, one a line")
    parser.add_argument("--label", default="ws")
    result = asyncio.run(main(parser.parse_args()))
    print("WS " + json.dumps(result), flush=True)
