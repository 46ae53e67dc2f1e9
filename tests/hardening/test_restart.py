# SPDX-License-Identifier: LGPL-2.1-or-later
"""kill -9 during a storm of defines, undefines and autostart changes,
then a restart on the same host and directory: every acknowledged
definition is intact, readable by the real mdevctl 1.2, no temporary file
is left, and the active devices come back with the same names.

CI: 4 clients, killed after 3 s, 2 rounds.  ND_HARDENING_LONG=1: 16
clients, 15 s, 5 rounds."""
import json
import os
import random
import re
import shutil
import subprocess
import threading
import uuid as uuidlib

import libvirt
import pytest

from hdtest import LONG, mdev_xml

CLIENTS = 16 if LONG else 4
SECONDS = 15 if LONG else 3
ROUNDS = 5 if LONG else 2
PARENTS = ["0000:41:00.0", "0000:42:00.0"]
TYPES = ["nvidia-256", "nvidia-257", "nvidia-258"]
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def node_name(parent):
    return "pci_" + parent.replace(":", "_").replace(".", "_")


def mdev_name(uuid, parent):
    return "mdev_%s_%s" % (uuid.replace("-", "_"),
                           parent.replace(":", "_").replace(".", "_"))


class Storm(threading.Thread):
    """Defines, undefines and flips autostart; tracks what was
    acknowledged.  The call in flight when the daemon dies is 'unsure'."""

    def __init__(self, h, seed, known, killing):
        super().__init__(daemon=True)
        self.h = h
        self.killing = killing
        self.rng = random.Random(seed)
        self.known = known      # uuid -> (parent, type, autostart), shared
        self.unsure = set()
        self.errors = []
        self.ops = 0

    def run(self):
        mine = []
        try:
            c = libvirt.open(self.h.uri)
        except libvirt.libvirtError:
            return
        try:
            while True:
                r = self.rng.random()
                if r < 0.5 or not mine:
                    parent = self.rng.choice(PARENTS)
                    t = self.rng.choice(TYPES)
                    u = str(uuidlib.UUID(int=self.rng.getrandbits(128), version=4))
                    self.unsure.add(u)
                    c.nodeDeviceDefineXML(mdev_xml(
                        node_name(parent), t, u,
                        "<attr name='x' value='%d'/>" % self.ops), 0)
                    self.known[u] = (parent, t, False)
                    mine.append(u)
                elif r < 0.75:
                    u = mine.pop(self.rng.randrange(len(mine)))
                    self.unsure.add(u)
                    c.nodeDeviceLookupByName(
                        mdev_name(u, self.known[u][0])).undefine()
                    del self.known[u]
                else:
                    u = self.rng.choice(mine)
                    self.unsure.add(u)
                    p, t, a = self.known[u]
                    c.nodeDeviceLookupByName(mdev_name(u, p)).setAutostart(
                        0 if a else 1)
                    self.known[u] = (p, t, not a)
                self.unsure.discard(u)
                self.ops += 1
        except libvirt.libvirtError as e:
            if not self.killing.is_set():
                self.errors.append(str(e))
        finally:
            try:
                c.close()
            except libvirt.libvirtError:
                pass


def files_in(config_dir):
    out = {}
    for top, dirs, names in os.walk(config_dir):
        if top == config_dir:
            dirs.remove("scripts.d")
        for n in dirs + names:
            out[os.path.relpath(os.path.join(top, n), config_dir)] = \
                os.path.join(top, n)
    return out


def mdevctl_defined(h):
    """What the real mdevctl lists, in a private mount namespace."""
    if not shutil.which("mdevctl") or not shutil.which("unshare"):
        pytest.skip("mdevctl or unshare is not installed")
    script = ("mount --bind '%s' /sys && mount --bind '%s' /etc/mdevctl.d && "
              "mdevctl list --defined --dumpjson" % (h.sysfs, h.config_dir))
    p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh",
                        "-c", script], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    out = {}
    if not p.stdout.strip():
        return out
    for group in json.loads(p.stdout):
        for parent, devs in group.items():
            for d in devs:
                for u, body in d.items():
                    out[u] = (parent, body["mdev_type"], body["start"] == "auto")
    return out


