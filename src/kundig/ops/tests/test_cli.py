"""The ``kundig`` command line: usage, createuser, token, and the demo supervisor."""

from __future__ import annotations

import hashlib
import io
import os
import re
import signal
import smtplib
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kundig.cli import main
from kundig.core.models import ApiToken, Team, User
from kundig.core.services import token_authenticate, user_create
from kundig.ops.management.commands.web import bind_address, default_workers
from kundig.ops.staticfiles import collectstatic_if_changed
from kundig.ops.supervisor import Child, Supervisor
from kundig.ops.tests.processes import (
    kundig_argv,
    kundig_env,
    migrated_data_dir,
    query,
    run_kundig,
)

STRONG = "Laden-Kasse-2024-Nord"


# --- usage ----------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [[], ["--help"], ["-h"], ["help"]])
def test_usage_lists_the_main_commands_first(argv, capsys):
    main(argv)

    out = capsys.readouterr().out
    assert out.startswith("Kundig")
    for command in ("demo", "web", "worker", "scheduler", "migrate", "createuser"):
        assert f"  {command} " in out
    assert out.index("demo") < out.index("web") < out.index("createuser")
    assert "token create --user EMAIL --name NAME" in out


def test_help_for_one_command_is_djangos(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["createuser", "--help"])

    assert exit_.value.code == 0
    assert "--email" in capsys.readouterr().out


# --- createuser -----------------------------------------------------------------------


@pytest.mark.django_db
def test_createuser_creates_the_user_and_their_team():
    out = io.StringIO()

    call_command(
        "createuser",
        "--email",
        "Nora.Nord@Laden.de",
        "--password",
        STRONG,
        "--role",
        "sales",
        "--team",
        "Filiale Nord",
        "--first-name",
        "Nora",
        "--last-name",
        "Nordmann",
        "--language",
        "en",
        stdout=out,
    )

    user = User.objects.get(email="nora.nord@laden.de")
    assert user.check_password(STRONG)
    assert (user.role, user.team.name, user.language) == ("sales", "Filiale Nord", "en")
    assert (user.first_name, user.last_name) == ("Nora", "Nordmann")
    assert "Created sales nora.nord@laden.de in team Filiale Nord." in out.getvalue()


@pytest.mark.django_db
def test_createuser_joins_an_existing_team():
    for email, role, team in [
        ("a@laden.de", "sales", "Nord"),
        ("b@laden.de", "manager", "nord"),
    ]:
        options = ["--email", email, "--password", STRONG, "--role", role]
        call_command("createuser", *options, "--team", team, stdout=io.StringIO())

    assert Team.objects.count() == 1
    assert User.objects.filter(team__name="Nord").count() == 2


CREATEUSER_ERRORS = {
    "bad email": (["--email", "nora@", "--role", "sales"], "--email"),
    "unknown role": (["--email", "n@laden.de", "--role", "boss"], "--role"),
    "weak password": (
        ["--email", "n@laden.de", "--role", "sales", "--password", "12345"],
        "--password",
    ),
    "existing user": (["--email", "Taken@Laden.de", "--role", "sales"], "--email"),
    "unknown language": (
        ["--email", "n@laden.de", "--role", "sales", "--language", "fr"],
        "--language",
    ),
}


@pytest.mark.django_db(transaction=True)  # the real entry point closes connections
@pytest.mark.parametrize("case", CREATEUSER_ERRORS, ids=list(CREATEUSER_ERRORS))
def test_createuser_refuses_bad_input_names_the_field_and_creates_nothing(case, capsys):
    # given
    user_create(email="taken@laden.de", password=STRONG, role="admin")
    args, option = CREATEUSER_ERRORS[case]
    if "--password" not in args:
        args = [*args, "--password", STRONG]

    # when
    with pytest.raises(SystemExit) as exit_:
        main(["createuser", *args, "--team", "Neues Team"])

    # then
    assert exit_.value.code != 0
    err = capsys.readouterr().err
    assert f"{option}: " in err
    assert "No user created" in err
    assert User.objects.count() == 1
    assert not Team.objects.filter(name="Neues Team").exists()


@pytest.mark.django_db
def test_createuser_reports_every_bad_field_at_once():
    with pytest.raises(CommandError) as error:
        call_command(
            "createuser", "--email", "x", "--password", STRONG, "--role", "boss"
        )

    assert "--email" in str(error.value)
    assert "--role" in str(error.value)
    assert User.objects.count() == 0


