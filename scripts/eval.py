#!/usr/bin/env python3
"""Thin wrapper: the same as `colorize eval` (see `colorize eval --help`).

  python scripts/eval.py ../shared/data/val --model baseline-cnn --grid val_grid.jpg
"""
import sys

from colorize_cli.cli import main

if __name__ == "__main__":
    sys.exit(main(["eval", *sys.argv[1:]]))
