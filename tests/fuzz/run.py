"""API fuzzing (issue 15): schemathesis over every operation of ``/api/schema/``, as the learner,
the institution and the auditor of the demo and then anonymously, against a real server on a
throwaway copy of the demo. Any server error (5xx) or response that its documented schema rejects
fails the run.

    .venv/bin/python tests/fuzz/run.py      # a quick run: 10 cases per operation and phase (~2 min)
    make fuzz                               # the long run: 100 of them, at least 10,000 cases (~6 min)
    .venv/bin/python tests/fuzz/run.py --max-examples 10 --max-time 30 --timeout 420   # .ci/run's
    .venv/bin/python tests/fuzz/run.py --help   # case budget, time bounds, seed, passes, checks

What it does:

1. a temporary folder with its own SQLite database and media (``SQLITE_PATH``, ``MEDIA_ROOT``;
   ``DATABASE_URL``/``REDIS_URL`` are removed, as for ``make run``), migrated and seeded with the
   demo (``seed_demo``);
2. gunicorn (``config.wsgi``, ``DJANGO_DEBUG=1``) on a free port of 127.0.0.1;
3. the personas sign in through ``POST /api/v1/auth/token/``; each pass is one ``schemathesis
   run`` with ``Authorization: Token …`` (the anonymous pass sends none, and lets schemathesis
   generate garbage credentials). Path ids and body ids are drawn half the time from the demo's
   real ids (schemathesis dictionaries), so requests get past the 404s. Unsafe methods change
   the throwaway database: that is what it is for. ``tests/fuzz/hooks.py`` keeps the personas'
   usernames out of the token endpoint, so that the login lockout never locks them.

The report of each pass (failures with a ``curl`` line to reproduce them) is schemathesis' own;
the summary at the end counts the cases. On a failure the temporary folder is kept: the JSON and
JUnit reports of each pass and the server's log (with the tracebacks of any 500) are there.
Exit status: 0 when every pass found nothing and at least ``--min-cases`` cases ran; 1 otherwise.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HOOKS = Path(__file__).resolve().parent / "hooks.py"

PERSONAS = {  # pass name: (username, password), the demo's logins (demo/seed.py, README)
    "learner": ("demo", "demo12345"),
    "institution": ("institution", "institution12345"),
    "auditor": ("auditor", "auditor12345"),
}
PASSES = [*PERSONAS, "anonymous"]  # the anonymous pass last: its garbage logins cannot lock a persona
CHECKS = "not_a_server_error,response_schema_conformance"
# Once the schema documents every error an operation answers (api.schema.document_error_responses
# sets this mark), statuses and content types are held to it as well.
ERRORS_DOCUMENTED = "x-error-responses-documented"
CONFORMANCE_CHECKS = "status_code_conformance,content_type_conformance"
# The embedded default: no PostgreSQL, Redis, bucket or verification service.
SERVICE_VARIABLES = (
    "DATABASE_URL",
    "DATABASE_REPLICA_URL",
    "REDIS_URL",
    "AWS_STORAGE_BUCKET_NAME",
    "IDENTITY_VERIFICATION_URL",
    "IDENTITY_VERIFICATION_PROVIDER",
    "TASKS_BACKEND",
)

# Real ids of the seeded demo, for schemathesis dictionaries: printed by a Django shell.
COLLECT_IDS = """
import json
from courses.models import CoursePage, Lesson
from institutions.models import TrainingClass
from learners.models import Learner
from quizzes.models import Attempt
from rosters.models import RosterUpload
from teachers.models import Material, Teacher

