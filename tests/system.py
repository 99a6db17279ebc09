"""Debian packages some tests need. `make test` installs them where it can (root with apt-get); elsewhere
these tests skip with a reason that says how to get them (pytest's -ra lists it at the end of the run)."""

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium: `sudo apt-get install chromium` (make test installs it when run as root)")
