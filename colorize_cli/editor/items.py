"""What the hint editor works on: the inputs' items and, for each, the one hint file that
`colorize run INPUTS [-o OUT] --hints DIR` reads (jobs.hints), read back and saved atomically.

Paths come only from the inputs the editor was started with: a request names an item by its
index, never by a path.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from colorize_cli.errors import UsageError
from colorize_cli.hints import Hints, parse_json
from colorize_cli.io.discover import WorkItem
from colorize_cli.jobs.hints import check_item_hints, hint_file
from colorize_cli.jobs.runner import expand_inputs, hint_targets


def default_hints_dir(inputs) -> Path:
    """`<input folder>.hints` beside the input folder (a file's folder for file inputs): outside
    the inputs, so a later run over the folder never takes the hint files for photos."""
    from colorize_cli.files import as_paths

    first = Path(expand_inputs(as_paths(inputs))[0]).resolve()
    folder = first if first.is_dir() else first.parent
    return folder.with_name((folder.name or "colorize") + ".hints")


@dataclass
class EditItem:
    index: int
    item: WorkItem
    target: Path            # the .json the editor saves (DIR/<output's relative path>.json)
    label: str              # what the page calls it: its path within the job (a/b.tif), not only b.tif

    @property
    def kind(self) -> str:
        return "film" if self.item.kind == "video" else "photo"


class HintFolder:
    """The items of the inputs and their hint files under one folder."""

    def __init__(self, inputs, out=None, hints=None):
        items, self.root = hint_targets(inputs, out)
        self.dir = Path(hints) if hints is not None else default_hints_dir(inputs)
        if self.dir.exists() and not self.dir.is_dir():
            raise UsageError(f"{self.dir}: the editor saves a folder of hint files; this is a file "
                             f"(give --hints DIR)")
        self.items = [EditItem(i, it, self.dir / self._rel(it).with_suffix(".json"),
                               str(self._rel(it).with_suffix(it.source.suffix))) for i, it in enumerate(items)]
        self.inputs, self.out = [str(i) for i in inputs], out

    def _rel(self, item: WorkItem) -> Path:
        out = Path(item.output)
        return out.relative_to(self.root) if self.root is not None and out.is_relative_to(self.root) \
            else Path(out.name)

    def found(self, index: int) -> Path | None:
        """The hint file a run would take for this item (a .json, or a hint image), if any."""
        return hint_file(self.items[index].item, self.dir, self.root) if self.dir.is_dir() else None

    def load(self, index: int) -> dict:
        """The saved hints as the page edits them: {"points": [...]} or {"frames": {...}}, plus
        "image": the file's name when the run would take a hint image instead."""
        path = self.found(index)
        if path is None:
            return {}
        if path.suffix.lower() != ".json":
            return {"image": path.name}
        try:
            doc = json.loads(path.read_bytes().decode("utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise UsageError(f"{path}: cannot read the saved hints ({e})") from None
        return doc if isinstance(doc, dict) else {}

    def check(self, index: int, doc: dict) -> Hints:
        """The page's hints as a run would read them (UsageError with the reason if not)."""
        ei = self.items[index]
        data = json.dumps(doc).encode()
        hints = parse_json(data, str(ei.target))
        check_item_hints(hints, ei.item)
        return hints

    def save(self, index: int, doc: dict) -> Path:
        """Check, then write the hint file whole or not at all (temporary name, then rename)."""
        from colorize_cli.io.atomic import partial_path

        self.check(index, doc)
        target = self.items[index].target
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.parent.resolve().is_relative_to(self.dir.resolve()):
            raise UsageError(f"{target}: outside the hints folder {self.dir}; not written")
        if target.is_symlink() or (target.exists() and not target.is_file()):
            raise UsageError(f"{target}: not a regular file; not replaced")
        tmp = partial_path(target)
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(doc, f, indent=1)
                f.write("\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return target

    def command(self) -> str:
        """The run that applies the saved hints."""
        import shlex

        out = f" -o {shlex.quote(str(self.out))}" if self.out is not None else ""
        return f"colorize run {' '.join(map(shlex.quote, self.inputs))}{out} --hints {shlex.quote(str(self.dir))}"