ids = lambda rows: sorted((rows.objects if hasattr(rows, "objects") else rows).values_list("pk", flat=True))
print("FUZZ-IDS " + json.dumps({
    "course": ids(CoursePage),
    "lesson": ids(Lesson),
    "quiz_lesson": ids(Lesson.objects.filter(kind="quiz")),
    "class": ids(TrainingClass),
    "learner": ids(Learner),
    "attempt": ids(Attempt),
    "upload": ids(RosterUpload),
    "content": ids(Teacher) + ids(Material),
}))
"""
# Where each dictionary is used: path parameters and body fields (schemathesis binding keys).
BINDINGS = {
    "course": ["path.course_id", "body.course"],
    "lesson": ["path.lesson_id", "body.lesson", "body.events[*].lesson", "body.lessons[*]"],
    "class": ["path.class_id"],
    "learner": ["path.learner_id", "body.learner"],
    "attempt": ["path.attempt_id"],
    "upload": ["path.upload_id"],
    "content": ["path.id"],  # ``/teachers/{id}/`` and ``/materials/{id}/``
    "quiz_lesson": [],  # where prepare() starts attempts
}
REAL_ID_PROBABILITY = 0.5


@dataclass
class PassResult:
    name: str
    exit_code: int | None = None
    cases: int = 0
    operations: int = 0
    seconds: float = 0.0
    failures: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.failures and not self.errors and not self.timed_out


def log(message: str) -> None:
    print(f"\n== fuzz: {message}", flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Fuzz every operation of /api/schema/ with schemathesis, as three personas and anonymously.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--max-examples",
        type=int,
        default=10,
        help="case budget: schemathesis' cases per operation and phase, in each pass",
    )
    parser.add_argument(
        "--max-time",
        type=int,
        default=None,
        help="seconds each pass may spend; schemathesis keeps fuzzing until they are spent",
    )
    parser.add_argument(
        "--timeout", type=int, default=1800, help="wall-clock bound of the whole run; past it the run fails"
    )
    parser.add_argument(
        "--min-cases", type=int, default=0, help="fail unless the passes ran at least this many cases in all"
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="schemathesis seed (default: a random one, printed)"
    )
    parser.add_argument(
        "--passes", default=",".join(PASSES), help="comma-separated, of: " + ", ".join(PASSES)
    )
    parser.add_argument(
        "--checks",
        default=None,
        help=f"schemathesis checks (default: {CHECKS}, and {CONFORMANCE_CHECKS} when the schema "
        f"carries {ERRORS_DOCUMENTED})",
    )
    parser.add_argument("--workers", type=int, default=1, help="schemathesis workers and gunicorn workers")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder even when all passed")
    args = parser.parse_args(argv)
    unknown = set(args.passes.split(",")) - set(PASSES)
    if unknown:
        parser.error(f"unknown passes: {', '.join(sorted(unknown))}")
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(2**31)
    return args


def server_environment(folder: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in SERVICE_VARIABLES}
    env.update(
        DJANGO_DEBUG="1",
        SQLITE_PATH=str(folder / "db.sqlite3"),
        MEDIA_ROOT=str(folder / "media"),
        LOG_LEVEL="ERROR",  # a quieter log; the 500s' tracebacks are still in it
        # Registration's own throttle (30/hour from one address) would answer most of the
        # fuzzer's sign-ups with a 429 and leave their validation untested; tests cover it.
        REGISTER_RATE="100000/hour",
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(env: dict[str, str], folder: Path, deadline: float, *arguments: str) -> str:
    """Run ``manage.py`` for the throwaway database; its output, or the run stops with it."""
    done = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=max(1.0, deadline - time.monotonic()),
    )
    with (folder / "setup.log").open("a") as setup_log:
        setup_log.write(done.stdout + done.stderr)
    if done.returncode != 0:
        sys.exit(f"fuzz: manage.py {' '.join(arguments)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(
    method: str, base: str, path: str, body: dict | bytes | None = None, headers: dict | None = None
) -> tuple[int, bytes]:
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    headers = dict(headers or {})
    if isinstance(body, dict):
        body = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    try:
        connection.request(method, path, body, headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def start_server(env: dict[str, str], folder: Path, port: int, workers: int) -> subprocess.Popen:
    server_log = (folder / "server.log").open("w")
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "config.wsgi",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            "--timeout=120",
            "--no-control-socket",
            # No 414 from gunicorn for a long generated query string: the request reaches Django.
            "--limit-request-line=0",
            f"--access-logfile={folder / 'access.log'}",
        ],
        cwd=ROOT,
        env=env,
        stdout=server_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped with its workers, by its id
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"fuzz: the server stopped at start:\n{(folder / 'server.log').read_text()}")
        try:
            if call("GET", f"http://127.0.0.1:{port}", "/api/schema/")[0] == 200:
                return server
        except OSError:
            pass
        time.sleep(0.5)
    stop_server(server)
    sys.exit(f"fuzz: the server did not answer in 60 s:\n{(folder / 'server.log').read_text()}")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def token_prefix(schema: dict) -> str:
    """The scheme word of ``Authorization``, as the schema documents it (``Token``)."""
    schemes = schema.get("components", {}).get("securitySchemes", {})
    for scheme in schemes.values():
        if scheme.get("in") == "header" and scheme.get("name") == "Authorization":
            found = re.search(r'prefix "([^"]+)"', scheme.get("description", ""))
            if found:
                return found.group(1)
    return "Token"


def sign_in(base: str, username: str, password: str) -> str:
    status, body = call("POST", base, "/api/v1/auth/token/", {"username": username, "password": password})
    if status != 200:
        sys.exit(f"fuzz: {username} could not sign in: {status} {body[:500]!r}")
    return json.loads(body)["token"]


def prepare(base: str, authorization: dict[str, dict[str, str]], ids: dict[str, list[int]]) -> None:
    """Data the seed has none of, made through the API: the learner's quiz attempts and a roster
    upload of the institution's class, so that ``…/submit/`` and ``…/confirm/`` get real ids."""
    if "learner" in authorization:
        for lesson in ids["quiz_lesson"]:
            status, body = call(
                "POST", base, f"/api/v1/quizzes/lessons/{lesson}/attempts/", {}, authorization["learner"]
            )
            if status in (200, 201):
                ids["attempt"].append(json.loads(body)["id"])
    if "institution" in authorization and ids["class"]:
        boundary = "zibo-fuzz-roster"
        roster = (
            "姓名,身份证号,手机号,区县,人员类别,工作单位\n"
            "周一,370302198503120012,13853300001,张店区,企业职工,淄博某陶瓷有限公司\n"
        )
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="roster.csv"\r\n'
            f"Content-Type: text/csv\r\n\r\n{roster}\r\n--{boundary}--\r\n"
        ).encode()
        headers = {
            **authorization["institution"],
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        }
        for training_class in ids["class"]:
            status, answer = call(
                "POST", base, f"/api/v1/classes/{training_class}/roster/preview/", body, headers
            )
            if status == 201:
                ids["upload"].append(json.loads(answer)["upload_id"])
    ids["attempt"] = sorted(set(ids["attempt"]))
    print(f"  made: attempts {ids['attempt']}, roster uploads {ids['upload']}")


