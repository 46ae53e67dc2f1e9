#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every source file that uses _() or N_() is listed in po/POTFILES, and
every listed file exists."""
import os
import re
import sys

USES = re.compile(r'\b_\(\s*"|\bN_\(\s*"')


def main(root):
    with open(os.path.join(root, "po", "POTFILES"), encoding="utf-8") as fh:
        listed = [l.strip() for l in fh if l.strip() and not l.startswith("#")]
    bad = []
    for f in listed:
        if not os.path.isfile(os.path.join(root, f)):
            bad.append(f"po/POTFILES lists '{f}', which does not exist")
    found = []
    for top in ("src", "tools"):
        for dirpath, _dirs, files in os.walk(os.path.join(root, top)):
            for f in files:
                if not f.endswith((".c", ".h")):
                    continue
                path = os.path.join(dirpath, f)
                rel = os.path.relpath(path, root)
                with open(path, encoding="utf-8", errors="replace") as fh:
                    if USES.search(fh.read()):
                        found.append(rel)
    for rel in sorted(found):
        if rel not in listed:
            bad.append(f"'{rel}' uses _() but is not in po/POTFILES")
    if listed != sorted(listed):
        bad.append("po/POTFILES is not sorted")
    for b in bad:
        print(b)
    print(f"potfiles: {len(found)} files with messages, {len(bad)} problem(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
