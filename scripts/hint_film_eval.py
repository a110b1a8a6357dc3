#!/usr/bin/env python3
"""Film hints measured: K true-colour points on one frame of a shot, against the automatic film.

  python scripts/hint_film_eval.py ../shared/data/video/*.mp4 --frames 96 --width 480

The same rows as `colorize eval --video CLIP --hints K` (colorize_cli/tools/film_hints_eval.py,
which says what is measured), here with the width and frame count as options.
"""
import argparse

from colorize_cli.api import Colorizer
from colorize_cli.tools.film_hints_eval import hinted_shot, markdown


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("clips", nargs="+")
    ap.add_argument("--frames", type=int, default=96)
    ap.add_argument("--width", type=int, default=480)
    ap.add_argument("--points", type=int, default=10)
    ap.add_argument("--model")
    args = ap.parse_args()
    cz = Colorizer(args.model, engine="cpu")
    rows = []
    for clip in args.clips:
        rows.append(hinted_shot(clip, cz, args.points, args.frames, args.width))
        print(markdown(rows[-1:]).splitlines()[-1], flush=True)
    print(markdown(rows))


if __name__ == "__main__":
    main()
