"""Work on more than one process or machine: Dask clients and parallel batches.

- :func:`dask_client`: a ``distributed.Client`` for ``"local"`` (a ``LocalCluster`` sized
  to this machine by Dask's defaults: one worker process per core on small machines) or
  for a scheduler address (``tcp://HOST:PORT``, e.g. a dask-jobqueue or Kubernetes
  cluster). The engine's passes then run as chunk tasks (``mecc.chunked``).
- :func:`run_rows`: the runs of a batch at once, each in a process of its own (``jobs``
  at a time) or as one Dask task per run file, each row of ``batch.csv`` in the order
  the files were given. A process or worker that dies fails its own run only.

Dask is imported only here, in ``mecc.chunked`` and in ``mecc.cluster_checks`` (a cluster
that cannot be used, in one line), when asked for.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

from mecc.errors import error_reason

__all__ = [
    "CONNECT_TIMEOUT",
    "children_ignore_interrupts",
    "dask_client",
    "describe_client",
    "run_rows",
]

CONNECT_TIMEOUT = "20s"
"""How long to wait for a Dask scheduler before giving up."""


@contextmanager
def dask_client(address, on_wait=None, **cluster_options):
    """A ``distributed.Client`` for the duration of the block.

    Parameters
    ----------
    address : str or distributed.Client
        ``"local"`` starts a ``LocalCluster`` on this machine (worker processes, closed
        afterwards); ``tcp://HOST:PORT`` (or any scheduler address) connects to a
        running cluster; a client is used as it is (and left open).
    on_wait : callable, optional
        ``on_wait(line)`` is told when the scheduler has no worker yet and mecc waits
        for one (:func:`mecc.cluster_checks.require_workers`).
    **cluster_options
        Passed to ``LocalCluster`` (e.g. ``n_workers``, ``memory_limit``).

    Raises
    ------
    mecc.errors.ConfigError
        The address cannot name a scheduler (:func:`mecc.cluster_checks.scheduler_address`).
    mecc.cluster_checks.ClusterError
        No scheduler answers at the address within :data:`CONNECT_TIMEOUT`, or it has no
        worker within :data:`mecc.cluster_checks.WORKER_WAIT` seconds (exit code 1).

    Notes
    -----
    While a client of its own lives, distributed's log lines are kept off the terminal
    (:func:`mecc.cluster_checks.quiet_logs`): a lost scheduler or worker is one line of
    mecc's (:func:`mecc.cluster_checks.cluster_problem`).
    """
    if not isinstance(address, str):
        yield address
        return
    from mecc.cluster_checks import ClusterError, quiet_logs, require_workers, scheduler_address

    if address != "local":
        address = scheduler_address(address)  # refused at once, before any wait
    from distributed import Client, LocalCluster

    with ExitStack() as stack:
        stack.enter_context(quiet_logs())
        if address == "local":
            # the workers' own error records are not printed: mecc says what failed in a line
            options = {
                "processes": True,
                "dashboard_address": ":8787",
                "silence_logs": logging.CRITICAL,
                **cluster_options,
            }
            with children_ignore_interrupts():  # Ctrl-C is the client's, not the workers'
                cluster = stack.enter_context(LocalCluster(**options))
            client = stack.enter_context(Client(cluster))
        else:
            try:
                client = Client(address, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError, ValueError) as error:
                raise ClusterError(
                    f"dask: cannot reach a Dask scheduler at {address} ({error_reason(error)})"
                ) from None
            stack.enter_context(client)
        require_workers(client, on_wait=on_wait)
        yield client


@contextmanager
def children_ignore_interrupts():
    """Processes started during the block never see SIGINT, from their first instruction.

    Ctrl-C reaches every process of the terminal's group: a child importing mecc, a
    Dask worker or nanny printed its own KeyboardInterrupt traceback, and died leaving
    its run's staging folder. SIGINT is blocked in this thread meanwhile: processes
    started from it, and from the threads it starts (a Dask cluster's, which also
    restart its workers), inherit the blocked signal across ``exec`` (as
    multiprocessing's resource tracker is protected, bpo-33613); this process stops
    them itself (SIGTERM, or by cancelling their tasks). A SIGINT or SIGTERM meanwhile
    is held, not lost, and acted on (the handler called) when the block ends: stopping
    in the middle of starting a process left it reading nothing, with a traceback.
    """
    if os.name == "nt" or threading.current_thread() is not threading.main_thread():
        yield
        return
    from multiprocessing import resource_tracker

    # started later, the tracker unblocks SIGINT in the thread that starts it
    resource_tracker.ensure_running()
    arrived: list = []
    previous = {
        signum: signal.signal(signum, lambda signum, frame: arrived.append(signum))
        for signum in (signal.SIGINT, signal.SIGTERM)
    }
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a SIGINT held back arrives
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if arrived:  # as it would have been handled
            handler = previous[arrived[0]]
            if callable(handler):
                handler(arrived[0], None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(arrived[0])


def describe_client(client) -> dict:
    """Scheduler address, dashboard link, workers and threads (for manifests and the CLI)."""
    threads = client.nthreads()
    return {
        "scheduler": client.scheduler.address,
        "dashboard": client.dashboard_link,
        "workers": len(threads),
        "threads": int(sum(threads.values())),
    }


def run_rows(
    config_paths, out_dirs, options: dict, *, jobs: int = 1, dask=None, on_row=None
) -> list:
    """Run every file at once (``jobs`` processes, or Dask tasks); rows of batch.csv.

    ``options`` are keyword arguments of ``mecc.run.run_country``; without a thread
    count, each process run gets its share of the CPUs and each Dask run one thread
    (the workers' threads give the parallelism). Run files and run folders are given to
    the workers as absolute paths (a Dask worker has a working folder of its own), and
    the rows name them as given. A run whose process or Dask worker stopped (killed, out
    of memory) is a failed row; the other runs go on. ``on_row(index, row)``, if given,
    is called here as each run ends (a batch records its finished runs as it goes).
    """
    pairs = [
        (os.path.abspath(p), os.path.abspath(o))
        for p, o in zip(config_paths, out_dirs, strict=True)
    ]
    if dask is not None:
        options = {**options, "threads": options.get("threads") or 1}
        rows = _dask_rows(pairs, options, dask, on_row)
    else:
        threads = options.get("threads") or max((os.cpu_count() or 1) // jobs, 1)
        rows = _process_rows(pairs, {**options, "threads": threads}, jobs, on_row)
    given = zip(config_paths, out_dirs, pairs, strict=True)
    return [
        _as_given(row, path, out, *full) for row, (path, out, full) in zip(rows, given, strict=True)
    ]


WORKER_STOPPED = "the worker process stopped (killed, or out of memory?)"
"""The message of a run whose process or Dask worker ended before the run did."""


def _as_given(row: dict, path, out, full_path: str, full_out: str) -> dict:
    """A row naming the run file and folder as the user gave them (not made absolute)."""
    message = row.get("message", "")
    if isinstance(message, str):
        message = message.replace(full_path, os.fspath(path)).replace(full_out, os.fspath(out))
    return {**row, "run_file": os.fspath(path), "out_dir": os.fspath(out), "message": message}


def _stopped_row(path, out, reason: str = WORKER_STOPPED) -> dict:
    from mecc.errors import EXIT_BAD_DATA

    return {
        "run_file": str(path),
        "out_dir": str(out),
        "status": "failed",
        "exit_code": EXIT_BAD_DATA,
        "message": reason,
        "warnings": 0,
        "seconds": float("nan"),
    }


def _process_rows(pairs, options: dict, jobs: int, on_row=None) -> list:
    """Each run in a process of its own, ``jobs`` at a time: a process that dies (kill,
    the out-of-memory killer) fails its own run only."""
    from concurrent.futures import FIRST_COMPLETED, wait
    from concurrent.futures.process import BrokenProcessPool

    from mecc.run import batch_row

    context = multiprocessing.get_context("spawn")
    parent = os.getpid()  # its workers end with it (killed -9: they ran on unseen)
    rows: list = [None] * len(pairs)
    waiting = list(range(len(pairs)))[::-1]
    running: dict = {}  # future -> (index, pool, process ids)
    try:
        while waiting or running:
            while waiting and len(running) < jobs:
                index = waiting.pop()
                with children_ignore_interrupts():  # the process starts here
                    pool = ProcessPoolExecutor(
                        1, mp_context=context, initializer=_start_worker, initargs=(parent,)
                    )
                    future = pool.submit(batch_row, *pairs[index], options)
                running[future] = (index, pool, list(getattr(pool, "_processes", None) or ()))
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for future in done:
                index, pool, pids = running.pop(future)
                try:
                    rows[index] = future.result()
                except BrokenProcessPool:  # the process died: its staging folder stays
                    rows[index] = _stopped_row(*pairs[index])
                    pool.shutdown(wait=True)
                    _remove_staging([pairs[index][1]], pids)
                pool.shutdown()
                if on_row is not None:
                    on_row(index, rows[index])
    except BaseException as error:  # Ctrl-C or SIGTERM: stop the batch now
        left = []
        for future, (index, pool, pids) in running.items():
            left += _stop(pool, [future], [pairs[index][1]], pids)
        name_leftovers(error, left)
        raise
    return rows


def _dask_rows(pairs, options: dict, dask, on_row=None) -> list:
    """One Dask task per run. Stopped (Ctrl-C, SIGTERM), the batch cancels its tasks,
    waits for the running ones to end (they stop at their next block and remove their
    staging folders; bounded) and then removes the staging folders of its runs that the
    workers left (:func:`_remove_staging`). A scheduler without workers is waited for
    (bounded), and one that is lost, or loses all its workers during the batch, stops
    it with a :class:`mecc.cluster_checks.ClusterError` (the runs that ended are kept)."""
    from mecc.cluster_checks import BATCH_STOPPED, WorkerWatch, cluster_problem, require_workers

    pids: dict = {}
    busy = None  # the workers whose tasks may still run, once stopped (None: not asked)
    try:
        with dask_client(dask) as client:
            require_workers(client)  # (tasks sent to a scheduler without any waited forever)
            pids = _worker_pids(client)
            futures = [
                client.submit(_dask_row, path, out, options, pure=False) for path, out in pairs
            ]
            watch = WorkerWatch(client)
            try:
                rows: dict = {}
                while len(rows) < len(futures):
                    for index, future in enumerate(futures):
                        if index not in rows and future.done():
                            rows[index] = _dask_result(future, *pairs[index])
                            if on_row is not None:
                                on_row(index, rows[index])
                    watch.check()  # all workers lost: one line, not a wait forever
                    time.sleep(0.1)  # not client.gather: stopped, it left asyncio tracebacks
                return [rows[index] for index in range(len(futures))]
            except BaseException as error:
                problem = cluster_problem(error, client, stopped=BATCH_STOPPED)
                if problem is not None:  # (a scheduler gone: every worker may still run)
                    busy = None if _gone(client) else _cancel_quietly(client, futures, pids)
                    raise problem from None
                busy = _cancel_quietly(client, futures, pids)
                raise
    except BaseException as error:
        busy = set(pids.values()) if busy is None else busy
        name_leftovers(error, _remove_staging([out for _, out in pairs], pids.values(), busy))
        raise


def _gone(client) -> bool:
    """Whether the client has lost its scheduler."""
    return getattr(client, "status", "running") != "running"


def _dask_result(future, path, out) -> dict:
    """The row a Dask task returned, or a failed row when its workers died (KilledWorker)."""
    from distributed import KilledWorker

    try:
        return future.result()
    except KilledWorker:
        return _stopped_row(path, out)


class _Cancelled(Exception):
    """Raised inside a Dask task whose batch was stopped: the run unwinds (its staging
    folder is removed) at its next block instead of running on unseen."""


def _dask_row(path, out, options: dict) -> dict:
    """A batch row on a Dask worker; the run stops at its next block once its task is
    cancelled (a Dask worker cannot end a running task itself)."""
    from distributed import get_worker
    from distributed.worker import thread_state

    from mecc.run import batch_row

    worker, key = get_worker(), getattr(thread_state, "key", None)

    def check(stage, done, total):
        task = worker.state.tasks.get(key)
        if key is not None and (task is None or task.state == "cancelled"):
            raise _Cancelled(f"{path}: the batch was stopped")

    return batch_row(path, out, {**options, "progress": check})


def _worker_pids(client) -> dict:
    """The process id of each Dask worker (to find staging folders they leave)."""
    try:
        return client.run(os.getpid)
    except Exception:  # noqa: BLE001 - only used to clean up after an interruption
        return {}


def _cancel_quietly(client, futures, pids: dict, wait_seconds: float = 15.0) -> set:
    """Cancel the batch's tasks and wait up to ``wait_seconds`` for the running ones to
    end (each stops at its next block, see :func:`_dask_row`); the process ids of the
    workers where one may still run (all of them when the workers cannot be asked)."""
    keys = {future.key for future in futures}
    busy = set(pids.values())
    try:
        client.cancel(futures, force=True)
        ends = time.monotonic() + wait_seconds
        while True:
            running = client.run(_running, keys)
            busy = {
                pids[address] for address, still in running.items() if still and address in pids
            }
            if not busy or time.monotonic() >= ends:
                return busy
            time.sleep(0.2)
    except BaseException:  # noqa: BLE001 - a second Ctrl-C, or the cluster went away
        return busy


def _running(keys, dask_worker=None) -> bool:
    """On a worker: whether one of ``keys`` still runs there (cancelled or not)."""
    tasks = dask_worker.state.tasks if dask_worker is not None else {}
    return any(key in tasks for key in keys)


STAGING_WAIT = 10.0
"""Seconds a stopped batch waits for a worker still running one of its runs to end."""


def _remove_staging(out_dirs, pids, busy=(), wait_seconds: float = STAGING_WAIT) -> list:
    """Remove the hidden staging folders (``.<name>.partial-<pid>-<hex>``, see
    :class:`mecc.outputs.OutputFolder`) of the batch's runs written by the given
    processes; those left, as paths (none, normally).

    A folder whose process runs none of the batch's runs any more (not in ``busy``) is
    abandoned even when the process lives on (a Dask worker); one whose process may
    still write it is removed once that process has ended, waiting up to
    ``wait_seconds`` in all (a process still shutting down looked alive, and its folder
    stayed).
    """
    from mecc.outputs import process_alive

    wanted = {int(pid) for pid in pids}
    busy = {int(pid) for pid in busy}
    ends = time.monotonic() + wait_seconds
    left = []
    for out in map(Path, out_dirs):
        for staging in sorted(out.parent.glob(f".{out.name}.partial-*")):
            pid = _staging_pid(staging, out.name)
            if pid is None or pid not in wanted or pid == os.getpid():
                continue
            while pid in busy and process_alive(pid) and time.monotonic() < ends:
                time.sleep(0.1)
            if pid not in busy or not process_alive(pid):
                shutil.rmtree(staging, ignore_errors=True)
            if staging.exists():
                left.append(staging)
    return left


def _staging_pid(staging: Path, name: str) -> int | None:
    """The process id in a staging folder's name ``.<name>.partial-<pid>-<hex>``."""
    pid = staging.name[len(f".{name}.partial-") :].split("-")[0]
    return int(pid) if pid.isdigit() else None


def name_leftovers(error: BaseException, paths) -> None:
    """Record on ``error`` (an interruption) the staging folders a stopped batch could not
    remove, so its message names them instead of saying nothing was left
    (``error.left_behind``, read by the command line)."""
    paths = [str(p) for p in paths]
    if not paths:
        return
    with suppress(AttributeError):  # an exception that takes no attributes: nothing to do
        error.left_behind = [*getattr(error, "left_behind", []), *paths]


def _start_worker(parent: int) -> None:
    """In a pool worker, first: Ctrl-C is the main process's (:func:`_leave_signals`),
    and the worker ends when the main process does (:func:`exit_with_parent`)."""
    _leave_signals()
    exit_with_parent(parent)


PARENT_POLL = 0.5
"""Seconds between a worker's checks that the process that started it still runs."""

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def exit_with_parent(parent: int, interval: float = PARENT_POLL) -> None:
    """End this process (a batch's worker) as soon as ``parent``, the process that started
    it, has ended.

    A batch killed with SIGKILL (or the out-of-memory killer) cannot stop its workers:
    they went on with their runs into the batch folder, unrecorded, and then waited for
    work forever (hundreds of megabytes each), as did multiprocessing's resource
    tracker (it ends once no process holds its pipe). On Linux the kernel sends this
    process SIGKILL when its parent dies (``prctl(PR_SET_PDEATHSIG)``); everywhere a
    daemon thread checks every ``interval`` seconds that the parent is still this
    process's parent, and ends the process when it is not. A run stopped so leaves its
    hidden staging folder, removed by the next run into the same folder (as a run
    killed by itself).
    """
    if sys.platform.startswith("linux"):
        with suppress(OSError, AttributeError, TypeError, ValueError):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent:  # already gone (before prctl took effect)
        os._exit(EXIT_PARENT_GONE)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(EXIT_PARENT_GONE)

    threading.Thread(target=watch, name="mecc-parent-watch", daemon=True).start()


EXIT_PARENT_GONE = 128 + 9
"""A worker's exit status once its batch is gone (as if killed with it)."""


def _leave_signals() -> None:
    """In a pool worker: Ctrl-C is the main process's to handle. A worker interrupted
    while holding the pool's queue lock left the main process waiting at exit forever.
    (The process already starts with SIGINT blocked, :func:`children_ignore_interrupts`;
    ignored, it stays quiet should anything unblock it.)"""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop(pool, futures, out_dirs, pids=()) -> list:
    """Cancel the runs not started, end the running ones and remove their hidden staging
    folders (``.<name>.partial-<pid>-...``, see :class:`mecc.outputs.OutputFolder`);
    those left, as paths. ``pids`` are the pool's processes as recorded when it started
    (a pool whose process died forgets it)."""
    for future in futures:
        future.cancel()
    workers = list((getattr(pool, "_processes", None) or {}).values())
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.join(timeout=10)
    pool.shutdown(wait=False, cancel_futures=True)
    ended = {*pids, *(worker.pid for worker in workers)}
    return _remove_staging(out_dirs, ended, ended)
