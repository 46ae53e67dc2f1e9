#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Run one mdevsim pytest file; exit 77 (skip) only when /dev/fuse is missing."""
import os
import sys

import pytest

if not os.path.exists("/dev/fuse"):
    print("SKIP: /dev/fuse is missing: the mdevsim FUSE tests cannot mount "
          "anything on this machine", file=sys.stderr)
    sys.exit(77)
if not os.environ.get("MDEVSIM"):
    print("MDEVSIM (the built mdevsim binary) is not set", file=sys.stderr)
    sys.exit(1)
here = os.path.dirname(os.path.abspath(__file__))
sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", "--rootdir", here,
                      os.path.join(here, sys.argv[1])] + sys.argv[2:]))
