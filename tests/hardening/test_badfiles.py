# SPDX-License-Identifier: LGPL-2.1-or-later
"""Bad files: corrupt, truncated, foreign and unreadable definition files
and symlinks in the mdevctl directory; a hostile sysfs tree (huge files,
missing and looping links, links out of the root, FIFOs).  Each is
reported and skipped: the daemon starts, serves, lists the good ones, and
never follows a link out of its trees."""
import os
import shutil
import stat
import time

import libvirt
import pytest

from ndtest import TOP_SRCDIR
from hdtest import Host, check_log, error_of, mdev_xml

GOOD = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
GOOD_NAME = "mdev_0a1b2c3d_4e5f_4a6b_8c7d_9e0f1a2b3c4d_0000_41_00_0"
P = "0000:41:00.0"
DEF = '{"mdev_type": "nvidia-256", "start": "manual", "attrs": []}\n'


def uuid_n(n):
    return "%08x-1111-4222-8333-444455556666" % n


def defined(conn):
    return sorted(d.name() for d in conn.listAllDevices(
        libvirt.VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV |
        libvirt.VIR_CONNECT_LIST_NODE_DEVICES_INACTIVE))


def write(path, data, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data if isinstance(data, bytes) else data.encode())
    os.chmod(path, mode)


def test_bad_definition_files(make_host):
    h = make_host(start=False)
    pdir = os.path.join(h.config_dir, P)
    write(os.path.join(pdir, GOOD), DEF)
    bad = {
        uuid_n(1): "{",                                        # truncated
        uuid_n(2): DEF[:20],                                   # cut mid-string
        uuid_n(3): '{"mdev_type": 5, "start": "auto"}',        # wrong type
        uuid_n(4): "\x00\xff\xfe garbage",                     # not text
        uuid_n(5): "[]",                                       # not an object
        uuid_n(7): "",                                         # empty
        uuid_n(8): " " * (2 * 1024 * 1024) + DEF,              # too big
        uuid_n(9): '{"mdev_type":"t","start":"auto","attrs":[{"a":{"b":1}}]}',
    }
    for u, text in bad.items():
        write(os.path.join(pdir, u), text)
    # foreign names, a directory for a file, a FIFO (reading it would block)
    write(os.path.join(pdir, "not-a-uuid"), DEF)
    write(os.path.join(pdir, GOOD.upper().replace("0A1B", "0A1C")), DEF)
    os.mkdir(os.path.join(pdir, uuid_n(10)))
    os.mkfifo(os.path.join(pdir, uuid_n(11)))
    write(os.path.join(h.config_dir, "stray-file"), DEF)
    write(os.path.join(h.config_dir, "bad parent", GOOD), DEF)
    # a dangling link and a link to a directory
    os.symlink("/nonexistent/nd-hard", os.path.join(pdir, uuid_n(12)))
    os.symlink("/", os.path.join(pdir, uuid_n(13)))
    t0 = time.monotonic()
    h.start()
    assert time.monotonic() - t0 < 30
    c = h.conn()
    assert defined(c) == [GOOD_NAME]
    log = h.log()
    for u in list(bad) + [uuid_n(10), uuid_n(11), uuid_n(12), uuid_n(13)]:
        assert u in log, (u, log)
    assert "not-a-uuid" in log
    # a broken file is never overwritten by a define of the same UUID
    code, _, message = error_of(lambda: c.nodeDeviceDefineXML(
        mdev_xml("pci_0000_41_00_0", "nvidia-257", uuid_n(1)), 0))
    with open(os.path.join(pdir, uuid_n(1)), encoding="utf-8") as fh:
        assert fh.read() == "{"
    # and the good one works
    c.nodeDeviceLookupByName(GOOD_NAME).create()
    assert h.sim_mdevs() == [GOOD]
    c.close()


def test_definition_with_a_path_for_type(make_host):
    """mdevctl stores any string as the type: such a definition loads, but
    starting it is refused before anything is written."""
    h = make_host(start=False)
    pdir = os.path.join(h.config_dir, P)
    write(os.path.join(pdir, GOOD),
          '{"mdev_type": "../../../../outside", "start": "auto", "attrs": []}')
    h.start()
    c = h.conn()
    dev = c.nodeDeviceLookupByName(GOOD_NAME)
    code, _, message = error_of(dev.create)
    assert "'../../../../outside'" in message, message
    assert dev.isActive() == 0
    assert h.sim_mdevs() == []
    c.close()


def test_symlinks_out_of_the_config_dir(make_host):
    """A definition or a parent directory that is a symbolic link to a
    place outside the directory is reported and skipped, never read."""
    h = make_host(start=False)
    outside = os.path.join(h.tmp, "outside")
    write(os.path.join(outside, "def.json"), DEF)
    write(os.path.join(outside, "0000:42:00.0", uuid_n(21)), DEF)
    pdir = os.path.join(h.config_dir, P)
    write(os.path.join(pdir, GOOD), DEF)
    os.symlink(os.path.join(outside, "def.json"), os.path.join(pdir, uuid_n(20)))
    os.symlink(os.path.join(outside, "0000:42:00.0"),
               os.path.join(h.config_dir, "0000:42:00.0"))
    h.start()
    c = h.conn()
    assert defined(c) == [GOOD_NAME]
    log = h.log()
    assert uuid_n(20) in log and "0000:42:00.0" in log, log
    # undefining the good one leaves the link targets alone
    c.nodeDeviceLookupByName(GOOD_NAME).undefine()
    assert os.path.exists(os.path.join(outside, "def.json"))
    assert os.path.exists(os.path.join(outside, "0000:42:00.0", uuid_n(21)))
    c.close()


