# SPDX-License-Identifier: LGPL-2.1-or-later
"""Load on the sriov profile: clients creating, listing, dumping and
destroying mdevs at once, beside clients that connect and vanish, send
half frames or never read their replies.  At the end: the daemon is
alive, sysfs and the daemon list exactly the devices the clients were
told exist (none lost, none twice), the daemon's RSS stayed bounded and a
bystander's calls were answered in bounded time.

CI: 8 clients for 8 s.  ND_HARDENING_LONG=1: 32 clients for 60 s.  The
figures go to $ND_TEST_BUILDDIR/hardening-load.json."""
import json
import os
import random
import socket
import struct
import threading
import time
import uuid as uuidlib

import libvirt

from ndtest import (CALL, OK, PROGRAM, RawClient, frame, xdr_int,
                    xdr_opt_string, xdr_string, xdr_uint)
from hdtest import LONG, mdev_xml

CLIENTS = 32 if LONG else 8
SECONDS = 60 if LONG else 8
ROGUES = 6              # misbehaving clients at any time, each kind
LATENCY_BOUND = 5.0     # seconds, for one bystander call
RSS_GROWTH_BOUND = 64 * 1024    # KiB above the level after warm-up


def percentile(values, p):
    if not values:
        return 0.0
    v = sorted(values)
    return v[min(len(v) - 1, int(len(v) * p))]


class Worker(threading.Thread):
    """Creates, lists, dumps and destroys on its own VF; keeps up to 3."""

    def __init__(self, h, parent, stop, seed):
        super().__init__(daemon=True)
        self.h = h
        self.parent = parent
        self.stop = stop
        self.rng = random.Random(seed)
        self.alive = set()       # acknowledged created, not destroyed
        self.ops = 0
        self.lat = []
        self.errors = []

    def timed(self, fn):
        t0 = time.monotonic()
        r = fn()
        self.lat.append(time.monotonic() - t0)
        self.ops += 1
        return r

    def run(self):
        try:
            c = libvirt.open(self.h.uri)
        except libvirt.libvirtError as e:
            self.errors.append("open: %s" % e)
            return
        try:
            while not self.stop.is_set():
                u = str(uuidlib.UUID(int=self.rng.getrandbits(128), version=4))
                dev = self.timed(lambda: c.nodeDeviceCreateXML(
                    mdev_xml(self.parent, "nvidia-700", u), 0))
                self.alive.add(u)
                self.timed(lambda: c.listAllDevices(
                    libvirt.VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV))
                self.timed(lambda: dev.XMLDesc(0))
                self.timed(lambda: c.nodeDeviceLookupByName(dev.name()))
                if len(self.alive) > 3 or self.rng.random() < 0.6:
                    victim = self.rng.choice(sorted(self.alive))
                    name = "mdev_%s_%s" % (victim.replace("-", "_"),
                                           self.parent[4:])
                    d = c.nodeDeviceLookupByName(name)
                    self.timed(d.destroy)
                    self.alive.discard(victim)
        except libvirt.libvirtError as e:
            self.errors.append("%s: %s" % (self.parent, e))
        finally:
            c.close()


def rogue_vanish(h, stop, counter):
    """Connects and goes away: before open, after open, mid-call."""
    rng = random.Random(1)
    while not stop.is_set():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(h.sock)
            k = rng.randrange(3)
            if k >= 1:
                s.sendall(frame(PROGRAM, 1, 1, CALL, 1, OK,
                                xdr_opt_string("nodedev:///system") +
                                xdr_uint(0)))
            if k == 2:
                s.sendall(frame(PROGRAM, 1, 285, CALL, 2, OK,
                                xdr_int(-1) + xdr_uint(0)))
        except OSError:
            pass
        s.close()
        counter[0] += 1
        stop.wait(0.002)    # a few hundred a second: leave CPU to the rest


def rogue_half_frame(h, stop, counter):
    """Sends part of a frame and stays silent, then leaves."""
    rng = random.Random(2)
    held = []
    while not stop.is_set():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(h.sock)
            f = frame(PROGRAM, 1, 1, CALL, 1, OK,
                      xdr_opt_string("nodedev:///system") + xdr_uint(0))
            s.sendall(f[:rng.randrange(1, len(f))])
        except OSError:
            s.close()
            continue
        held.append(s)
        counter[0] += 1
        if len(held) > ROGUES:
            held.pop(0).close()
        stop.wait(0.05)
    for s in held:
        s.close()


