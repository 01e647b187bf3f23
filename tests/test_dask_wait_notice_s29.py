"""A run given a Dask scheduler without workers says, on a terminal, that it waits.

Before, `mecc run --dask tcp://...` on a scheduler whose workers had not started yet sat
silent for up to 30 s (mecc.cluster_checks.WORKER_WAIT) before its error line, and an
official could not tell a wait from a hang. Uses a real scheduler (`dask scheduler`).
"""

from __future__ import annotations

import mecc.commands.run
from tests.test_dask_failures import Watchdog, _case, cluster, short_waits  # noqa: F401


def _run(cli, cluster, tmp_path, *options):  # noqa: F811 - the fixture, passed on
    with Watchdog(cluster, 60) as watchdog:
        result = cli(
            *options, "run", _case(tmp_path), "--out", tmp_path / "out", "--no-map",
            "--dask", cluster.address,
        )  # fmt: skip
    assert not watchdog.fired, "the run waited for workers without end"
    assert result.exit_code == 1, result.output
    return [line for line in result.output.splitlines() if line.strip()]


def test_the_wait_for_a_worker_is_said_on_a_terminal(
    cli,
    tmp_path,
    cluster,  # noqa: F811
    short_waits,  # noqa: F811
    monkeypatch,
):
    cluster.start(workers=0)
    monkeypatch.setattr(mecc.commands.run, "bars_wanted", lambda quiet: not quiet)
    lines = _run(cli, cluster, tmp_path)
    assert lines == [
        f"dask: the scheduler at {cluster.address} has no worker yet; waiting up to 2 s "
        f"for one (dask worker {cluster.address})",
        f"error: dask: the Dask scheduler at {cluster.address} has no workers (waited 2 s); "
        f"start some (dask worker {cluster.address}) and run again",
    ]
    # -q: errors only
    assert _run(cli, cluster, tmp_path, "-q") == lines[1:]