# ---- a hostile sysfs tree ---------------------------------------------------

def hostile_tree(tmp):
    """The checked-in 'malformed' and 'gpu' trees, copied, plus worse."""
    root = os.path.join(tmp, "sys")
    shutil.copytree(os.path.join(TOP_SRCDIR, "tests", "sysfsdata", "gpu"), root,
                    symlinks=True)
    shutil.copytree(os.path.join(TOP_SRCDIR, "tests", "sysfsdata", "malformed"),
                    root, symlinks=True, dirs_exist_ok=True)
    outside = os.path.join(tmp, "outside")
    os.makedirs(os.path.join(outside, "mdev_supported_types", "evil-1"))
    for n, v in (("available_instances", "7\n"), ("device_api", "vfio-pci\n"),
                 ("name", "OUTSIDE\n")):
        write(os.path.join(outside, "mdev_supported_types", "evil-1", n), v)
    mb = os.path.join(root, "class", "mdev_bus")
    dev41 = os.path.realpath(os.path.join(mb, "0000:41:00.0"))
    types = os.path.join(dev41, "mdev_supported_types")
    # a huge available_instances and name (sparse, 64 MiB)
    os.makedirs(os.path.join(types, "huge-1"))
    for n in ("available_instances", "name"):
        with open(os.path.join(types, "huge-1", n), "wb") as fh:
            fh.truncate(64 * 1024 * 1024)
    write(os.path.join(types, "huge-1", "device_api"), "vfio-pci\n")
    # a FIFO where a file should be: a read would block forever
    os.makedirs(os.path.join(types, "fifo-1"))
    os.mkfifo(os.path.join(types, "fifo-1", "available_instances"))
    write(os.path.join(types, "fifo-1", "device_api"), "vfio-pci\n")
    # parents leading out of the root, absolute and relative; loops
    os.symlink(outside, os.path.join(mb, "abs-out"))
    os.symlink(os.path.relpath(outside, mb), os.path.join(mb, "rel-out"))
    os.symlink("loop-a", os.path.join(mb, "loop-b"))
    os.symlink("loop-b", os.path.join(mb, "loop-a"))
    os.symlink(".", os.path.join(types, "dot-loop"))
    os.symlink("../..", os.path.join(dev41, "up-loop"))
    os.symlink("/nonexistent/nd", os.path.join(mb, "nd-dangling"))
    # an mdev whose links are missing or lead out
    ghost = "7b7b7b7b-1111-4222-8333-444455556666"
    os.makedirs(os.path.join(dev41, ghost))
    os.makedirs(os.path.join(root, "bus", "mdev", "devices"), exist_ok=True)
    os.symlink(os.path.relpath(os.path.join(dev41, ghost),
                               os.path.join(root, "bus", "mdev", "devices")),
               os.path.join(root, "bus", "mdev", "devices", ghost))
    os.symlink(outside, os.path.join(dev41, ghost, "mdev_type"))
    return root, outside


def test_hostile_sysfs_tree(tmp_path):
    root, outside = hostile_tree(str(tmp_path))
    before = {p: os.stat(os.path.join(outside, p)).st_atime_ns
              for p in ("mdev_supported_types/evil-1/name",)}
    h = Host.__new__(Host)      # a daemon on a static tree: no mdevsim
    h.tmp = str(tmp_path)
    h.sysfs = root
    h.config_dir = os.path.join(h.tmp, "mdevctl.d")
    os.makedirs(os.path.join(h.config_dir, "scripts.d", "callouts"))
    h.sock = os.path.join(h.tmp, "sock")
    h.sock_ro = os.path.join(h.tmp, "sock-ro")
    h.conf = os.path.join(h.tmp, "virtmdevd.conf")
    with open(h.conf, "w", encoding="utf-8") as fh:
        fh.write("[virtmdevd]\nwatch=false\ndev_root=%s\n" % h.tmp)
    h.proc = None
    h.runs = 0
    h.mdevsim = None
    h.uri = "nodedev:///system?socket=" + h.sock
    h.uri_ro = h.uri
    t0 = time.monotonic()
    h.start()
    try:
        started = time.monotonic() - t0
        c = h.conn()
        names = [d.name() for d in c.listAllDevices(0)]
        assert "pci_0000_41_00_0" in names
        for d in c.listAllDevices(0):
            xml = d.XMLDesc(0)
            assert "OUTSIDE" not in xml and "evil-1" not in xml, xml
            assert len(xml) < 1024 * 1024
        xml = c.nodeDeviceLookupByName("pci_0000_41_00_0").XMLDesc(0)
        assert "huge-1" not in xml and "fifo-1" not in xml
        # creating on what lies outside is refused
        for parent, t in (("abs-out", "evil-1"), ("rel-out", "evil-1"),
                          ("loop-a", "x"), ("pci_0000_41_00_0", "dot-loop")):
            error_of(lambda: c.nodeDeviceCreateXML(mdev_xml(parent, t), 0))
        assert os.listdir(outside) == ["mdev_supported_types"]
        c.close()
        assert started < 30, started
    finally:
        rc = h.stop()
    assert rc == 0, h.log()
    check_log(h.log())