def rogue_no_read(h, stop, counter):
    """Opens, then sends list calls and never reads a reply."""
    while not stop.is_set():
        try:
            c = RawClient(h.sock, timeout=5)
            c.open()
            c.sock.setblocking(False)
            call = frame(PROGRAM, 1, 285, CALL, 7, OK, xdr_int(-1) + xdr_uint(0))
            for _ in range(2000):
                if stop.is_set():
                    break
                try:
                    c.sock.send(call)
                except BlockingIOError:
                    stop.wait(0.05)
                except OSError:
                    break       # the daemon dropped us: allowed
                counter[0] += 1
            c.close()
        except (OSError, AssertionError):
            stop.wait(0.05)


def test_load(make_host):
    # all workers connect at once beside rogues holding unopened
    # connections: more than the default cap of 20 unopened connections
    # (max_anonymous_clients, as libvirtd's), whose refusals are that
    # cap's doing, not what this test measures
    h = make_host(profile="sriov",
                  config="max_anonymous_clients=%d\n" % (CLIENTS + 4 * ROGUES))
    c = h.conn()
    vfs = sorted(d.name() for d in c.listAllDevices(
        libvirt.VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV_TYPES)
        if d.name().startswith("pci_"))
    assert len(vfs) >= CLIENTS
    # warm-up: one create/destroy, then the baseline RSS
    dev = c.nodeDeviceCreateXML(mdev_xml(vfs[0], "nvidia-700"), 0)
    dev.destroy()
    rss0 = h.rss_kib()

    stop = threading.Event()
    workers = [Worker(h, vfs[i], stop, i) for i in range(CLIENTS)]
    counters = {"vanish": [0], "half": [0], "noread": [0]}
    rogues = [threading.Thread(target=fn, args=(h, stop, counters[k]), daemon=True)
              for k, fn in (("vanish", rogue_vanish), ("half", rogue_half_frame),
                            ("noread", rogue_no_read))]
    for t in workers + rogues:
        t.start()

    # the bystander: one call every 100 ms, timed
    probe = []
    rss_max = rss0
    t_end = time.monotonic() + SECONDS
    while time.monotonic() < t_end:
        t0 = time.monotonic()
        c.nodeDeviceLookupByName("computer").XMLDesc(0)
        probe.append(time.monotonic() - t0)
        rss_max = max(rss_max, h.rss_kib())
        stop.wait(0.1)
    stop.set()
    for t in workers + rogues:
        t.join(120)
        assert not t.is_alive(), "a client hung"
    assert h.alive(), h.log()

    errors = [e for w in workers for e in w.errors]
    assert errors == [], errors[:5]

    # nothing lost, nothing twice: sysfs, the daemon and the clients agree
    want = sorted(u for w in workers for u in w.alive)
    assert len(want) == len(set(want))
    names = [d.name() for d in c.listAllDevices(
        libvirt.VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV)]
    assert len(names) == len(set(names))
    assert h.sim_mdevs() == want
    assert h.daemon_mdevs(c) == want

    lat = [x for w in workers for x in w.lat]
    ops = sum(w.ops for w in workers)
    rss1 = h.rss_kib()
    figures = {
        "clients": CLIENTS, "seconds": SECONDS, "operations": ops,
        "ops_per_second": round(ops / SECONDS, 1),
        "client_latency_p50_ms": round(percentile(lat, 0.5) * 1000, 2),
        "client_latency_p99_ms": round(percentile(lat, 0.99) * 1000, 2),
        "client_latency_max_ms": round(max(lat) * 1000, 2),
        "bystander_calls": len(probe),
        "bystander_p99_ms": round(percentile(probe, 0.99) * 1000, 2),
        "bystander_max_ms": round(max(probe) * 1000, 2),
        "rogue_vanished": counters["vanish"][0],
        "rogue_half_frames": counters["half"][0],
        "rogue_unread_calls": counters["noread"][0],
        "rss_kib_start": rss0, "rss_kib_max": rss_max, "rss_kib_end": rss1,
        "devices_at_end": len(want),
        "instrumented": h.instrumented(),
    }
    out = os.environ.get("ND_TEST_BUILDDIR")
    if out and os.path.isdir(out):
        with open(os.path.join(out, "hardening-load.json"), "w",
                  encoding="utf-8") as fh:
            json.dump(figures, fh, indent=1)
    assert ops > CLIENTS, figures
    assert max(probe) < LATENCY_BOUND, figures
    print(json.dumps(figures))
    if not figures["instrumented"]:
        assert rss_max - rss0 < RSS_GROWTH_BOUND, figures

    # the daemon still serves a fresh client, and cleans up on request
    for w in workers:
        for u in w.alive:
            name = "mdev_%s_%s" % (u.replace("-", "_"), w.parent[4:])
            c.nodeDeviceLookupByName(name).destroy()
    assert h.sim_mdevs() == []
    assert h.daemon_mdevs(c) == []
    c.close()
