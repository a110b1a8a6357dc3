"""A screenshot of `colorize edit` for the README, taken by headless Chromium as the tests drive it.

    python3 scripts/editor_screenshot.py ../shared/data/bw/deoldify_Texas1938Woman.jpg \
        --point 0.40,0.12,#9fb38a --point 0.72,0.72,#3f67a8 --point 0.57,0.42,#8c2f24 \
        --out models/cards/editor.jpg

Points are fractions of the picture's width and height and a colour; they are clicked and
coloured on the page like a user would. Needs Debian's chromium and chromium-driver, and Selenium.
"""
from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input")
    ap.add_argument("--point", action="append", default=[], help="FX,FY,#RRGGBB")
    ap.add_argument("--out", required=True)
    ap.add_argument("--size", default="1400,700", help="window W,H")
    a = ap.parse_args()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    hints = Path(tempfile.mkdtemp()) / "hints"
    ed = subprocess.Popen([sys.executable, "-m", "colorize_cli", "edit", a.input, "--hints", str(hints),
                           "--no-browser", "--engine", "cpu"], stdout=subprocess.PIPE, text=True)
    url = ed.stdout.readline().strip()
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={a.size}"):
        opts.add_argument(arg)
    drv = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)
    wait = WebDriverWait(drv, 120, poll_frequency=0.1)
    renders = lambda: int(drv.find_element("id", "result").get_attribute("data-renders") or 0)  # noqa: E731
    try:
        drv.get(url)
        wait.until(lambda d: renders() > 0)
        for spec in a.point:
            fx, fy, colour = spec.split(",")
            gray = drv.find_element("id", "gray")
            w, h = gray.size["width"], gray.size["height"]
            n = renders()
            ActionChains(drv).move_to_element_with_offset(gray, int((float(fx) - .5) * w),
                                                          int((float(fy) - .5) * h)).click().perform()
            wait.until(lambda d: renders() > n)
            n = renders()
            box = drv.find_element("id", "hex")
            box.clear()
            box.send_keys(colour, Keys.TAB)
            wait.until(lambda d: renders() > n and "busy" not in d.find_element("id", "result").get_attribute("class"))
        time.sleep(0.3)
        png = drv.get_screenshot_as_png()
        if a.out.lower().endswith((".jpg", ".jpeg")):     # a README picture: JPEG keeps the repository lean
            import io

            from PIL import Image

            Image.open(io.BytesIO(png)).convert("RGB").save(a.out, quality=85, optimize=True)
        else:
            Path(a.out).write_bytes(png)
    finally:
        drv.quit()
        ed.send_signal(signal.SIGINT)
        ed.wait(60)
    print(a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
