#!/usr/bin/env python3
"""Renders an SVG flame graph to PNG in headless Chromium (for the README's picture of the demo).

Usage: scripts/screenshot_svg.py IN.svg OUT.png [WIDTH HEIGHT]   (default: the SVG's own size)
"""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
from chromium import Chromium, find_chromium  # noqa: E402


def main():
    if len(sys.argv) not in (3, 5):
        sys.exit(__doc__.strip())
    exe = find_chromium()
    if not exe:
        sys.exit("chromium is not installed (apt-get install chromium)")
    profile_dir = tempfile.mkdtemp(prefix="pyflame-shot-")
    browser = Chromium(exe, profile_dir)
    try:
        browser.open("file://" + os.path.abspath(sys.argv[1]))
        if len(sys.argv) == 5:
            width, height = int(sys.argv[3]), int(sys.argv[4])
        else:
            width = int(browser.js("document.documentElement.width.baseVal.value"))
            height = int(browser.js("document.documentElement.height.baseVal.value"))
        browser.screenshot(sys.argv[2], width, height)
    finally:
        browser.close()
        shutil.rmtree(profile_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
