"""Work on more than one process or machine: Dask clients and parallel batches.

- :func:`dask_client`: a ``distributed.Client`` for ``"local"`` (a ``LocalCluster`` sized
  to this machine by Dask's defaults: one worker process per core on small machines) or
  for a scheduler address (``tcp://HOST:PORT``, e.g. a dask-jobqueue or Kubernetes
  cluster). The engine's passes then run as chunk tasks (``mecc.chunked``).
- :func:`run_rows`: the runs of a batch at once, in ``jobs`` processes or as one Dask
  task per run file, each row of ``batch.csv`` in the order the files were given.

Dask is imported only here and in ``mecc.chunked``, when asked for.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
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
    (the workers' threads give the parallelism).
    """
    from mecc.run import batch_row

    pairs = list(zip(config_paths, out_dirs, strict=True))
    if dask is not None:
        options = {**options, "threads": options.get("threads") or 1}
        with dask_client(dask) as client:
            futures = [
                client.submit(batch_row, path, out, options, pure=False) for path, out in pairs
            ]
            return client.gather(futures)
    threads = options.get("threads") or max((os.cpu_count() or 1) // jobs, 1)
    options = {**options, "threads": threads}
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_leave_signals)
    futures = [pool.submit(batch_row, path, out, options) for path, out in pairs]
    try:
        rows = [future.result() for future in futures]
    except BaseException:  # Ctrl-C or SIGTERM (or a worker lost): stop the batch now
        _stop(pool, futures, out_dirs)
        raise
    pool.shutdown()
    return rows


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