def test_kill9_during_storm(make_host):
    h = make_host()
    c = h.conn()
    # active devices: two transient, one defined and started
    active = {}
    for parent, t in (("0000:41:00.0", "nvidia-256"), ("0000:42:00.0", "nvidia-259")):
        d = c.nodeDeviceCreateXML(mdev_xml(node_name(parent), t), 0)
        active[d.name()] = False
    d = c.nodeDeviceDefineXML(mdev_xml(node_name("0000:41:00.0"), "nvidia-257"), 0)
    d.create()
    active[d.name()] = True
    keep = d.name()[5:41].replace("_", "-")
    c.close()

    known = {keep: ("0000:41:00.0", "nvidia-257", False)}
    total_ops = 0
    for rnd in range(ROUNDS):
        killing = threading.Event()
        storms = [Storm(h, rnd * 100 + i, known, killing) for i in range(CLIENTS)]
        for s in storms:
            s.start()
        # the storm's length, not a wait for something to happen
        threading.Event().wait(SECONDS)
        assert all(s.is_alive() for s in storms), [s.errors for s in storms]
        killing.set()
        h.kill9()
        for s in storms:
            s.join(60)
            assert not s.is_alive()
            assert s.errors == [], s.errors[:3]
            total_ops += s.ops
        unsure = set().union(*(s.unsure for s in storms))
        h.start()

        # the files: nothing but parent directories and lower-case UUIDs
        for rel in files_in(h.config_dir):
            parts = rel.split(os.sep)
            assert parts[0] in PARENTS, rel
            assert len(parts) == 1 or (len(parts) == 2 and UUID_RE.match(parts[1])), \
                "temporary or foreign file left: " + rel

        # every acknowledged definition, as the daemon and mdevctl see it
        c = h.conn()
        listed = {}
        for dev in c.listAllDevices(libvirt.VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV):
            if dev.isPersistent():
                u = dev.name()[5:41].replace("_", "-")
                listed[u] = dev
        on_disk = mdevctl_defined(h)
        for u, (parent, t, auto) in known.items():
            if u in unsure:
                continue
            assert u in listed, u
            assert listed[u].autostart() == int(auto), u
            xml = listed[u].XMLDesc(0)
            assert f"<type id='{t}'/>" in xml, xml
            assert on_disk[u] == (parent, t, auto), u
        for u in set(listed) - set(known):
            assert u in unsure, "a definition nobody acknowledged: " + u
        for u in set(on_disk) | set(listed):
            if u in unsure:
                # the call in flight: either way, but whole
                assert (u in on_disk) == (u in listed), u
        assert set(on_disk) == set(listed)
        # resynchronise the shared view with what survived
        for u in unsure:
            if u in listed:
                p = on_disk[u][0]
                known[u] = on_disk[u]
            else:
                known.pop(u, None)

        # the active devices are back with the same names
        now = {d.name(): d for d in c.listAllDevices(
            libvirt.VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV |
            libvirt.VIR_CONNECT_LIST_NODE_DEVICES_ACTIVE)}
        assert set(now) == set(active), (sorted(now), sorted(active))
        for name, persistent in active.items():
            assert now[name].isPersistent() == int(persistent)
        assert sorted(h.sim_mdevs()) == sorted(n[5:41].replace("_", "-")
                                               for n in active)
        c.close()
    assert total_ops > CLIENTS, total_ops


def test_stale_temporary_files_removed_at_start(make_host):
    """What a daemon killed between its temporary file and the rename
    leaves: removed at the next start; other hidden files are left alone."""
    h = make_host(start=False)
    pdir = os.path.join(h.config_dir, "0000:41:00.0")
    os.mkdir(pdir)
    u = "6e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"
    stale = os.path.join(pdir, "." + u + ".Ab3xYz")
    with open(stale, "w", encoding="utf-8") as fh:
        fh.write('{"mdev_type": "nvidia-2')       # cut short by the kill
    other = os.path.join(pdir, ".keep-me")
    with open(other, "w", encoding="utf-8") as fh:
        fh.write("not ours\n")
    h.start()
    assert not os.path.exists(stale)
    assert os.path.exists(other)
    c = h.conn()
    assert c.listAllDevices(libvirt.VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV) == []
    # a definition written now is not touched by later rescans
    c.nodeDeviceDefineXML(mdev_xml("pci_0000_41_00_0", "nvidia-256", u), 0)
    assert sorted(os.listdir(pdir)) == [".keep-me", u]
    assert mdevctl_defined(h) == {u: ("0000:41:00.0", "nvidia-256", False)}
    c.close()
