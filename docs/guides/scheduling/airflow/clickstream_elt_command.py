"""Runs one `elt` command for the clickstream-elt DAGs and says whether its failure is worth a retry.

Copy this file beside clickstream_elt_dags.py into the dags folder. It imports nothing
from Airflow (the DAG file maps a failure onto Airflow's exceptions), so it also runs on
its own, as the project's tests run it:

    python3 clickstream_elt_command.py load --log-format json

Where things are (each can be changed in the environment of the Airflow worker):
    CLICKSTREAM_ELT_HOME         the checkout, after `npm ci` (default /opt/clickstream-elt)
    CLICKSTREAM_ELT_PROJECT_DIR  the project folder elt runs in: out/ goes there (default /srv/clickstream-elt)
    CLICKSTREAM_ELT_ENV_FILE     DATABASE_URL, ELT_SOURCE, ... (default /etc/clickstream-elt/elt.env, mode 0600)
    CLICKSTREAM_ELT_NODE         the node binary (default: node, found on PATH)
"""

from __future__ import annotations

import ctypes
import os
import re
import shlex
import signal
import subprocess
import sys
from typing import Callable, Optional

ELT_HOME = os.environ.get("CLICKSTREAM_ELT_HOME", "/opt/clickstream-elt")
PROJECT_DIR = os.environ.get("CLICKSTREAM_ELT_PROJECT_DIR", "/srv/clickstream-elt")
ENV_FILE = os.environ.get("CLICKSTREAM_ELT_ENV_FILE", "/etc/clickstream-elt/elt.env")
NODE = os.environ.get("CLICKSTREAM_ELT_NODE", "node")

# elt's exit codes (docs/reference/exit-codes.md). Only four are retried: the
# database, the lake or the stream may be back a few minutes later, and a reader's long
# transaction that held a lock (11) may have ended. The others say something a retry cannot
# change (a bad flag, a bad lake file, a failing model or data test).
RETRYABLE_EXIT_CODES = frozenset({3, 6, 8, 11})
EXIT_CODES = {
    1: "unexpected error",
    2: "bad usage or input",
    3: "the database cannot be reached",
    4: "a lake file failed to load",
    5: "a model failed to build or refresh",
    6: "the lake source cannot be reached or refused access",
    7: "a data test failed",
    8: "the message stream cannot be reached",
    9: "a source is stale",
    10: "a query ran past its --timeout",
    11: "waited --lock-wait-seconds for a lock another session holds",
    12: "elt explain: the mart has no row with the key given",
    13: "elt status: something needs attention (a failed or unfinished object, a missing or stale mart)",
    14: "elt diff --env: the environment's marts differ from production's",
    130: "interrupted (SIGINT)",
    143: "stopped (SIGTERM)",
}

# at most this many seconds between SIGTERM and SIGKILL when the task is stopped (elt rolls back and exits)
STOP_GRACE_SECONDS = 90

_ENV_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")

# prctl(PR_SET_PDEATHSIG) on Linux: the kernel signals elt when the task process dies
_PR_SET_PDEATHSIG = 1


class EltFailed(Exception):
    """elt exited with a code other than 0."""

    def __init__(self, command: str, code: int) -> None:
        self.command = command
        self.code = code
        self.retryable = code in RETRYABLE_EXIT_CODES
        meaning = EXIT_CODES.get(code, "unknown exit code")
        advice = "retrying may fix it" if self.retryable else "not retried: a retry cannot fix it"
        super().__init__(f"elt {command} exited {code} ({meaning}): {advice}")


def read_env_file(path: str) -> dict[str, str]:
    """NAME=value lines (blank lines and # comments skipped), as sh and systemd read them when no value is quoted.

    The file names the database elt writes to: refused when another account could have written
    it (owned by someone else than this account or root, or writable by its group or others).
    """
    values: dict[str, str] = {}
    with open(path, encoding="utf-8") as lines:
        stat = os.fstat(lines.fileno())
        if stat.st_uid not in (os.getuid(), 0):
            raise ValueError(f"{path}: owned by uid {stat.st_uid}, not by this account or root")
        if stat.st_mode & 0o022:
            raise ValueError(f"{path}: writable by its group or others (chmod go-w {path}; 0600: it holds a password)")
        for number, line in enumerate(lines, start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            match = _ENV_LINE.match(line)
            if not match:
                raise ValueError(f"{path}:{number}: not a NAME=value line")
            values[match.group(1)] = match.group(2)
    return values


def _stop_with_task() -> Optional[Callable[[], None]]:
    """What elt's process does before it starts: ask for SIGTERM when the task process dies, however it
    dies (killed outright, no finally clause run), so that no elt is left running alone. Linux only."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up here: nothing to load after the fork
    except (OSError, AttributeError):
        return None
    task = os.getpid()

    def in_child() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != task:  # the task died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return in_child


def run_elt(command: str) -> int:
    """Runs `node bin/elt.js <command>` in the project folder, its output into the task's log; returns its exit code."""
    settings = read_env_file(ENV_FILE)
    if not settings.get("DATABASE_URL"):
        raise ValueError(f"{ENV_FILE}: no DATABASE_URL (elt would start an embedded Postgres in {PROJECT_DIR})")
    argv = [NODE, os.path.join(ELT_HOME, "bin", "elt.js"), *shlex.split(command)]
    process = subprocess.Popen(
        argv,
        cwd=PROJECT_DIR,
        env={**os.environ, **settings},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=_stop_with_task(),
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            print(line, end="", flush=True)
        return process.wait()
    finally:
        # the task was stopped (execution_timeout, marked failed): stop elt too, cleanly first
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def elt(command: str) -> None:
    """Runs `elt <command>`; raises EltFailed, which says whether a retry may help, unless it exits 0."""
    code = run_elt(command)
    if code != 0:
        raise EltFailed(command, code)


if __name__ == "__main__":
    try:
        elt(shlex.join(sys.argv[1:]))
    except EltFailed as failed:
        print(f"clickstream-elt: {failed}", file=sys.stderr)
        sys.exit(failed.code)
