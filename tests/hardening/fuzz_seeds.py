# SPDX-License-Identifier: LGPL-2.1-or-later
"""Seeds every fuzz target's corpus from the test fixtures.

Usage: fuzz_seeds.py TOP_SRCDIR CORPUS_DIR.  Writes CORPUS_DIR/<target>/seed-*
(existing files are kept: a corpus grows across runs)."""
import ast
import glob
import os
import re
import sys

top, out = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(top, "tests", "integration"))
os.environ.setdefault("ND_TOP_SRCDIR", top)
from ndtest import (CALL, OK, PROGRAM, frame, xdr_int,  # noqa: E402
                    xdr_opt_string, xdr_string, xdr_uint)


def put(target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, "seed-" + name), "wb") as fh:
        fh.write(data)


def files(pattern):
    for p in sorted(glob.glob(os.path.join(top, pattern))):
        with open(p, "rb") as fh:
            yield os.path.basename(p), fh.read()


# XML: the xml2xml fixtures and the examples
for n, data in files("tests/nodedevxml2xmldata/*.xml"):
    put("fuzz_xml", n, data)
for n, data in files("examples/*.xml"):
    put("fuzz_xml", "ex-" + n, data)

# mdevctl JSON: the C string literals of the mdevctl unit test
src = open(os.path.join(top, "tests/driver/mdevctltest.c"), "rb").read().decode(
    "utf-8", "replace")
lit = r'"(?:[^"\\\n]|\\.)*"'
for i, m in enumerate(re.finditer(r"((?:%s\s*)+)" % lit, src)):
    pieces = re.findall(lit, m.group(1))
    try:
        text = "".join(ast.literal_eval(p) for p in pieces)
    except (ValueError, SyntaxError):
        continue
    if "{" in text or "[" in text:
        for t in ("fuzz_mdevctl", "fuzz_mdevctl_inst"):
            put(t, "test-%d" % i, text.encode("utf-8", "replace"))

# mdevsim profiles
for n, data in files("tools/mdevsim/profiles/*.ini"):
    put("fuzz_mdevsim_profile", n, data)

# uevents: the real kernel's, recorded by the kernel lane
with open(os.path.join(top, "tests/kernel/expected-samples-uevents.txt"),
          encoding="utf-8") as fh:
    blocks = [b for b in fh.read().split("\n\n") if b.strip()]
for i, b in enumerate(blocks):
    kv = dict(line.split("=", 1) for line in b.splitlines() if "=" in line)
    head = "%s@%s" % (kv.get("ACTION", "add"), kv.get("DEVPATH", "/"))
    body = "".join("%s=%s\0" % (k, v) for k, v in kv.items())
    put("fuzz_uevent", "kernel-%d" % i, head + "\0" + body)
put("fuzz_uevent", "libudev", b"libudev\0\xfe\xed\xca\xfe" + b"\0" * 32)

# PCI addresses: every one in the checked-in sysfs trees
seen = set()
for p in glob.glob(os.path.join(top, "tests/sysfsdata/*/bus/pci/devices/*")):
    seen.add(os.path.basename(p))
for a in sorted(seen) + ["10000:e1:00.0", "ffff:ff:1f.7"]:
    put("fuzz_pciaddr", a.replace(":", "_"), a)

# wire: a session of frames, and one procedure's arguments alone
xml = open(os.path.join(top, "examples/mdev-nvidia.xml"), "rb").read()
calls = [
    (1, xdr_opt_string("nodedev:///system") + xdr_uint(0)),
    (285, xdr_int(1) + xdr_uint(0)),
    (113, xdr_string("computer")),
    (114, xdr_string("computer") + xdr_uint(0)),
    (123, xdr_string(xml) + xdr_uint(0)),
    (428, xdr_string(xml) + xdr_uint(0)),
    (434, xdr_string("computer") + xdr_int(1)),
    (374, xdr_int(0) + xdr_uint(0)),
    (297, xdr_string("20000000c9831b4b") + xdr_string("10000000c9831b4b") + xdr_uint(0)),
]
session = b""
for serial, (proc, args) in enumerate(calls, 1):
    f = frame(PROGRAM, 1, proc, CALL, serial, OK, args)
    put("fuzz_rpc", "frame-%d" % proc, f)
    put("fuzz_dispatch", "frame-%d" % proc, f)
    session += f
    put("fuzz_rpc", "args-%d" % proc, bytes([0x80, serial]) + args)
put("fuzz_rpc", "session", session)
put("fuzz_dispatch", "session", session)
