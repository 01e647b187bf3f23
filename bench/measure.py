"""Run a command; print its wall seconds, peak memory and exit code as one JSON line.

Benchmarks start commands through this small process so the child's peak resident
memory is its own: on Linux a child's ``ru_maxrss`` starts from its parent's memory
at fork, which for the benchmark process itself is several gigabytes.
"""

import json
import os
import subprocess
import sys
import time

start = time.perf_counter()
process = subprocess.Popen(sys.argv[1:])
_, status, usage = os.wait4(process.pid, 0)
print(
    json.dumps(
        {
            "seconds": time.perf_counter() - start,
            "peak_rss_mb": usage.ru_maxrss / 1024,
            "exit_code": os.waitstatus_to_exitcode(status),
        }
    )
)
