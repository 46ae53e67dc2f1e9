# SPDX-License-Identifier: LGPL-2.1-or-later
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ndtest import daemon, make_daemon, real_libvirtd  # noqa: E402,F401
