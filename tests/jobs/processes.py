"""Real ``flask`` processes for the scheduler tests: started with a log file, always killed."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 30.0


class Process:
    def __init__(self, args: list[str], log: Path, env: dict[str, str]) -> None:
        self.log = log
        self._file = open(log, "w")  # noqa: SIM115 (closed in stop)
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "straxlab", *args],
            cwd=ROOT,
            env=env,
            stdout=self._file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def text(self) -> str:
        return self.log.read_text()

    def wait_for(self, pattern: str, *, count: int = 1, timeout: float = TIMEOUT_S) -> str:
        """Wait until the log matches ``pattern`` ``count`` times; the log so far."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.text()
            if len(re.findall(pattern, text)) >= count:
                return text
            if self.popen.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"{pattern!r} not in the log of {self.popen.args}:\n{self.text()}")

    def signal(self, signum: int) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signum)

    def stop(self) -> None:
        """Kill the process and its children (the reloader's child), by process group."""
        with contextlib.suppress(ProcessLookupError):
            self.signal(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(10)
        self._file.close()


def environment(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("STRAXLAB_", "WERKZEUG_", "FLASK_", "MAIL_"))
        and key not in {"DATABASE_URL", "TEST_DATABASE_URL"}
    }
    env.update(
        DATABASE_URL=database_url,
        STRAXLAB_ENV="development",
        STRAXLAB_INSTANCE_PATH=str(instance),
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


@contextlib.contextmanager
def running(*processes: Process) -> Iterator[None]:
    try:
        yield
    finally:
        for process in processes:
            process.stop()