# --- token ----------------------------------------------------------------------------


@pytest.fixture
def nora(db):
    return user_create(email="nora@laden.de", password=STRONG, role="sales")


def _create_token(email: str, name: str = "Shop sync") -> list[str]:
    out = io.StringIO()
    call_command("token", "create", "--user", email, "--name", name, stdout=out)
    return out.getvalue().splitlines()


def test_token_create_prints_the_token_alone_on_the_last_line(nora):
    lines = _create_token("NORA@laden.de")

    plain = lines[-1]
    assert plain.startswith("kdg_")
    assert plain.strip() == plain
    assert " " not in plain
    assert any("only" in line and "once" in line for line in lines[:-1])
    assert token_authenticate(plain) == nora


def test_token_create_stores_only_the_hash(nora):
    plain = _create_token("nora@laden.de")[-1]

    token = ApiToken.objects.get()
    assert token.token_hash == hashlib.sha256(plain.encode()).hexdigest()
    stored = [str(v) for v in ApiToken.objects.values_list().get()]
    assert not any(plain in value for value in stored)
    secret = plain.split("_", 2)[2]
    assert not any(secret in value for value in stored)


def test_token_list_shows_tokens_without_secrets(nora):
    plain = _create_token("nora@laden.de", "Shop sync")[-1]
    out = io.StringIO()

    call_command("token", "list", "--user", "nora@laden.de", stdout=out)

    listing = out.getvalue()
    assert "Shop sync" in listing
    assert plain.split("_")[1] in listing  # the prefix
    assert plain not in listing
    assert "active" in listing


def test_token_revoke_by_prefix_stops_the_token_working(nora):
    plain = _create_token("nora@laden.de")[-1]
    prefix = plain.split("_")[1]

    call_command("token", "revoke", prefix, stdout=io.StringIO())

    assert token_authenticate(plain) is None
    out = io.StringIO()
    call_command("token", "list", stdout=out)
    assert "revoked" in out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "--user", "nobody@laden.de", "--name", "x"], "--user"),
        (["revoke", "000000000000"], "PREFIX"),
    ],
)
def test_token_errors_name_the_argument(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("token", *args)


def test_token_create_refuses_an_empty_name(nora):
    with pytest.raises(CommandError, match="--name"):
        call_command("token", "create", "--user", "nora@laden.de", "--name", " ")
    assert not ApiToken.objects.exists()


# --- web ------------------------------------------------------------------------------


@pytest.mark.parametrize(("cores", "workers"), [(1, 3), (2, 5), (3, 7), (16, 8)])
def test_web_runs_two_workers_per_core_plus_one_at_most_eight(
    cores, workers, monkeypatch
):
    monkeypatch.setattr(os, "cpu_count", lambda: cores)

    assert default_workers() == workers


def test_web_binds_ipv6_addresses_in_brackets():
    assert bind_address("127.0.0.1", 8000) == "127.0.0.1:8000"
    assert bind_address("::1", 8000) == "[::1]:8000"


# --- static files ---------------------------------------------------------------------


def test_static_files_are_collected_again_only_when_a_source_changed(
    tmp_path, settings
):
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "app.css").write_text("body { color: black }")
    settings.STATICFILES_DIRS = [sources]
    settings.STATIC_ROOT = tmp_path / "static"

    assert collectstatic_if_changed()
    assert not collectstatic_if_changed()

    (sources / "app.css").write_text("body { color: navy }")
    later = time.time() + 5  # collectstatic compares whole seconds
    os.utime(sources / "app.css", (later, later))
    assert collectstatic_if_changed()
    assert (tmp_path / "static" / "app.css").read_text() == "body { color: navy }"
    (sources / "new.js").write_text("")
    assert collectstatic_if_changed()
    assert not collectstatic_if_changed()


# --- the real entry point, in other processes -----------------------------------------


def test_kundig_help_runs_as_a_program(tmp_path):
    result = run_kundig("--help", data_dir=tmp_path)

    assert result.returncode == 0
    assert "kundig demo" in result.stdout or "  demo " in result.stdout
    assert "createuser" in result.stdout


