#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Run one mdevsim pytest file; exit 77 (skip) only when /dev/fuse is missing.

Each run gets its own temporary base directory (not the shared
/tmp/pytest-of-USER, which other pytest runs prune), and any mount left
below it is lazily unmounted before it is removed."""
import os
import shutil
import subprocess
import sys
import tempfile

import pytest


def mounts_below(base):
    base = os.path.realpath(base) + "/"
    with open("/proc/self/mountinfo", encoding="utf-8") as fh:
        points = [line.split()[4] for line in fh]
    return [p for p in points if p.startswith(base)]


def main():
    if not os.path.exists("/dev/fuse"):
        print("SKIP: /dev/fuse is missing: the mdevsim FUSE tests cannot "
              "mount anything on this machine", file=sys.stderr)
        return 77
    if not os.environ.get("MDEVSIM"):
        print("MDEVSIM (the built mdevsim binary) is not set", file=sys.stderr)
        return 1
    here = os.path.dirname(os.path.abspath(__file__))
    base = tempfile.mkdtemp(prefix="mdevsim-pytest-")
    try:
        return pytest.main(["-q", "-p", "no:cacheprovider", "--rootdir", here,
                            "--basetemp", os.path.join(base, "t"),
                            os.path.join(here, sys.argv[1])] + sys.argv[2:])
    finally:
        for point in mounts_below(base):
            subprocess.run(["fusermount3", "-u", "-z", point], check=False)
        if not mounts_below(base):
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
