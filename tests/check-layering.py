#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fail when a file includes a header from a layer above its own.

Layers, bottom up: util <- conf <- node_device <- rpc <- remote.
A layer may include its own headers and those of layers below it.
"""
import os
import re
import sys

LAYERS = ["util", "conf", "node_device", "rpc", "remote"]
INCLUDE = re.compile(r'^\s*#\s*include\s+"(?:\.\./)?(?:src/)?([a-z_]+)/')


def layer_of_header(name, headers):
    """Map a bare header name ("nderror.h") to the layer that holds it."""
    return headers.get(name)


def main(root):
    src = os.path.join(root, "src")
    headers = {}
    for layer in LAYERS:
        d = os.path.join(src, layer)
        if not os.path.isdir(d):
            continue
        for f in os.listdir(d):
            if f.endswith(".h"):
                headers.setdefault(f, layer)
    bad = []
    for rank, layer in enumerate(LAYERS):
        d = os.path.join(src, layer)
        if not os.path.isdir(d):
            continue
        for f in sorted(os.listdir(d)):
            if not f.endswith((".c", ".h")):
                continue
            path = os.path.join(d, f)
            with open(path, encoding="utf-8", errors="replace") as fh:
                for lineno, line in enumerate(fh, 1):
                    m = re.match(r'^\s*#\s*include\s+"([^"]+)"', line)
                    if not m:
                        continue
                    inc = m.group(1)
                    parts = inc.split("/")
                    if len(parts) > 1 and parts[-2] in LAYERS:
                        target = parts[-2]
                    else:
                        target = layer_of_header(parts[-1], headers)
                    if target is None:
                        continue
                    if LAYERS.index(target) > rank:
                        bad.append(f"{path}:{lineno}: {layer} includes "
                                   f"'{inc}' from {target}")
    for b in bad:
        print(b)
    print(f"layering: {len(bad)} upward include(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
