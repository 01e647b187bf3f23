"""A Dask cluster that cannot be used, said in one line (exit code 1, an environment problem).

- :func:`scheduler_address`: a ``--dask`` address that cannot name a scheduler mecc can
  reach (no host, a port outside 1-65535, a scheme other than ``tcp://``; ``tls://`` needs
  certificates the command line cannot pass) is refused at once, before connecting: a
  :class:`~mecc.errors.ConfigError` (exit code 2).
- :func:`require_workers`: a scheduler with no worker is waited for :data:`WORKER_WAIT`
  seconds at most, then refused (a run or a batch waited forever, or ended with
  distributed's ``No valid workers found``).
- :func:`cluster_problem`: distributed's own exceptions when the scheduler or the workers
  are lost in the middle of a run (``FutureCancelledError``, ``CommClosedError``,
  ``KilledWorker``) as a :class:`ClusterError` naming the cause and the scheduler's
  address; the run's staging folder goes as for any other error, so nothing is left
  half-written.
- :func:`quiet_logs`: distributed's log lines (``Couldn't gather 1 keys, rescheduling``,
  a lost connection's traceback) kept off the terminal while mecc's own client lives:
  mecc says what failed in one line, and a worker lost among others changes nothing
  (its chunks run again elsewhere, to the same numbers).

Dask is imported here only when a client is given.
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager, suppress
from urllib.parse import urlsplit

from mecc.errors import EXIT_BAD_DATA, ConfigError, MeccError, error_reason

__all__ = [
    "BATCH_STOPPED",
    "RUN_STOPPED",
    "WORKER_WAIT",
    "ClusterError",
    "WorkerWatch",
    "cluster_problem",
    "quiet_logs",
    "require_workers",
    "scheduler_address",
]

WORKER_WAIT = 30.0
"""Seconds a run or batch waits for a Dask scheduler to have a worker (at the start, or
once all its workers were lost) before giving up."""

_USAGE = "give 'local' or a scheduler address tcp://HOST:PORT"
RUN_STOPPED = "the run stopped and left nothing"
BATCH_STOPPED = "the batch stopped; the runs that finished are kept"


class ClusterError(MeccError, ConnectionError):
    """The Dask cluster cannot be used: its scheduler does not answer or was lost, it has
    no workers, or its workers were lost (exit code 1: the machines, not the data or the
    command, are at fault; run again once the cluster is back)."""

    exit_code = EXIT_BAD_DATA


def scheduler_address(address: str) -> str:
    """``address`` if it can name a Dask scheduler (``tcp://HOST:PORT``, ``HOST:PORT``).

    Raises
    ------
    mecc.errors.ConfigError
        No scheme and no port, an unsupported scheme, no host, or a port that is not a
        number from 1 to 65535.
    """
    text = address.strip()
    if "://" not in text and ":" not in text:
        raise ConfigError(f"dask: {_USAGE}, not {address!r}")
    scheme, rest = text.split("://", 1) if "://" in text else ("tcp", text)
    scheme = scheme.lower()
    if scheme in ("tls", "wss"):
        raise ConfigError(
            f"dask: {scheme}:// needs certificates (Dask security settings), which --dask "
            "cannot pass; in Python, give run_country(..., dask=client) a "
            "distributed.Client(address, security=...), or use a tcp:// address"
        )
    if scheme != "tcp":
        raise ConfigError(f"dask: {_USAGE}, not {address!r} ({scheme}:// is not supported)")
    try:
        parts = urlsplit(f"tcp://{rest}")
        port = parts.port
    except ValueError:
        raise ConfigError(
            f"dask: the port of {address!r} must be a number from 1 to 65535"
        ) from None
    if port == 0:
        raise ConfigError(f"dask: the port of {address!r} must be a number from 1 to 65535")
    if not parts.hostname:
        raise ConfigError(f"dask: {address!r} names no host; {_USAGE}")
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise ConfigError(f"dask: {_USAGE}, not {address!r}")
    return text


def _address(client) -> str:
    """The scheduler's address, for messages (also once the connection is gone)."""
    with suppress(Exception):
        address = client.scheduler.address
        if address:
            return str(address)
    return "the Dask scheduler"


def _workers(client, default=None):
    """How many workers the scheduler has (``default`` when it cannot be asked)."""
    try:
        return len(client.nthreads())
    except Exception:  # noqa: BLE001 - the scheduler is gone: the caller says so
        return default


def require_workers(
    client, wait: float | None = None, stopped: str | None = None, on_wait=None
) -> None:
    """Return once the scheduler has a worker; after ``wait`` seconds
    (:data:`WORKER_WAIT`), a :class:`ClusterError`.

    ``stopped`` (:data:`RUN_STOPPED`, :data:`BATCH_STOPPED`), when given, says the work
    was under way and lost its workers: the message says so, and ends with it.
    ``on_wait(line)``, when given, is called once with a line saying what is awaited
    when the scheduler has no worker yet (the command line shows it on a terminal, so
    the wait is not a silent one).

    Raises
    ------
    ClusterError
        No worker came, or the scheduler stopped answering.
    """
    wait = WORKER_WAIT if wait is None else wait
    address = _address(client)
    if on_wait is not None and _workers(client, 1) == 0:
        on_wait(
            f"dask: the scheduler at {address} has no worker yet; waiting up to {wait:g} s "
            f"for one (dask worker {address})"
        )
    try:
        client.wait_for_workers(1, timeout=wait)
    except Exception as error:
        if _workers(client, 0):  # a worker came as the wait ended
            return
        problem = cluster_problem(error, client, stopped=stopped or RUN_STOPPED)
        if problem is not None and _workers(client) is None:
            raise problem from None
        if stopped is not None:
            raise ClusterError(
                f"dask: the cluster's workers were lost (none came back to the scheduler at "
                f"{address} within {wait:g} s); {stopped}"
            ) from None
        raise ClusterError(
            f"dask: the Dask scheduler at {address} has no workers (waited {wait:g} s); "
            f"start some (dask worker {address}) and run again"
        ) from None


class WorkerWatch:
    """A check, as a run or batch waits for its tasks, that the cluster still has workers:
    :meth:`check` raises :class:`ClusterError` once there has been none for ``wait``
    seconds (the runs' tasks would wait for one forever)."""

    def __init__(
        self, client, wait: float | None = None, every: float = 1.0, stopped=BATCH_STOPPED
    ):
        self.client = client
        self.stopped = stopped
        self.wait = WORKER_WAIT if wait is None else wait
        self.every = every
        self.asked = time.monotonic()
        self.since = None  # when the workers were first seen gone

    def check(self) -> None:
        now = time.monotonic()
        if now - self.asked < self.every:
            return
        self.asked = now
        try:
            workers = len(self.client.nthreads())
        except Exception as error:
            raise cluster_problem(error, self.client, stopped=self.stopped) or error from None
        if workers:
            self.since = None
            return
        self.since = now if self.since is None else self.since
        if now - self.since >= self.wait:
            raise ClusterError(
                f"dask: the cluster's workers were lost (the scheduler at "
                f"{_address(self.client)} has had none for {self.wait:g} s); {self.stopped}"
            )


def cluster_problem(
    error: BaseException, client, task: str = "a task", stopped: str = RUN_STOPPED
) -> ClusterError | None:
    """``error``, raised by distributed while a run used ``client``, as a one-line
    :class:`ClusterError`; None when it is not about the cluster (a task's own error).

    Parameters
    ----------
    error : BaseException
    client : distributed.Client
    task : str
        What the tasks were, for a task whose workers kept dying (``"chunk 3 of 12"``).
    stopped : str
        What became of the work, ending the message (:data:`RUN_STOPPED`,
        :data:`BATCH_STOPPED`).
    """
    from concurrent.futures import CancelledError

    from distributed import KilledWorker
    from distributed.comm.core import CommClosedError

    if isinstance(error, ClusterError):
        return error
    address = _address(client)
    if isinstance(error, KilledWorker):
        return ClusterError(
            f"dask: the workers that ran {task} died {error.allowed_failures + 1} times "
            "(killed, or out of memory?); give the workers more memory, or smaller chunks "
            f"(--chunk-size); {stopped}"
        )
    if not isinstance(error, CancelledError | OSError | TimeoutError):
        return None
    connected = getattr(client, "status", "running") == "running"
    lost = isinstance(error, CommClosedError) or "connection-lost" in str(
        getattr(error, "reason", "")
    )
    workers = None if lost or not connected else _workers(client)
    if workers is None and (lost or not connected or isinstance(error, CancelledError)):
        return ClusterError(
            f"dask: lost the Dask scheduler at {address} ({_why(error)}); {stopped}"
        )
    if not isinstance(error, CancelledError):
        return None  # a task's own OSError or TimeoutError
    reason = str(getattr(error, "reason", ""))
    if workers == 0 or "forgotten" in reason or "lost dependencies" in reason:
        if workers:
            return ClusterError(
                f"dask: the run's inputs were lost with the workers that held them (the "
                f"scheduler at {address} has {workers} left); {stopped}"
            )
        return ClusterError(
            f"dask: the cluster's workers were lost (the scheduler at {address} has none "
            f"left); {stopped}"
        )
    return ClusterError(
        f"dask: the scheduler at {address} cancelled the tasks ({_why(error)}); {stopped}"
    )


def _why(error: BaseException) -> str:
    """distributed's reason, short: a cancelled task's reason, else the first line."""
    reason = getattr(error, "reason", None)
    if reason:
        return str(reason).replace("-", " ")
    text = error_reason(error) if isinstance(error, Exception) else type(error).__name__
    return text.rsplit(">: ", 1)[-1]  # not distributed's "in <TCP (closed) ...>: " prefix


class _Drop(logging.Filter):
    """Drops the records of the named loggers and of their children."""

    def __init__(self, names):
        super().__init__()
        self.names = tuple(names)

    def filter(self, record) -> bool:
        return not any(record.name == n or record.name.startswith(f"{n}.") for n in self.names)


@contextmanager
def quiet_logs(names=("distributed", "tornado")):
    """The log records of distributed and tornado kept off the terminal in the block
    (whichever handlers print them: their own, or the root logger's)."""
    drop = _Drop(names)
    loggers = [logging.getLogger()] + [
        logging.getLogger(name)
        for name in list(logging.root.manager.loggerDict)
        if not drop.filter(logging.makeLogRecord({"name": name}))
    ]
    handlers = {handler for logger in loggers for handler in logger.handlers}
    for handler in handlers:
        handler.addFilter(drop)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(drop)
