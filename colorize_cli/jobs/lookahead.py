"""Photos decoded and colorized ahead of their turn, in threads, while the runner writes the one
before. Only the pure part runs ahead (`pipeline.item.photo_work`: decode, network, colour math);
writing the file, the manifest and the results stay in the runner's thread, in order. On the CPU
most of a photo's colour math runs on one core, so two photos in flight keep both busy (measured
with `colorize bench`: README). At most `--photos-ahead` photos (default DEPTH) are computing,
plus the one being written.
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable

DEPTH = 2


def depth(options) -> int:
    return DEPTH if options.photos_ahead is None else options.photos_ahead


class LookAhead:
    def __init__(self, session, items: list, options, hints: dict | None = None):
        from colorize_cli.pipeline.item import photo_work

        hints = hints or {}
        self.work = lambda item: photo_work(session, item, options, hints.get(item.source))
        self.items = items
        self.depth = depth(options)
        self.pool = ThreadPoolExecutor(self.depth, thread_name_prefix="photo")
        self.futures: dict[int, Future] = {}

    @staticmethod
    def wanted(session, plan_items: list, options) -> bool:
        """Worth it: a CPU engine with two threads or more, more than one photo, and a depth."""
        return (str(session.engine.device) == "cpu" and (session.threads or 1) >= 2 and depth(options) > 0
                and sum(it.kind == "image" for it in plan_items) > 1)

    def start(self, first: int, worth: Callable) -> None:
        """Start the photos among the next `depth` items that `worth(item)` says will need work."""
        for j in range(first, min(first + self.depth, len(self.items))):
            item = self.items[j]
            if j not in self.futures and item.kind == "image" and worth(item):
                self.futures[j] = self.pool.submit(self.work, item)

    def take(self, i: int) -> Future | None:
        """Item i's started work (None: not started); the caller either passes it to
        process_item or drops it."""
        return self.futures.pop(i, None)

    def close(self) -> None:
        for f in self.futures.values():
            f.cancel()
        self.futures.clear()
        self.pool.shutdown(wait=True, cancel_futures=True)