def path_parameter_types(schema: dict) -> dict[str, str]:
    """The documented type of each path parameter (``integer``; ``string`` with a digits
    pattern while the ``id`` path converter is documented as a string)."""
    types = {}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter.get("in") == "path":
                    types[parameter["name"]] = parameter.get("schema", {}).get("type", "string")
    return types


def write_config(path: Path, ids: dict[str, list[int]], schema: dict) -> None:
    """schemathesis.toml: the demo's real ids as dictionaries, bound to the parameters and body
    fields that take them, drawn with probability REAL_ID_PROBABILITY (else generated); path ids
    typed as the schema documents them. No automatic sign-up: a pass is its persona or nobody."""
    types = path_parameter_types(schema)
    lines = ["[auth]", "auto-signup = false", ""]
    bindings = []
    for name, values in ids.items():
        if not values:
            continue
        for key in BINDINGS[name]:
            location, _, parameter = key.partition(".")
            as_string = location == "path" and types.get(parameter) == "string"
            dictionary = f"{name}_ids" + ("_as_strings" if as_string else "")
            entries = [str(value) for value in values] if as_string else values
            if f"[dictionaries.{dictionary}]" not in lines:
                lines += [f"[dictionaries.{dictionary}]", f"values = {json.dumps(entries)}", ""]
            bindings.append(
                f'"{key}" = {{ dictionary = "{dictionary}", probability = {REAL_ID_PROBABILITY} }}'
            )
    path.write_text("\n".join([*lines, "[parameters]", *bindings]) + "\n")


