"""Is a `running` run still being written? The writer's host name, process id and heartbeat are on
the run row (`db.models.Run`); this module answers from them, for the readers and for the claim
that `--resume` makes (`db.store.reopen_run`).

- On this host: the run is alive while its process is, checked with `os.kill(pid, 0)`; on Linux the
  process must also have started before the run's last heartbeat (otherwise the id was reused by a
  newer process) and must not be a zombie.
- On another host the process cannot be checked: the run is alive while its heartbeat (the last
  start, resume or stored task) is younger than `stale_after()` (12 hours, or
  `HARNESS_RUN_STALE_AFTER_S` seconds). A task longer than that shows as `interrupted` from
  another host while it runs.
- Runs stored before the owner was recorded (no host): alive while `started_at` is younger than the
  same threshold.

"This host" is `socket.gethostname()`: containers that share a database file and a host name but
not a process namespace see each other's runs as dead; give them distinct host names.
"""

import os
import socket
from datetime import UTC, datetime, timedelta

from db.models import RunStatus, utcnow

STALE_AFTER_S = 12 * 3600
"""Default of `stale_after()`: how long a run on another host stays `running` without a heartbeat."""
_SLACK = timedelta(seconds=2)
"""Clock granularity between the kernel's process start time and the stored heartbeat."""


def stale_after() -> timedelta:
    """`HARNESS_RUN_STALE_AFTER_S` seconds, else 12 hours."""
    value = os.environ.get("HARNESS_RUN_STALE_AFTER_S", "")
    try:
        return timedelta(seconds=float(value)) if value else timedelta(seconds=STALE_AFTER_S)
    except ValueError:
        return timedelta(seconds=STALE_AFTER_S)


def this_host() -> str:
    return socket.gethostname()


def _process_start(pid: int) -> tuple[datetime, str] | None:
    """(start time in naive UTC, state letter) of a process, from Linux's /proc; None elsewhere."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open("/proc/stat", encoding="ascii") as f:
            btime = next(int(line.split()[1]) for line in f if line.startswith("btime "))
        started = btime + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError, StopIteration):
        return None
    return datetime.fromtimestamp(started, UTC).replace(tzinfo=None), fields[0]


def pid_alive(pid: int, heartbeat_at: datetime | None) -> bool:
    """Whether process `pid` of this host is alive and is the one that wrote `heartbeat_at`."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    except OSError:
        return False
    start = _process_start(pid)
    if start is None:
        return True
    started, state = start
    if state in ("Z", "X"):
        return False
    return heartbeat_at is None or started <= heartbeat_at + _SLACK


def writer_alive(
    host: str | None,
    pid: int | None,
    heartbeat_at: datetime | None,
    started_at: datetime | None,
    now: datetime | None = None,
) -> bool:
    """Whether the process recorded as a run's writer may still be writing it (see the module)."""
    if host is not None and pid is not None and host == this_host():
        return pid_alive(pid, heartbeat_at)
    last = heartbeat_at or started_at
    return last is not None and (now or utcnow()) - last < stale_after()


def shown_status(
    status: str,
    host: str | None,
    pid: int | None,
    heartbeat_at: datetime | None,
    started_at: datetime | None,
) -> str:
    """The stored status, except `interrupted` for a running run whose writer is gone (a status
    this version does not know is shown as stored)."""
    if status == RunStatus.running and not writer_alive(host, pid, heartbeat_at, started_at):
        return RunStatus.interrupted
    try:
        return RunStatus(status)
    except ValueError:
        return status
