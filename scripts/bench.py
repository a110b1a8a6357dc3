#!/usr/bin/env python3
"""Thin wrapper: the same as `colorize bench` (see `colorize bench --help`)."""
import sys

from colorize_cli.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