def test_kundig_createuser_and_token_run_as_programs(tmp_path):
    # given a migrated database of its own
    data_dir = migrated_data_dir(tmp_path)

    # when
    created = run_kundig(
        "createuser", "--email", "ada@laden.de", "--password", STRONG,
        "--role", "admin", "--team", "Zentrale", data_dir=data_dir,
    )  # fmt: skip
    again = run_kundig(
        "createuser", "--email", "ada@laden.de", "--password", STRONG,
        "--role", "admin", data_dir=data_dir,
    )  # fmt: skip
    token = run_kundig(
        "token", "create", "--user", "ada@laden.de", "--name", "CI", data_dir=data_dir
    )

    # then
    assert created.returncode == 0, created.stderr
    assert "Created admin ada@laden.de in team Zentrale." in created.stdout
    assert again.returncode == 1
    assert "--email: A user with this email address exists already." in again.stderr
    assert query(data_dir, "SELECT email, role FROM core_user") == [
        ("ada@laden.de", "admin")
    ]
    assert token.returncode == 0, token.stderr
    plain = token.stdout.splitlines()[-1]
    [(stored_hash,)] = query(data_dir, "SELECT token_hash FROM core_apitoken")
    assert stored_hash == hashlib.sha256(plain.encode()).hexdigest()


def test_kundig_reports_a_bad_setting_in_one_line(tmp_path):
    result = run_kundig("check", data_dir=tmp_path, KUNDIG_DEBUG="maybe")

    assert result.returncode == 2
    assert "configuration error: KUNDIG_DEBUG='maybe' is not a boolean" in result.stderr
    assert "Traceback" not in result.stderr


# --- the supervisor behind kundig demo ------------------------------------------------

PY = sys.executable


def _sleeper(name: str) -> Child:
    return Child(
        name, [PY, "-c", "import time; print('up', flush=True); time.sleep(60)"]
    )


def test_supervisor_stops_everything_when_one_process_dies():
    out = io.BytesIO()
    dying = Child("dying", [PY, "-c", "import sys, time; time.sleep(0.5); sys.exit(3)"])
    sleeper = _sleeper("sleeper")
    supervisor = Supervisor([dying, sleeper], out=out, stop_timeout=5)
    started = time.monotonic()

    code = supervisor.run(until_ready=lambda: True, on_ready=lambda: None)

    assert code == 3
    assert sleeper.process.returncode == -signal.SIGTERM
    assert time.monotonic() - started < 10
    text = out.getvalue().decode()
    assert "sleeper | up" in text
    assert "dying stopped (exit status 3)" in text


def test_supervisor_reports_a_child_killed_by_a_signal_as_a_shell_would():
    out = io.BytesIO()
    killed = Child("killed", [PY, "-c", "import os; os.kill(os.getpid(), 9)"])
    supervisor = Supervisor([killed, _sleeper("sleeper")], out=out)

    assert supervisor.run(until_ready=lambda: False, on_ready=lambda: None) == 137
    assert "killed stopped (killed by SIGKILL)" in out.getvalue().decode()


def test_supervisor_treats_a_clean_exit_of_a_child_as_a_failure():
    quitter = Child("quitter", [PY, "-c", "pass"])
    supervisor = Supervisor([quitter, _sleeper("sleeper")], out=io.BytesIO())

    assert supervisor.run(until_ready=lambda: False, on_ready=lambda: None) == 1


def test_supervisor_kills_a_child_that_ignores_sigterm():
    stubborn = Child(
        "stubborn",
        [PY, "-c", "import signal, time\n"
         "signal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint('up', flush=True)\n"
         "time.sleep(60)"],
    )  # fmt: skip
    quitter = Child("quitter", [PY, "-c", "import time; time.sleep(1)"])
    supervisor = Supervisor([stubborn, quitter], out=io.BytesIO(), stop_timeout=1)

    assert supervisor.run(until_ready=lambda: False, on_ready=lambda: None) == 1
    assert stubborn.process.returncode == -signal.SIGKILL


