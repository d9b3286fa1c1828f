"""A client process for the fault tests: ``python -m faultkit.emitter ...``.

It emits `Workload` records from several threads through a real `Shipper` and reports on
stdout, one JSON object per line:

* ``{"event": "first", ...}`` after emitting ``--first`` records per worker and flushing;
  then it waits for one line on stdin (the test breaks the collector meanwhile);
* ``{"event": "second", ...}`` after emitting ``--second`` more records per worker; then it
  simply exits, and the shipper's interpreter-exit hook spools what it could not deliver;
* ``{"event": "exit", ...}`` from its own exit hook, which runs after the shipper's.

With ``--deliver`` it emits nothing: it flushes (delivering the spool that other processes
left behind), reports ``{"event": "delivered", ...}`` and exits.
"""

from __future__ import annotations

import argparse
import atexit
import dataclasses
import json
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from agenttrace._internal.config import Settings
from agenttrace._internal.shipping import Shipper
from faultkit.workload import Workload

__all__ = ["main"]


def _report(event: str, shipper: Shipper, **extra: object) -> None:
    line = {"event": event, "stats": dataclasses.asdict(shipper.stats), **extra}
    print(json.dumps(line), flush=True)


def _emit(shipper: Shipper, workload: Workload, workers: int, indexes: range) -> None:
    def work(worker: int) -> None:
        for index in indexes:
            shipper.emit(workload.record(worker, index))

    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m faultkit.emitter")
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--spool-dir", type=Path, required=True)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--first", type=int, default=0, help="records per worker, then flush")
    parser.add_argument("--second", type=int, default=0, help="records per worker, then exit")
    parser.add_argument("--deliver", action="store_true", help="only flush the spool")
    parser.add_argument("--flush-timeout", type=float, default=120.0)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run as described in the module docstring."""
    args = _parser().parse_args(argv)
    settings = Settings.from_env(
        args.endpoint,
        spool_dir=args.spool_dir,
        queue_size=2_000,
        batch_size=500,
        flush_interval=0.05,
        request_timeout=5.0,
        retry_deadline=1.0,
        shutdown_timeout=5.0,
    )
    holder: list[Shipper] = []
    # registered before the shipper's own hook, so it runs after it (atexit is LIFO)
    atexit.register(lambda: _report("exit", holder[0]) if holder else None)
    shipper = Shipper(settings)
    holder.append(shipper)
    workload = Workload(args.run_id)
    if args.deliver:
        _report("delivered", shipper, flushed=shipper.flush(args.flush_timeout))
        return 0
    if args.first:
        _emit(shipper, workload, args.workers, range(args.first))
        _report("first", shipper, flushed=shipper.flush(args.flush_timeout))
        sys.stdin.readline()
    _emit(shipper, workload, args.workers, range(args.first, args.first + args.second))
    _report("second", shipper)
    return 0


if __name__ == "__main__":
    sys.exit(main())
