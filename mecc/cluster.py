"""Work on more than one process or machine: Dask clients and parallel batches.

- :func:`dask_client`: a ``distributed.Client`` for ``"local"`` (a ``LocalCluster`` sized
  to this machine by Dask's defaults: one worker process per core on small machines) or
  for a scheduler address (``tcp://HOST:PORT``, e.g. a dask-jobqueue or Kubernetes
  cluster). The engine's passes then run as chunk tasks (``mecc.chunked``).
- :func:`run_rows`: the runs of a batch at once, each in a process of its own (``jobs``
  at a time) or as one Dask task per run file, each row of ``batch.csv`` in the order
  the files were given. A process or worker that dies fails its own run only.

Dask is imported only here and in ``mecc.chunked``, when asked for.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

from mecc.errors import ConfigError

__all__ = ["CONNECT_TIMEOUT", "dask_client", "describe_client", "run_rows"]

CONNECT_TIMEOUT = "20s"
"""How long to wait for a Dask scheduler before giving up."""


@contextmanager
def dask_client(address, **cluster_options):
    """A ``distributed.Client`` for the duration of the block.

    Parameters
    ----------
    address : str or distributed.Client
        ``"local"`` starts a ``LocalCluster`` on this machine (worker processes, closed
        afterwards); ``tcp://HOST:PORT`` (or any scheduler address) connects to a
        running cluster; a client is used as it is (and left open).
    **cluster_options
        Passed to ``LocalCluster`` (e.g. ``n_workers``, ``memory_limit``).

    Raises
    ------
    mecc.errors.ConfigError
        The address is not a scheduler that answers.
    """
    if not isinstance(address, str):
        yield address
        return
    from distributed import Client, LocalCluster

    if address == "local":
        # the workers' own error records are not printed: mecc says what failed in a line
        options = {
            "processes": True,
            "dashboard_address": ":8787",
            "silence_logs": logging.CRITICAL,
            **cluster_options,
        }
        with LocalCluster(**options) as cluster, Client(cluster) as client:
            yield client
        return
    if "://" not in address and ":" not in address:
        raise ConfigError(
            f"dask: give 'local' or a scheduler address tcp://HOST:PORT, not {address!r}"
        )
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as error:
        raise ConfigError(f"dask: cannot reach a Dask scheduler at {address} ({error})") from None
    with client:
        yield client


def describe_client(client) -> dict:
    """Scheduler address, dashboard link, workers and threads (for manifests and the CLI)."""
    threads = client.nthreads()
    return {
        "scheduler": client.scheduler.address,
        "dashboard": client.dashboard_link,
        "workers": len(threads),
        "threads": int(sum(threads.values())),
    }


def run_rows(config_paths, out_dirs, options: dict, *, jobs: int = 1, dask=None) -> list:
    """Run every file at once (``jobs`` processes, or Dask tasks); rows of batch.csv.

    ``options`` are keyword arguments of ``mecc.run.run_country``; without a thread
    count, each process run gets its share of the CPUs and each Dask run one thread
    (the workers' threads give the parallelism). Run files and run folders are given to
    the workers as absolute paths (a Dask worker has a working folder of its own), and
    the rows name them as given. A run whose process or Dask worker stopped (killed, out
    of memory) is a failed row; the other runs go on.
    """
    pairs = [
        (os.path.abspath(p), os.path.abspath(o))
        for p, o in zip(config_paths, out_dirs, strict=True)
    ]
    if dask is not None:
        options = {**options, "threads": options.get("threads") or 1}
        rows = _dask_rows(pairs, options, dask)
    else:
        threads = options.get("threads") or max((os.cpu_count() or 1) // jobs, 1)
        rows = _process_rows(pairs, {**options, "threads": threads}, jobs)
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


def _process_rows(pairs, options: dict, jobs: int) -> list:
    """Each run in a process of its own, ``jobs`` at a time: a process that dies (kill,
    the out-of-memory killer) fails its own run only."""
    from concurrent.futures import FIRST_COMPLETED, wait
    from concurrent.futures.process import BrokenProcessPool

    from mecc.run import batch_row

    context = multiprocessing.get_context("spawn")
    rows: list = [None] * len(pairs)
    waiting = list(range(len(pairs)))[::-1]
    running: dict = {}  # future -> (index, pool, process ids)
    try:
        while waiting or running:
            while waiting and len(running) < jobs:
                index = waiting.pop()
                pool = ProcessPoolExecutor(1, mp_context=context, initializer=_leave_signals)
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
    except BaseException:  # Ctrl-C or SIGTERM: stop the batch now
        for future, (index, pool, _pids) in running.items():
            _stop(pool, [future], [pairs[index][1]])
        raise
    return rows


def _dask_rows(pairs, options: dict, dask) -> list:
    """One Dask task per run. Stopped (Ctrl-C, SIGTERM), the batch cancels its tasks,
    waits briefly for the running ones to end (they stop at their next block and
    remove their staging folders) and removes the staging folders left by workers
    that were ended instead."""
    pids: dict = {}
    try:
        with dask_client(dask) as client:
            pids = _worker_pids(client)
            futures = [
                client.submit(_dask_row, path, out, options, pure=False) for path, out in pairs
            ]
            try:
                while not all(future.done() for future in futures):
                    time.sleep(0.1)  # not client.gather: stopped, it left asyncio tracebacks
                return [_dask_result(f, *pair) for f, pair in zip(futures, pairs, strict=True)]
            except BaseException:
                _cancel_quietly(client, futures)
                raise
    except BaseException:
        _remove_staging([out for _, out in pairs], pids.values())
        raise


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


def _cancel_quietly(client, futures, wait_seconds: float = 15.0) -> None:
    """Cancel the batch's tasks and wait up to ``wait_seconds`` for the running ones to
    end (each stops at its next block, see :func:`_dask_row`)."""
    keys = {future.key for future in futures}
    try:
        client.cancel(futures, force=True)
        ends = time.monotonic() + wait_seconds
        while time.monotonic() < ends and any(client.run(_running, keys).values()):
            time.sleep(0.2)
    except BaseException:  # noqa: BLE001 - a second Ctrl-C, or the cluster went away
        pass


def _running(keys, dask_worker=None) -> bool:
    """On a worker: whether one of ``keys`` still runs there (cancelled or not)."""
    tasks = dask_worker.state.tasks if dask_worker is not None else {}
    return any(key in tasks for key in keys)


def _remove_staging(out_dirs, pids) -> None:
    """Remove the staging folders of the batch's runs written by the given processes
    that have ended (:func:`mecc.outputs.remove_abandoned`)."""
    from mecc.outputs import remove_abandoned

    for out in out_dirs:
        remove_abandoned(out, pids)


def _leave_signals() -> None:
    """In a pool worker: Ctrl-C is the main process's to handle. A worker interrupted
    while holding the pool's queue lock left the main process waiting at exit forever."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop(pool, futures, out_dirs) -> None:
    """Cancel the runs not started, end the running ones and remove their hidden staging
    folders (``.<name>.partial-<pid>-...``, see :class:`mecc.outputs.OutputFolder`)."""
    import shutil
    from pathlib import Path

    for future in futures:
        future.cancel()
    workers = list((getattr(pool, "_processes", None) or {}).values())
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.join(timeout=10)
    pool.shutdown(wait=False, cancel_futures=True)
    for out in map(Path, out_dirs):
        for worker in workers:
            for staging in out.parent.glob(f".{out.name}.partial-{worker.pid}-*"):
                shutil.rmtree(staging, ignore_errors=True)
