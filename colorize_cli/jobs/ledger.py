"""The ledger: one story of an item's admission, publishing and record, told the same way by the
local runner and the Ray driver.

    got = ledger.admit(item)          # an ItemResult (skipped, conflict, failed, done earlier)
    if isinstance(got, Ticket):       # ... or a ticket: the fingerprint admitted, the item's
        with ledger.publishing(got):  #     configuration and whether it may replace its output
            res = ...                 # every rename into place is claimed in the manifest first
        ledger.record(got, res)

`NullLedger` is the same story for a run without a manifest (loose files): everything is admitted,
nothing is claimed or recorded, so callers never ask whether there is a manifest.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

from colorize_cli.errors import ColorizeError
from colorize_cli.io.atomic import before_publish
from colorize_cli.io.discover import WorkItem
from colorize_cli.jobs.manifest import Manifest, config_hash, fingerprint
from colorize_cli.results import DONE_EARLIER, ItemResult, error_text


@dataclass
class Ticket:
    """An admitted item: the fingerprint it was admitted with (None without a manifest), the
    item's configuration hash, and `replace`: its existing output may be replaced (--overwrite,
    or the output is this job's own file for this source)."""
    item: WorkItem
    fp: str | None
    config: str
    replace: bool
    hints: object = None


def item_config_hash(config: str, hints) -> str:
    """The item's configuration: the job's, and its hint file's content when it has one (a
    changed hint file redoes that item, an unchanged one does not)."""
    return config if hints is None else config_hash({"config": config, "hints": hints.digest})


class Ledger:
    def __init__(self, manifest: Manifest, config: str, options, verify: bool = False, hints: dict | None = None):
        self.manifest, self.config, self.options = manifest, config, options
        self.verify, self.hints = verify, hints or {}

    def admit(self, item: WorkItem) -> Ticket | ItemResult:
        """A Ticket when the item needs work (marked running), else its result."""
        foreign = self.foreign(item)
        if foreign is not None:
            return foreign
        replace = self.options.overwrite or item.output.exists()   # exists: by now, ours
        hints = self.hints.get(item.source)
        config = item_config_hash(self.config, hints)
        try:
            fp = fingerprint(item.source)
        except (ColorizeError, OSError) as e:
            error = str(e) if isinstance(e, ColorizeError) else f"{item.source}: {e.strerror or e}"
            self.manifest.mark(item.source, item.output, item.kind, "", config, "failed", error=error)
            return ItemResult.of(item, "failed", error=error)
        if self.manifest.is_done(item.source, item.output, fp, config, verify=self.verify):
            return ItemResult(str(item.source), str(item.output), item.kind, "skipped", warnings=[DONE_EARLIER])
        self.manifest.mark(item.source, item.output, item.kind, fp, config, "running")
        return Ticket(item, fp, config, replace, hints)

    def foreign(self, item: WorkItem) -> ItemResult | None:
        """An ItemResult when `item.output` exists and is not this job's file for this source (a
        user's file, another job's, or ours edited since): skipped with --skip-existing, else
        failed. None when the item may go ahead."""
        o = self.options
        if o.overwrite or not item.output.exists() or self.manifest.owns(item.source, item.output):
            return None
        if o.skip_existing:
            return ItemResult(str(item.source), str(item.output), item.kind, "skipped",
                              warnings=[f"{item.output}: exists and was not written by this job; left as is"])
        return ItemResult(str(item.source), str(item.output), item.kind, "failed",
                          error=f"{item.output}: output exists and was not written by this job "
                                f"(--overwrite replaces it)")

    def worth(self, item: WorkItem) -> bool:
        """A cheap guess that the item will be admitted (the look-ahead's); admit() decides."""
        rec = self.manifest.get(item.output)
        return self.foreign(item) is None and (rec is None or rec.status != "done")

    @contextmanager
    def publishing(self, ticket: Ticket):
        """Every file renamed into place inside the block is claimed in the manifest first (its
        identity recorded, the source re-checked against the ticket's fingerprint)."""
        source, fp = ticket.item.source, ticket.fp
        token = before_publish.set(lambda tmp, final: self.manifest.claim(source, final, tmp, fp))
        try:
            yield
        finally:
            before_publish.reset(token)

    def record(self, ticket: Ticket, res: ItemResult) -> None:
        status = {"done": "done", "skipped": "skipped"}.get(res.status, "failed")
        self.manifest.mark(ticket.item.source, ticket.item.output, ticket.item.kind, ticket.fp or "",
                           ticket.config, status, frames=res.frames, seconds=res.seconds, error=res.error)

    def segmented(self, ticket: Ticket, root):
        """The ticket's film as a SegmentedFilm (jobs.film), or its failed result (to record)."""
        from colorize_cli.jobs.film import SegmentedFilm

        try:
            film = SegmentedFilm(ticket.item, self.options, self.manifest, ticket.fp, ticket.config, root,
                                 replace=ticket.replace)
        except (ColorizeError, OSError) as e:
            return ItemResult.of(ticket.item, "failed", error=error_text(ticket.item, e))
        film.hints = ticket.hints
        return film

    def close(self) -> None:
        self.manifest.close()


class NullLedger(Ledger):
    """No manifest (loose files): every item is admitted as it is; nothing is claimed or recorded.
    Whether an existing output is replaced or skipped is then --overwrite / --skip-existing alone."""

    def __init__(self, config: str, options, hints: dict | None = None):
        super().__init__(None, config, options, hints=hints)

    def admit(self, item: WorkItem) -> Ticket:
        return Ticket(item, None, self.config, False, self.hints.get(item.source))

    def worth(self, item: WorkItem) -> bool:
        return not (self.options.skip_existing and item.output.exists())

    @contextmanager
    def publishing(self, ticket: Ticket):
        yield

    def record(self, ticket: Ticket, res: ItemResult) -> None:
        pass

    def segmented(self, ticket: Ticket, root):
        raise ColorizeError(f"{ticket.item.source}: a segmented film needs a job folder")

    def close(self) -> None:
        pass


def open_ledger(manifest: Manifest | None, config: str, options, verify: bool = False,
                hints: dict | None = None) -> Ledger:
    return NullLedger(config, options, hints) if manifest is None else Ledger(manifest, config, options, verify, hints)
