"""The operator's files in deploy/ hold together: nginx accepts its configuration, every systemd
unit starts something that exists and is hardened, and the environment example documents every
setting without holding a secret."""

import datetime as dt
import importlib.util
import re
import runpy
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNITS = DEPLOY / "systemd"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)

# --- nginx -----------------------------------------------------------------------------------


def _self_signed_certificate(directory: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "px.zibo.example")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (directory / "fullchain.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "privkey.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )


def nginx_prefix(tmp_path: Path, site: str) -> Path:
    """deploy/nginx/ copied under ``tmp_path`` with the production paths moved inside it (as
    bench/scale.sh does), and a main nginx.conf that includes ``site``."""
    for sub in ("logs", "run", "tls", "staticfiles", "media"):
        (tmp_path / sub).mkdir()
    _self_signed_certificate(tmp_path / "tls")
    moves = {
        "/etc/nginx/zibo/": f"{tmp_path}/",
        "/run/zibo/": f"{tmp_path}/run/",
        "/var/log/nginx/": f"{tmp_path}/logs/",
        "/etc/zibo/tls/": f"{tmp_path}/tls/",
        "/srv/zibo/": f"{tmp_path}/",
        "/var/www/acme": f"{tmp_path}/acme",
    }
    for conf in (DEPLOY / "nginx").glob("*.conf"):
        text = conf.read_text()
        for old, new in moves.items():
            text = text.replace(old, new)
        # Unprivileged ports, loopback only: the test may run as any user, beside other servers.
        text = re.sub(r"listen 80;", "listen 127.0.0.1:18080;", text)
        text = re.sub(r"listen 443 ", "listen 127.0.0.1:18443 ", text)
        text = re.sub(r"\n\s*listen \[::\]:\d+[^;]*;", "", text)
        (tmp_path / conf.name).write_text(text)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/logs/error.log;\n"
        "events { worker_connections 1024; }\n"
        # Debian's nginx.conf turns gzip on at the http level: the site must not repeat it there.
        f"http {{ include /etc/nginx/mime.types; gzip on; include {tmp_path}/{site}; }}\n"
    )
    return tmp_path


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx)")
@pytest.mark.parametrize("site", ["zibo.conf", "zibo-http.conf"])
def test_nginx_accepts_the_site_configuration(tmp_path, site):
    prefix = nginx_prefix(tmp_path, site)
    result = subprocess.run(
        [
            NGINX,
            "-t",
            "-p",
            str(prefix),
            "-c",
            str(prefix / "nginx.conf"),
            "-e",
            str(prefix / "logs/error.log"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def _location(name: str) -> str:
    text = (DEPLOY / "nginx" / "zibo-locations.conf").read_text()
    found = re.search(r"location " + re.escape(name) + r" \{(.*?)\n\}", text, re.S)
    assert found, f"no location {name} in zibo-locations.conf"
    return found.group(1)


def _megabytes(block: str) -> int:
    return int(re.search(r"client_max_body_size (\d+)m;", block).group(1))


def test_nginx_lets_the_largest_upload_through_and_keeps_metrics_private():
    largest = max(settings.LESSON_UPLOAD_MAX_BYTES.values())
    assert _megabytes(_location("/admin/")) * 1024 * 1024 >= largest
    default = re.search(
        r"^client_max_body_size (\d+)m;", (DEPLOY / "nginx/zibo-locations.conf").read_text(), re.M
    )
    assert int(default.group(1)) * 1024 * 1024 > 10 * 1024 * 1024  # a certificate scan (10 MB)
    metrics = _location("= /metrics")
    assert "deny all;" in metrics and "allow" in metrics
    websocket = _location("/ws/")
    assert "proxy_set_header Upgrade" in websocket and "proxy_read_timeout 3600s" in websocket
    assert "X-Request-ID" in websocket


# --- systemd ---------------------------------------------------------------------------------


def _units(suffix: str) -> list[Path]:
    found = sorted(UNITS.glob(f"*.{suffix}"))
    assert found, f"no .{suffix} units in {UNITS}"
    return found


def _lines(unit: Path, key: str) -> list[str]:
    return [
        line.split("=", 1)[1].strip() for line in unit.read_text().splitlines() if line.startswith(f"{key}=")
    ]


def _check_command(unit: Path, command: str) -> None:
    """A unit's Exec line starts a program that exists: a manage.py command of this project, a
    server of the virtualenv with a module that exists here, or a system tool."""
    words = command.lstrip("-@+!").split()
    program = words[0]
    if program.startswith("/srv/zibo/.venv/bin/"):
        assert (ROOT / ".venv/bin" / Path(program).name).exists(), f"{unit.name}: no {program} in .venv"
    else:
        assert Path(program).exists(), f"{unit.name}: {program} does not exist"
    if "manage.py" in words:
        name = words[words.index("manage.py") + 1]
        assert name in get_commands(), f"{unit.name}: manage.py has no command {name!r}"
    for word in words:
        if re.fullmatch(
            r"[a-z_]+(\.[a-z_]+)+:[a-z_]+", word
        ):  # module:callable, e.g. config.wsgi:application
            module = word.split(":")[0]
            assert importlib.util.find_spec(module) is not None, f"{unit.name}: no module {module}"
        if word.startswith("/srv/zibo/") and not word.startswith("/srv/zibo/.venv/"):
            assert (ROOT / word.removeprefix("/srv/zibo/")).exists(), f"{unit.name}: no {word} in the project"


def test_every_service_starts_something_that_exists():
    for unit in _units("service"):
        commands = _lines(unit, "ExecStart") + _lines(unit, "ExecStartPre")
        assert _lines(unit, "ExecStart"), f"{unit.name} has no ExecStart"
        for command in commands:
            _check_command(unit, command)


def test_every_service_runs_as_zibo_with_its_environment_and_hardening():
    for unit in _units("service"):
        text = unit.read_text()
        for line in (
            "User=zibo",
            "EnvironmentFile=/etc/zibo/env",
            "WorkingDirectory=/srv/zibo",
            "NoNewPrivileges=yes",
            "PrivateTmp=yes",
            "ProtectSystem=strict",
        ):
            assert f"\n{line}\n" in text, f"{unit.name} lacks {line}"
        assert "/srv/zibo/media" in " ".join(_lines(unit, "ReadWritePaths")), unit.name


def test_every_timer_starts_a_service_of_its_own():
    for timer in _units("timer"):
        target = (_lines(timer, "Unit") or [timer.stem + ".service"])[0]
        assert (UNITS / target).exists(), f"{timer.name} starts {target}, which is not in deploy/systemd/"
        assert _lines(timer, "OnCalendar"), f"{timer.name} has no schedule"
    scheduled = {timer.stem for timer in _units("timer")}
    for job in ("zibo-fraud-scan", "zibo-wechat-send-due", "zibo-progress-partitions", "zibo-tasks-recover"):
        assert job in scheduled


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_knows_every_directive(tmp_path):
    for unit in UNITS.iterdir():
        (tmp_path / unit.name).write_text(unit.read_text().replace("/srv/zibo/", f"{ROOT}/"))
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True,
        text=True,
        timeout=120,
    )
    complaints = [
        line
        for line in result.stderr.splitlines()
        if re.search(r"Unknown|Invalid|Failed to parse|Missing|bad-setting|not executable", line)
    ]
    assert not complaints, "\n".join(complaints)


# --- gunicorn --------------------------------------------------------------------------------


def test_gunicorn_takes_its_workers_from_the_environment(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("GUNICORN_BIND", "127.0.0.1:8999")
    conf = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert conf["workers"] == 3 and conf["bind"] == ["127.0.0.1:8999"]
    assert conf["worker_class"] == "sync" and conf["wsgi_app"] == "config.wsgi:application"
    if importlib.util.find_spec("config.gunicorn_hooks") is not None:
        from config.gunicorn_hooks import child_exit

        assert conf["child_exit"] is child_exit


# --- environment example ---------------------------------------------------------------------

ENV_READERS = re.compile(r"env_(?:str|bool|int|float|list|secret)\(\s*\"([A-Z][A-Z0-9_]*)\"")
ENV_LINE = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=(.*)$")


def _example() -> dict[str, str]:
    values = {}
    for line in (DEPLOY / "env.example").read_text().splitlines():
        found = ENV_LINE.match(line.strip())
        if found:
            values[found.group(1)] = found.group(2).strip()
    return values


def test_env_example_documents_every_setting():
    read = set(ENV_READERS.findall((ROOT / "config/settings.py").read_text()))
    assert len(read) > 50  # the pattern still finds the settings' readers
    missing = sorted(read - set(_example()))
    assert not missing, f"deploy/env.example lacks {missing}"


RANDOM_LOOKING = re.compile(r"[A-Za-z0-9_\-+/=]{24,}")


def test_env_example_holds_no_secret():
    settings_source = (ROOT / "config/settings.py").read_text()
    secrets = set(re.findall(r"env_secret\(\s*\"([A-Z][A-Z0-9_]*)\"", settings_source))
    assert {"DJANGO_SECRET_KEY", "FIELD_HASH_KEY", "AWS_SECRET_ACCESS_KEY"} <= secrets
    secrets |= {"FIELD_ENCRYPTION_KEYS", "METRICS_TOKEN"}
    for name, value in _example().items():
        if name in secrets:
            assert value == "", f"{name} must be left empty in the example, got {value!r}"
        for password in re.findall(r"://[^:/@\s]+:([^@\s]+)@", value):
            assert password == "CHANGE_ME", f"{name} carries a password: write CHANGE_ME"
        assert not RANDOM_LOOKING.search(value), f"{name}={value!r} looks like a key"
