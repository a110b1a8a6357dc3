#!/usr/bin/env python3
"""Example: scripted digitization of an archive with the colorize Python API.

  python scripts/digitize_archive.py /archive/scans /archive/colour --model baseline-cnn

Runs like `colorize run SRC -o DST`: a manifest in DST makes the script resumable (run it again
after a crash or reboot and finished files are skipped), failures are collected, not fatal.
"""
import argparse
import json
import sys

from colorize_cli.api import Colorizer, RunOptions


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("source")
    ap.add_argument("dest")
    ap.add_argument("--model", default="baseline-cnn")
    ap.add_argument("--engine", default="auto")
    ap.add_argument("--segment-seconds", type=float, default=300, help="films are done in segments")
    args = ap.parse_args()

    cz = Colorizer(model=args.model, engine=args.engine)
    print(cz.describe(), file=sys.stderr)
    options = RunOptions(segment_seconds=args.segment_seconds)
    failed = []

    def on_item(item):  # progress callback: called before each file
        print(f"-> {item.source}", file=sys.stderr)

    for result in cz.run([args.source], out=args.dest, options=options, on_item=on_item):
        print(json.dumps(result.to_dict()))          # one JSON line per file, for your own records
        if result.status == "failed":
            failed.append(result.error)
    for err in failed:
        print(f"failed: {err}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