SUPERVISED = """
import sys
from kundig.ops.management.commands.web import bind_address, default_workers
from kundig.ops.staticfiles import collectstatic_if_changed
from kundig.ops.supervisor import Child, Supervisor
sleep = [sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)"]
sup = Supervisor([Child("a", sleep), Child("b", sleep)], stop_timeout=5)
code = sup.run(until_ready=lambda: True, on_ready=lambda: sup.say("READY"))
print("pids", *(c.process.pid for c in sup.children),
      *(c.process.returncode for c in sup.children), flush=True)
sys.exit(code)
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_supervisor_passes_a_signal_on_and_exits_cleanly(sig):
    process = subprocess.Popen(
        [PY, "-c", SUPERVISED], stdout=subprocess.PIPE, text=True
    )
    try:
        assert "READY" in _read_until(process, "READY")
        time.sleep(0.5)

        process.send_signal(sig)
        out, _ = process.communicate(timeout=20)
    finally:
        process.kill()

    assert process.returncode == 0
    pids_line = next(line for line in out.splitlines() if line.startswith("pids"))
    _, _, _, code_a, code_b = pids_line.split()
    assert (code_a, code_b) == (str(-signal.SIGTERM), str(-signal.SIGTERM))


def test_children_get_sigterm_when_the_supervisor_is_killed():
    process = subprocess.Popen(
        [PY, "-c", SUPERVISED + "\n"], stdout=subprocess.PIPE, text=True
    )
    try:
        _read_until(process, "READY")
        children = _children_of(process.pid)
        assert len(children) == 2

        process.kill()
        process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(p) for p in children):
            time.sleep(0.1)
    finally:
        process.kill()

    assert not any(_alive(p) for p in children)


def _read_until(process: subprocess.Popen, text: str, timeout: float = 20) -> str:
    seen = ""
    deadline = time.monotonic() + timeout
    while text not in seen and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen += line
    return seen


def _children_of(pid: int) -> list[int]:
    from pathlib import Path

    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def _alive(pid: int) -> bool:
    from pathlib import Path

    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


# --- kundig demo, for real ------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_demo(data_dir, port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [*kundig_argv(), "demo", "--port", str(port)],
        env=kundig_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_kundig_demo_serves_prints_the_login_and_reuses_its_data(tmp_path):
    # given a new database and a free port
    data_dir = migrated_data_dir(tmp_path)
    port = _free_port()

    # when the demo starts
    demo = _start_demo(data_dir, port)
    try:
        first = _read_until(demo, "Password:", timeout=300)
        # then it prints where it runs and how to log in, and serves the login page
        assert f"Kundig is running:  http://127.0.0.1:{port}" in first, first
        info = re.search(r"Log in with:\s+(\S+)\s+Password:\s+(\S+)", first)
        assert info, first
        login = urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/")
        assert login.status == 200
        # and its mail catcher keeps what the demo mailbox sends
        first += _read_until(demo, "Stop with Ctrl+C")
        assert f"Caught mail:        http://127.0.0.1:{port}/mail-catcher/" in first
        mail_port = int(re.search(r"SMTP 127\.0\.0\.1:(\d+)", first).group(1))
        assert query(data_dir, "SELECT email, smtp_port FROM messaging_mailbox") == [
            ("service@kundig.demo", mail_port)
        ]
        assert query(
            data_dir, "SELECT COUNT(*) FROM automation_playbook WHERE NOT is_active"
        ) == [(0,)]
        # (the demo's own first mails may be there already: its nightly scan)
        caught = data_dir / "mail" / "new"
        with smtplib.SMTP("127.0.0.1", mail_port, timeout=10) as smtp:
            smtp.sendmail("shop@kundig.demo", ["a@example.de"], b"Subject: Hi\r\n\r\n")
        assert [
            path for path in caught.iterdir() if b"Subject: Hi" in path.read_bytes()
        ]
        # and Ctrl+C stops web, worker and scheduler, exiting cleanly
        demo.send_signal(signal.SIGINT)
        rest, _ = demo.communicate(timeout=60)
    finally:
        demo.kill()
    assert demo.returncode == 0, rest
    assert "Kundig stopped." in rest

    # when it starts again, it reuses the data
    again = _start_demo(data_dir, port)
    try:
        second = _read_until(again, "Password:", timeout=300)
        assert "loaded before; reusing it" in second, second
        assert info.group(1) in second
        # and when one of its processes dies, it stops the others and fails
        worker = next(pid for pid in _children_of(again.pid) if b"worker" in _argv(pid))
        os.kill(worker, signal.SIGKILL)
        rest, _ = again.communicate(timeout=60)
    finally:
        again.kill()
    assert again.returncode == 128 + signal.SIGKILL, rest
    assert "worker stopped (killed by SIGKILL)" in rest
    assert _children_of(again.pid) == []


def _argv(pid: int) -> list[bytes]:
    from pathlib import Path

    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return []