def run_pass(
    name: str,
    args: argparse.Namespace,
    base: str,
    config: Path,
    folder: Path,
    header: str | None,
    deadline: float,
) -> PassResult:
    reports = folder / "reports" / name
    command = [
        str(BIN / "schemathesis"),
        "--config-file",
        str(config),
        "run",
        f"{base}/api/schema/",
        f"--checks={args.checks}",
        f"--max-examples={args.max_examples}",
        f"--seed={args.seed}",
        f"--workers={args.workers}",
        "--generation-database=none",
        "--request-timeout=60",
        "--report=json,junit",
        f"--report-dir={reports}",
        "--no-color",
    ]
    if args.max_time:
        command.append(f"--max-time={args.max_time}")
    if header:
        command += ["--header", header, "--generation-with-security-parameters=false"]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": str(HOOKS),
        "FUZZ_PROTECTED_USERNAMES": ",".join(username for username, _ in PERSONAS.values()),
    }
    log(f"pass {name}: {' '.join(part if part != header else 'Authorization: [token]' for part in command)}")
    result = PassResult(name)
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=folder, env=env, start_new_session=True)
    try:
        result.exit_code = process.wait(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        result.timed_out = True
    except BaseException:  # Ctrl-C: schemathesis runs in its own session, so stop it here
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise
    result.seconds = time.monotonic() - started
    report = next(iter(sorted(reports.glob("json-*.json"))), None)
    if report is not None:
        data = json.loads(report.read_text())
        result.cases = data["test_cases"]["generated"]
        result.operations = data["operations"]["tested"]
        result.failures = data["failures"]
        result.errors = data["errors"]
    elif not result.timed_out:
        result.errors = [{"title": "schemathesis wrote no report"}]
    return result


def server_errors(folder: Path) -> str:
    """The server's tracebacks (``Internal Server Error: …`` and what follows), not its 4xx notes."""
    kept, inside = [], False
    for line in (folder / "server.log").read_text(errors="replace").splitlines():
        if (
            line.startswith(("Internal Server Error", "Traceback (most recent call last)"))
            or "[ERROR]" in line
        ):
            inside = True
        elif (
            inside and not line.startswith((" ", "\t")) and not kept[-1].startswith((" ", "\t", "Traceback"))
        ):
            inside = line.startswith(("During handling", "The above exception"))
        if inside:
            kept.append(line)
    return "\n".join(kept)


def summary(results: list[PassResult], args: argparse.Namespace, seconds: float) -> bool:
    total = sum(result.cases for result in results)
    log("summary")
    print(f"  {'pass':<12} {'operations':>10} {'cases':>8} {'seconds':>8}  result")
    for result in results:
        if result.ok:
            outcome = "ok"
        elif result.timed_out:
            outcome = f"stopped: past the --timeout of {args.timeout} s"
        else:
            found = [
                f"{f['code']} {f['title']} ×{f['count']} ({', '.join(f['operations'])})"
                for f in result.failures
            ]
            found += [f"error: {e.get('title', e)}" for e in result.errors]
            outcome = "FAILED: " + ("; ".join(found) or f"schemathesis exited {result.exit_code}")
        print(
            f"  {result.name:<12} {result.operations:>10} {result.cases:>8} {result.seconds:>8.0f}  {outcome}"
        )
    print(f"  {'total':<12} {'':>10} {total:>8} {seconds:>8.0f}")
    ok = all(result.ok for result in results)
    if total < args.min_cases:
        print(f"  FAILED: {total} cases, fewer than --min-cases {args.min_cases}")
        ok = False
    print(f"\n  {total} cases in {seconds:.0f} s, seed {args.seed}: " + ("no failure." if ok else "FAILED."))
    return ok


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    deadline = started + args.timeout
    folder = Path(tempfile.mkdtemp(prefix="zibo-fuzz-"))
    env = server_environment(folder)
    server = None
    ok = False
    try:
        log(f"throwaway demo database in {folder}")
        manage(env, folder, deadline, "migrate", "--noinput")
        manage(env, folder, deadline, "seed_demo")
        ids_line = next(
            line
            for line in manage(env, folder, deadline, "shell", "-c", COLLECT_IDS).splitlines()
            if line.startswith("FUZZ-IDS ")
        )
        ids = json.loads(ids_line.removeprefix("FUZZ-IDS "))
        print("  demo ids: " + ", ".join(f"{name} {len(values)}" for name, values in ids.items()))

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log(f"server: gunicorn config.wsgi on {base}")
        server = start_server(env, folder, port, args.workers)
        schema = json.loads(call("GET", base, "/api/schema/?format=json")[1])
        prefix = token_prefix(schema)
        if args.checks is None:
            args.checks = CHECKS + (f",{CONFORMANCE_CHECKS}" if schema.get(ERRORS_DOCUMENTED) else "")
        print(f"  checks: {args.checks}")
        passes = args.passes.split(",")
        tokens = {name: sign_in(base, *PERSONAS[name]) for name in passes if name in PERSONAS}
        prepare(base, {name: {"Authorization": f"{prefix} {token}"} for name, token in tokens.items()}, ids)
        config = folder / "schemathesis.toml"
        write_config(config, ids, schema)

        results = []
        for name in sorted(passes, key=PASSES.index):
            header = f"Authorization: {prefix} {tokens[name]}" if name in tokens else None
            results.append(run_pass(name, args, base, config, folder, header, deadline))
            if results[-1].timed_out:
                break
        ok = summary(results, args, time.monotonic() - started)
        if server.poll() is not None:
            print(f"  FAILED: the server stopped during the run (exit {server.returncode})")
            ok = False
        errors = server_errors(folder)
        if errors.strip() and not ok:
            log("server log (tracebacks of the 500s)")
            print(errors[-20000:])
    finally:
        if server is not None:
            stop_server(server)
        if ok and not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"\n  reports, server log and database kept in {folder}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
