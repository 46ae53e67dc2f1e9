# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtmdevd benchmarks side by side with libvirtd 9.0 and mdevctl 1.2.

Run through bench/run (it builds, installs the anchors and enters a private
mount namespace). Everything here is read-only against the host's real /sys:
creates and destroys only ever happen on mdevsim mounts under a temp dir.
Prints a table and writes it, with every figure, its anchor and the ratio,
to the file given with --out.
"""
import argparse
import json
import os
import select
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import libvirt

# errors are handled where they happen; libvirt's default handler would
# print every expected one (e.g. while waiting for libvirtd's socket)
libvirt.registerErrorHandler(lambda ctx, err: None, None)

HERE = os.path.dirname(os.path.abspath(__file__))

CAP_PCI_DEV = libvirt.VIR_CONNECT_LIST_NODE_DEVICES_CAP_PCI_DEV
CAP_MDEV_TYPES = libvirt.VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV_TYPES
CAP_MDEV = libvirt.VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV
MDEV_TYPE = "nvidia-700"       # sriov: 1 unit of 32 per VF parent


class Wire:
    """A raw client of libvirt's RPC protocol (docs: shared protocol facts):
    the daemon's cost of a call without python-libvirt's per-device object
    creation, which dominates long lists on the client side."""
    PROGRAM = 0x20008086

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(60)
        self.sock.connect(path)
        self.serial = 0
        # CONNECT_OPEN(name "nodedev:///system", flags 0)
        self.call(1, self.opt_str("nodedev:///system") + struct.pack(">I", 0))

    @staticmethod
    def string(v):
        b = v.encode()
        return struct.pack(">I", len(b)) + b + b"\0" * (-len(b) % 4)

    @classmethod
    def opt_str(cls, v):
        return struct.pack(">I", 1) + cls.string(v)

    def _exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise RuntimeError("connection closed")
            buf += chunk
        return buf

    def call(self, proc, payload=b""):
        self.serial += 1
        body = struct.pack(">IIiIII", self.PROGRAM, 1, proc, 0, self.serial,
                           0) + payload
        self.sock.sendall(struct.pack(">I", len(body) + 4) + body)
        while True:
            n = struct.unpack(">I", self._exact(4))[0]
            msg = self._exact(n - 4)
            prog, _, rproc, mtype, serial, status = struct.unpack_from(">IIiIII", msg)
            if prog != self.PROGRAM or mtype != 1:
                continue            # keepalive or event
            if rproc != proc or serial != self.serial or status != 0:
                raise RuntimeError(f"call {proc} failed (status {status})")
            return msg[24:]

    def floor(self):
        return lambda: self.call(149)               # CONNECT_IS_SECURE

    def lookup(self, name):
        arg = self.string(name)
        return lambda: self.call(113, arg)

    def xml(self, name):
        arg = self.string(name) + struct.pack(">I", 0)
        return lambda: self.call(114, arg)

    def list_all(self, flags):
        arg = struct.pack(">iI", 1, flags)
        return lambda: self.call(285, arg)

    def close(self):
        self.sock.close()


def source_tree():
    """The commit measured, and whether the tree had changes on top."""
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        rev = subprocess.run(["git", "-C", top, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.strip()
        # results written by an earlier run are not the code measured
        dirty = subprocess.run(["git", "-C", top, "status", "--porcelain",
                                "--untracked-files=no", "--", ".",
                                ":!bench/results"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "source tree not a git checkout"
    return f"commit {rev}" + (" with uncommitted changes" if dirty else "")


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def median_call(fn, calls, repeats):
    """Median over @repeats of the median time of one call of @fn (s)."""
    meds = []
    for _ in range(repeats):
        samples = []
        for _ in range(calls):
            t0 = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t0)
        meds.append(statistics.median(samples))
    return statistics.median(meds)


def cpu_ns_by_thread(pid):
    """Thread id -> CPU time (ns) used so far, for every thread of process
    @pid (schedstat: nanoseconds, where /proc/PID/stat counts 10 ms
    ticks, but only for the threads alive when read)."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat", encoding="utf-8") as fh:
                out[tid] = int(fh.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass            # a thread that ended meanwhile
    return out


def cpu_per_call(fn, calls, pid):
    """The CPU time (s) process @pid spends on one call of @fn: the
    server's own cost, whatever the client and the scheduler add to the
    latency. Averaged over @calls calls after 10 to warm up. A thread that
    ends meanwhile (an idle pool worker) takes its share with it."""
    for _ in range(10):
        fn()
    before = cpu_ns_by_thread(pid)
    for _ in range(calls):
        fn()
    after = cpu_ns_by_thread(pid)
    used = sum(ns - before.get(tid, 0) for tid, ns in after.items())
    return used / calls / 1e9


def pin(pid, cpus):
    """Sets the CPU affinity of every thread of @pid (0: this thread)."""
    if pid == 0:
        os.sched_setaffinity(0, cpus)
        return
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            os.sched_setaffinity(int(tid), cpus)
        except (ProcessLookupError, OSError):
            pass


def median_calls(fns, calls, repeats):
    """As median_call() for each of @fns (name -> function), taken in
    turns: each repeat times every function once, so that all of them see
    the same phases of the machine (a VM's vCPUs wake slowly when idle,
    and the scheduler moves client and daemon between CPUs now and then).
    Returns name -> seconds. @calls is an int or name -> int."""
    meds = {k: [] for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            n = calls[k] if isinstance(calls, dict) else calls
            samples = []
            for _ in range(n):
                t0 = time.perf_counter()
                fn()
                samples.append(time.perf_counter() - t0)
            meds[k].append(statistics.median(samples))
    return {k: statistics.median(v) for k, v in meds.items()}


def median_run(args, repeats, env=None):
    """Median wall time (s) of running the command @args to completion."""
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        p = subprocess.run(args, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           env=env, timeout=300)
        samples.append(time.perf_counter() - t0)
        if p.returncode != 0:
            raise RuntimeError(f"{args} failed: {p.stderr.decode()}")
    return statistics.median(samples)


def rss_kib(pid):
    fields = {}
    with open(f"/proc/{pid}/status", encoding="utf-8") as fh:
        for line in fh:
            k, _, v = line.partition(":")
            fields[k] = v.strip()
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def read_ready(fd, want, timeout):
    """Reads @fd until a line starting with @want; returns the time seen."""
    deadline = time.monotonic() + timeout
    buf = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise RuntimeError("timed out waiting for " + repr(want))
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            raise RuntimeError("exited before " + repr(want) + ": " + buf.decode())
        buf += chunk
        if any(l.startswith(want) for l in buf.decode().splitlines()):
            return time.perf_counter()


class Mdevsim:
    def __init__(self, binary, profile, tmp):
        self.mnt = tempfile.mkdtemp(prefix="sim-" + profile + "-", dir=tmp)
        rfd, wfd = os.pipe()
        self.proc = subprocess.Popen(
            [binary, "--ready-fd", str(wfd), "--profile", profile, self.mnt],
            pass_fds=(wfd,), stdout=subprocess.DEVNULL)
        os.close(wfd)
        ready, _, _ = select.select([rfd], [], [], 60)
        data = os.read(rfd, 16) if ready else b""
        os.close(rfd)
        if data != b"ready\n":
            raise RuntimeError("mdevsim did not start")

    def parents(self):
        return sorted(os.listdir(os.path.join(self.mnt, "class/mdev_bus")))

    def available(self, bus):
        with open(os.path.join(self.mnt, "class/mdev_bus", bus,
                               "mdev_supported_types", MDEV_TYPE,
                               "available_instances"), encoding="utf-8") as fh:
            return int(fh.read())

    def mdev_count(self):
        return len(os.listdir(os.path.join(self.mnt, "bus/mdev/devices")))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)


def node_name(bus):
    """libvirt's node name of the PCI parent @bus (0000:3b:00.4)."""
    return "pci_" + bus.replace(":", "_").replace(".", "_")


class Ours:
    """virtmdevd on a sysfs root, its own temp sockets and definitions."""

    def __init__(self, binary, sysfs_root, tmp, tag):
        self.dir = tempfile.mkdtemp(prefix="nd-" + tag + "-", dir=tmp)
        self.sock = os.path.join(self.dir, "sock")
        conf = os.path.join(self.dir, "virtmdevd.conf")
        cfgdir = os.path.join(self.dir, "mdevctl.d")
        os.mkdir(cfgdir)
        with open(conf, "w", encoding="utf-8") as fh:
            # autostart off: never start anything on a host by ourselves
            fh.write("[virtmdevd]\nautostart=false\n")
        args = [binary, "--config", conf, "--sysfs-root", sysfs_root,
                "--config-dir", cfgdir, "--socket", self.sock,
                "--socket-ro", self.sock + "-ro"]
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                                     stderr=open(os.path.join(self.dir, "log"), "wb"),
                                     stdin=subprocess.DEVNULL)
        t1 = read_ready(self.proc.stdout.fileno(), "connect with:", 60)
        self.start_s = t1 - t0
        self.uri = "nodedev:///system?socket=" + self.sock

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)
        self.proc.stdout.close()


LIBVIRTD_CONF = """unix_sock_dir = "{sockdir}"
unix_sock_rw_perms = "0700"
auth_unix_rw = "none"
auth_unix_ro = "none"
listen_tls = 0
listen_tcp = 0
log_outputs = "1:file:{logfile}"
"""


class Libvirtd:
    """The real libvirtd 9.0 in the foreground, inside our private mount
    namespace: tmpfs over its state directories, a libvirt-qemu user that
    exists only here (its qemu driver refuses to start without one), its
    own socket in a temp dir."""

    def __init__(self, tmp):
        self.dir = tempfile.mkdtemp(prefix="libvirtd-", dir=tmp)
        for d in ("/run/libvirt", "/var/lib/libvirt", "/var/cache/libvirt"):
            os.makedirs(d, exist_ok=True)
            subprocess.run(["mount", "-t", "tmpfs", "tmpfs", d], check=True)
        passwd = os.path.join(self.dir, "passwd")
        group = os.path.join(self.dir, "group")
        shutil.copy("/etc/passwd", passwd)
        shutil.copy("/etc/group", group)
        with open(passwd, encoding="utf-8") as fh:
            has_user = any(l.startswith("libvirt-qemu:") for l in fh)
        if not has_user:
            with open(passwd, "a", encoding="utf-8") as fh:
                fh.write("libvirt-qemu:x:64055:64055:Libvirt Qemu:"
                         "/var/lib/libvirt:/usr/sbin/nologin\n")
            with open(group, "a", encoding="utf-8") as fh:
                fh.write("libvirt-qemu:x:64055:\n")
            subprocess.run(["mount", "--bind", passwd, "/etc/passwd"], check=True)
            subprocess.run(["mount", "--bind", group, "/etc/group"], check=True)
        sockdir = os.path.join(self.dir, "run")
        os.mkdir(sockdir)
        self.log = os.path.join(self.dir, "libvirtd.log")
        conf = os.path.join(self.dir, "libvirtd.conf")
        with open(conf, "w", encoding="utf-8") as fh:
            fh.write(LIBVIRTD_CONF.format(sockdir=sockdir, logfile=self.log))
        self.sock = os.path.join(sockdir, "libvirt-sock")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(["/usr/sbin/libvirtd", "--config", conf],
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        # ready = the first call answered
        self.uri = "nodedev:///system?socket=" + self.sock
        deadline = time.monotonic() + 60
        while True:
            try:
                c = libvirt.open(self.uri)
                c.listAllDevices(0)
                c.close()
                break
            except libvirt.libvirtError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("libvirtd did not start; see " + self.log)
                time.sleep(0.02)
        self.start_s = time.perf_counter() - t0

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Table:
    def __init__(self):
        self.rows = []
        self.notes = []

    def add(self, what, ours, anchor_name=None, anchor=None, target=None,
            unit="ms", check=None):
        """@check(ratio or value) -> bool decides the met column."""
        ratio = None
        if anchor is not None and anchor > 0 and ours is not None:
            ratio = ours / anchor
        met = ""
        if check is not None:
            met = "yes" if check(ratio if anchor is not None else ours) else "NO"
        self.rows.append((what, fmt(ours, unit), anchor_name or "",
                          fmt(anchor, unit) if anchor is not None else "",
                          f"{ratio:.3f}" if ratio is not None else "",
                          target or "", met))

    def render(self):
        head = ("measurement", "virtmdevd", "anchor", "anchor value",
                "ratio", "target", "met")
        lines = ["| " + " | ".join(head) + " |",
                 "|" + "|".join("---" for _ in head) + "|"]
        for r in self.rows:
            lines.append("| " + " | ".join(str(x) for x in r) + " |")
        return "\n".join(lines)


def fmt(v, unit):
    if v is None:
        return "n/a"
    if unit == "ms":
        return f"{v * 1000:.3f} ms"
    if unit == "s":
        return f"{v:.3f} s"
    if unit == "MiB":
        return f"{v:.1f} MiB"
    return f"{v} {unit}".strip()


def floor_call(conn):
    """The RPC floor: CONNECT_IS_SECURE (149), a call with no work."""
    return lambda: conn.isSecure()


# ---- phase A: the host's real /sys, libvirtd next to us -------------------

def add_one_device_rows(tab, label, o, l, k):
    """The floor, lookup and XML of one device, ours (@o) against
    libvirtd (@l) and against our floor, from figures keyed @k + name."""
    tab.add(f"{label}: RPC floor (isSecure)", o[k + "floor"], "libvirtd",
            l[k + "floor"])
    for name, what in (("lookup", "lookupByName"), ("xml", "XMLDesc one device")):
        tab.add(f"{label}: {what}", o[k + name], "libvirtd", l[k + name],
                "<= 0.3x", check=lambda x: x <= 0.3)
        tab.add(f"{label}: {what} vs our floor", o[k + name], "our floor",
                o[k + "floor"], "<= 1.5x", check=lambda x: x <= 1.5)


def phase_real(opts, tab, tmp):
    log("phase A: real /sys, virtmdevd and libvirtd side by side")
    ours = Ours(opts.virtmdevd, "/sys", tmp, "real")
    try:
        lvd = Libvirtd(tmp)
    except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
        ours.stop()
        tab.notes.append(f"libvirtd could not be run: {e}")
        return
    try:
        res = {}
        for tag, uri in (("ours", ours.uri), ("lvd", lvd.uri)):
            c = libvirt.open(uri)
            names = sorted(d.name() for d in c.listAllDevices(0))
            pci = sorted(d.name() for d in c.listAllDevices(CAP_PCI_DEV))
            one = pci[0] if pci else names[0]
            dev = c.nodeDeviceLookupByName(one)
            n, r = opts.calls, opts.repeats
            r_ = median_calls({
                "floor": floor_call(c),
                "all": lambda: c.listAllDevices(0),
                "pci": lambda: c.listAllDevices(CAP_PCI_DEV),
                "lookup": lambda: c.nodeDeviceLookupByName(one),
                "xml": lambda: dev.XMLDesc(0),
            }, n, r)
            r_.update({"count": len(names), "npci": len(pci), "one": one})
            devs = [c.nodeDeviceLookupByName(x) for x in names]
            r_["xml_each"] = median_call(
                lambda: [d.XMLDesc(0) for d in devs], max(1, n // 10), r) / len(devs)
            # the daemon's own CPU per call (client and wake-ups left out)
            pid = ours.proc.pid if tag == "ours" else lvd.proc.pid
            cn = n * r
            r_["cpu_floor"] = cpu_per_call(floor_call(c), cn, pid)
            r_["cpu_lookup"] = cpu_per_call(lambda: c.nodeDeviceLookupByName(one), cn, pid)
            r_["cpu_xml"] = cpu_per_call(lambda: dev.XMLDesc(0), cn, pid)
            r_["cpu_all"] = cpu_per_call(lambda: c.listAllDevices(0), cn, pid)
            # client and daemon on one CPU: no cross-CPU wake-up per call
            # (on a VM an idle vCPU takes tens of microseconds to wake)
            everything = os.sched_getaffinity(0)
            pin(pid, {0})
            pin(0, {0})
            try:
                r_.update(median_calls({
                    "p_floor": floor_call(c),
                    "p_lookup": lambda: c.nodeDeviceLookupByName(one),
                    "p_xml": lambda: dev.XMLDesc(0),
                }, n, r))
            finally:
                pin(0, everything)
                pin(pid, everything)
            c.close()
            sock = uri.split("socket=", 1)[1]
            w = Wire(sock)
            r_.update(median_calls({
                "w_floor": w.floor(),
                "w_lookup": w.lookup(one),
                "w_xml": w.xml(one),
                "w_all": w.list_all(0),
            }, n, r))
            w.close()
            env = dict(os.environ)
            env.pop("LIBVIRT_DEFAULT_URI", None)
            r_["virsh"] = median_run(["virsh", "-c", uri, "nodedev-list"],
                                     opts.cmd_repeats, env)
            res[tag] = r_
        o, l = res["ours"], res["lvd"]
        tab.notes.append(
            f"real /sys: virtmdevd lists {o['count']} devices ({o['npci']} PCI), "
            f"libvirtd {l['count']} ({l['npci']} PCI; it also reports block, net "
            f"and other classes we do not serve); one device = {o['one']}")
        add_one_device_rows(tab, "real", o, l, "")
        tab.add("real: XMLDesc every device, per device", o["xml_each"],
                "libvirtd", l["xml_each"])
        tab.add("real: listAllDevices(all)", o["all"], "libvirtd", l["all"],
                "<= 0.2x", check=lambda x: x <= 0.2)
        tab.add("real: listAllDevices(CAP_PCI_DEV)", o["pci"], "libvirtd",
                l["pci"], "<= 0.2x", check=lambda x: x <= 0.2)
        add_one_device_rows(tab, "real, raw wire", o, l, "w_")
        tab.add("real, raw wire: listAllDevices(all)", o["w_all"], "libvirtd",
                l["w_all"], "<= 0.2x", check=lambda x: x <= 0.2)
        add_one_device_rows(tab, "real, one CPU", o, l, "p_")
        tab.add("real, daemon CPU per call: RPC floor (isSecure)",
                o["cpu_floor"], "libvirtd", l["cpu_floor"])
        tab.add("real, daemon CPU per call: lookupByName", o["cpu_lookup"],
                "libvirtd", l["cpu_lookup"])
        tab.add("real, daemon CPU per call: XMLDesc one device", o["cpu_xml"],
                "libvirtd", l["cpu_xml"])
        tab.add("real, daemon CPU per call: listAllDevices(all)", o["cpu_all"],
                "libvirtd", l["cpu_all"])
        tab.add("real: `virsh nodedev-list` whole command", o["virsh"],
                "libvirtd", l["virsh"])
        tab.add("real: start to ready", ours.start_s, "libvirtd", lvd.start_s,
                unit="s")
        orss, _ = rss_kib(ours.proc.pid)
        lrss, _ = rss_kib(lvd.proc.pid)
        tab.add("real: resident memory", orss / 1024, "libvirtd", lrss / 1024,
                unit="MiB")
    finally:
        lvd.stop()
        ours.stop()


# ---- phase B: mdevsim sriov ------------------------------------------------

def create_xml(parent_name):
    return (f"<device><parent>{parent_name}</parent>"
            f"<capability type='mdev'><type id='{MDEV_TYPE}'/></capability>"
            f"</device>")


def create_many(uri, jobs, clients):
    """One create on each parent named in @jobs, from @clients parallel
    connections (job i goes to client i % clients).
    Returns (created names, errors, seconds)."""
    created = []
    errors = []
    lock = threading.Lock()

    def worker(idx):
        conn = libvirt.open(uri)
        try:
            for p in jobs[idx::clients]:
                try:
                    d = conn.nodeDeviceCreateXML(create_xml(p), 0)
                    with lock:
                        created.append(d.name())
                except libvirt.libvirtError as e:
                    with lock:
                        errors.append(str(e))
        finally:
            conn.close()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return created, errors, time.perf_counter() - t0


def fill_round_robin(uri, parent_names, count):
    """Sequential creates, @count in all, spread over the parents so every
    parent ends with the same number of devices."""
    conn = libvirt.open(uri)
    for i in range(count):
        conn.nodeDeviceCreateXML(create_xml(parent_names[i % len(parent_names)]), 0)
    conn.close()


def mdev_figures(opts, uri, parent_name, pid):
    c = libvirt.open(uri)
    parent = c.nodeDeviceLookupByName(parent_name)
    n, r = opts.calls, opts.repeats
    few = max(1, n // 4)
    out = median_calls({
        "floor": floor_call(c),
        "mdev": lambda: c.listAllDevices(CAP_MDEV),
        "types": lambda: c.listAllDevices(CAP_MDEV_TYPES),
        "pxml": lambda: parent.XMLDesc(0),
    }, {"floor": n, "mdev": few, "types": n, "pxml": few}, r)
    out.update({
        "count": len(c.listAllDevices(CAP_MDEV)),
        "cpu_floor": cpu_per_call(floor_call(c), n * r, pid),
        "cpu_mdev": cpu_per_call(lambda: c.listAllDevices(CAP_MDEV), few * r, pid),
        "cpu_pxml": cpu_per_call(lambda: parent.XMLDesc(0), few * r, pid),
    })
    w = Wire(uri.split("socket=", 1)[1])
    out.update(median_calls({
        "w_floor": w.floor(),
        "w_mdev": w.list_all(CAP_MDEV),
        "w_pxml": w.xml(parent_name),
    }, {"w_floor": n, "w_mdev": few, "w_pxml": few}, r))
    w.close()
    parents = c.listAllDevices(CAP_MDEV_TYPES)
    out["pxml_all"] = median_call(lambda: [p.XMLDesc(0) for p in parents],
                                  1, min(r, 3))
    c.close()
    return out


def in_sim_ns(sim, confdir, script):
    """argv running shell @script in a nested private mount namespace with
    mdevsim over /sys and @confdir over /etc/mdevctl.d."""
    os.makedirs("/etc/mdevctl.d", exist_ok=True)
    return ["unshare", "-m", "--propagation", "private", "sh", "-c",
            f"mount --bind '{sim.mnt}' /sys && "
            f"mount --bind '{confdir}' /etc/mdevctl.d && {script}"]


def mdevctl_confdir(tmp):
    """An empty /etc/mdevctl.d as mdevctl 1.2 wants it (it refuses to run
    without scripts.d/callouts and scripts.d/notifiers)."""
    confdir = tempfile.mkdtemp(prefix="mdevctl.d-", dir=tmp)
    for sub in ("callouts", "notifiers"):
        os.makedirs(os.path.join(confdir, "scripts.d", sub))
    return confdir


def mdevctl_figures(opts, sim, tmp, parent_dev):
    """Times mdevctl inside a namespace that sees mdevsim as /sys; the
    timer runs there too, so unshare and mount are not counted."""
    confdir = mdevctl_confdir(tmp)
    spec = json.dumps({"parent": parent_dev, "type": MDEV_TYPE,
                       "repeats": opts.cmd_repeats, "cycles": opts.cycles})
    p = subprocess.run(
        in_sim_ns(sim, confdir,
                  f"exec /usr/bin/python3 '{os.path.abspath(__file__)}' "
                  f"--mdevctl-timer '{spec}'"),
        capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise RuntimeError("mdevctl timer failed: " + p.stderr)
    return json.loads(p.stdout)


def mdevctl_timer(spec_json):
    """Inside the namespace: time mdevctl types, list, start+stop."""
    spec = json.loads(spec_json)
    res = {
        "types": median_run(["mdevctl", "types"], spec["repeats"]),
        "list": median_run(["mdevctl", "list"], spec["repeats"]),
    }
    samples = []
    for _ in range(spec["cycles"]):
        u = str(uuid.uuid4())
        t0 = time.perf_counter()
        subprocess.run(["mdevctl", "start", "-u", u, "-p", spec["parent"],
                        "-t", spec["type"]], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run(["mdevctl", "stop", "-u", u], check=True,
                       stdout=subprocess.DEVNULL)
        samples.append(time.perf_counter() - t0)
    res["startstop"] = statistics.median(samples)
    print(json.dumps(res))


def phase_sriov(opts, tab, tmp):
    small, big = opts.small, opts.big
    log(f"phase B: mdevsim sriov, {small} then {big} active mdevs")
    sim = Mdevsim(opts.mdevsim, "sriov", tmp)
    ours = None
    try:
        ours = Ours(opts.virtmdevd, sim.mnt, tmp, "sriov")
        start0 = ours.start_s
        c = libvirt.open(ours.uri)
        parents = sorted(d.name() for d in c.listAllDevices(CAP_MDEV_TYPES))
        c.close()
        pdev = sim.parents()[0]
        fill_round_robin(ours.uri, parents, small)
        f_small = mdev_figures(opts, ours.uri, parents[0], ours.proc.pid)
        if f_small["count"] != small:
            raise RuntimeError(f"expected {small} mdevs, daemon has {f_small['count']}")

        # create + destroy through the API, one at a time
        c = libvirt.open(ours.uri)
        samples = []
        xml = create_xml(parents[-1])
        for _ in range(opts.cycles * 5):
            t0 = time.perf_counter()
            c.nodeDeviceCreateXML(xml, 0).destroy()
            samples.append(time.perf_counter() - t0)
        cd = statistics.median(samples)
        c.close()
        # the same on mdevsim by hand, no daemon: one open and write of
        # 'create', one of 'remove' (the least any tool can do there)
        tdir = os.path.join(sim.mnt, "class/mdev_bus", sim.parents()[-1],
                            "mdev_supported_types", MDEV_TYPE)
        samples = []
        for _ in range(opts.cycles * 5):
            u = str(uuid.uuid4())
            t0 = time.perf_counter()
            fd = os.open(os.path.join(tdir, "create"), os.O_WRONLY)
            try:
                os.write(fd, u.encode())
            finally:
                os.close(fd)
            fd = os.open(os.path.join(sim.mnt, "bus/mdev/devices", u, "remove"),
                         os.O_WRONLY)
            try:
                os.write(fd, b"1")
            finally:
                os.close(fd)
            samples.append(time.perf_counter() - t0)
        by_hand = statistics.median(samples)

        log("mdevctl 1.2 on the same simulated host")
        mc = mdevctl_figures(opts, sim, tmp, pdev)

        log(f"{opts.parallel} creates from 8 parallel clients")
        before_d, before_s = f_small["count"], sim.mdev_count()
        jobs = [parents[i % len(parents)] for i in range(opts.parallel)]
        created, errors, secs = create_many(ours.uri, jobs, 8)
        c = libvirt.open(ours.uri)
        after_d = len(c.listAllDevices(CAP_MDEV))
        c.close()
        after_s = sim.mdev_count()
        lost = opts.parallel - len(created)
        ok = (not errors and after_d - before_d == opts.parallel
              and after_s - before_s == opts.parallel)
        tab.notes.append(
            f"parallel creates: {opts.parallel} from 8 clients in {secs:.2f} s, "
            f"{len(created)} created, {len(errors)} errors, daemon "
            f"{before_d} -> {after_d}, mdevsim sysfs {before_s} -> {after_s}"
            + (f"; first error: {errors[0]}" if errors else ""))

        # fill to the big size
        jobs = []
        for bus in sim.parents():
            jobs += [node_name(bus)] * sim.available(bus)
        jobs = jobs[:big - after_d]
        if jobs:
            cr, er, _ = create_many(ours.uri, jobs, 8)
            if er:
                raise RuntimeError(f"filling to {big}: {len(er)} errors: {er[0]}")
        f_big = mdev_figures(opts, ours.uri, parents[0], ours.proc.pid)
        if f_big["count"] != big or sim.mdev_count() != big:
            raise RuntimeError(f"expected {big} mdevs: daemon {f_big['count']}, "
                               f"mdevsim {sim.mdev_count()}")
        rss_live, hwm_live = rss_kib(ours.proc.pid)
        mc_list_big = None
        if opts.mdevctl_big:
            confdir = mdevctl_confdir(tmp)
            mc_list_big = median_run(
                in_sim_ns(sim, confdir, "exec mdevctl list >/dev/null"),
                max(1, opts.cmd_repeats // 2))
        ours.stop()
        ours = None

        # a fresh start on the full host
        starts = []
        rss_start = None
        for _ in range(opts.start_repeats):
            d = Ours(opts.virtmdevd, sim.mnt, tmp, "sriov-restart")
            starts.append(d.start_s)
            c = libvirt.open(d.uri)
            c.listAllDevices(0)
            c.close()
            rss_start = rss_kib(d.proc.pid)
            d.stop()
        start_big = statistics.median(starts)

        tab.add(f"sriov {big}: RPC floor (isSecure)", f_big["floor"])
        tab.add(f"sriov {big}: listAllDevices(CAP_MDEV)", f_big["mdev"],
                "our floor", f_big["floor"], "< 10x", check=lambda x: x < 10)
        tab.add(f"sriov {big}: XMLDesc of a parent (16 types)", f_big["pxml"],
                "our floor", f_big["floor"], "< 10x", check=lambda x: x < 10)
        tab.add(f"sriov {big}, raw wire: RPC floor (isSecure)", f_big["w_floor"])
        tab.add(f"sriov {big}, raw wire: listAllDevices(CAP_MDEV)",
                f_big["w_mdev"], "our floor", f_big["w_floor"], "< 10x",
                check=lambda x: x < 10)
        tab.add(f"sriov {big}, raw wire: XMLDesc of a parent (16 types)",
                f_big["w_pxml"], "our floor", f_big["w_floor"], "< 10x",
                check=lambda x: x < 10)
        tab.add(f"sriov growth {small}->{big}, raw wire: listAllDevices(CAP_MDEV)",
                f_big["w_mdev"], f"at {small}", f_small["w_mdev"],
                f"<= {big // small}x (linear)", check=lambda x: x <= big / small)
        tab.add(f"sriov growth {small}->{big}, raw wire: XMLDesc of a parent",
                f_big["w_pxml"], f"at {small}", f_small["w_pxml"],
                f"<= {big // small}x (linear)", check=lambda x: x <= big / small)
        tab.add(f"sriov growth {small}->{big}: listAllDevices(CAP_MDEV)",
                f_big["mdev"], f"at {small}", f_small["mdev"],
                f"<= {big // small}x (linear)", check=lambda x: x <= big / small)
        tab.add(f"sriov growth {small}->{big}: XMLDesc of a parent",
                f_big["pxml"], f"at {small}", f_small["pxml"],
                f"<= {big // small}x (linear)", check=lambda x: x <= big / small)
        tab.add(f"sriov {big}, daemon CPU per call: RPC floor (isSecure)",
                f_big["cpu_floor"])
        tab.add(f"sriov {big}, daemon CPU per call: listAllDevices(CAP_MDEV)",
                f_big["cpu_mdev"], "our floor", f_big["cpu_floor"])
        tab.add(f"sriov {big}, daemon CPU per call: XMLDesc of a parent",
                f_big["cpu_pxml"], "our floor", f_big["cpu_floor"])
        tab.add(f"sriov {big}: start to ready", start_big, unit="s",
                target="< 0.5 s", check=lambda x: x < 0.5)
        tab.add("sriov 0: first start to ready (cold caches)", start0, unit="s",
                target="< 0.5 s", check=lambda x: x < 0.5)
        tab.add(f"sriov {big}: resident memory after the run", rss_live / 1024,
                unit="MiB", target="< 32 MiB", check=lambda x: x < 32)
        tab.add(f"sriov {big}: peak resident memory of the run", hwm_live / 1024,
                unit="MiB", target="< 32 MiB", check=lambda x: x < 32)
        tab.add(f"sriov {big}: resident memory after start + list",
                rss_start[0] / 1024, unit="MiB", target="< 32 MiB",
                check=lambda x: x < 32)
        tab.add(f"sriov {small}: listAllDevices(CAP_MDEV_TYPES)",
                f_small["types"], "`mdevctl types`", mc["types"])
        tab.add(f"sriov {small}: XMLDesc of all 128 parents",
                f_small["pxml_all"], "`mdevctl types`", mc["types"])
        tab.add(f"sriov {small}: listAllDevices(CAP_MDEV)", f_small["mdev"],
                "`mdevctl list`", mc["list"])
        if mc_list_big is not None:
            tab.add(f"sriov {big}: listAllDevices(CAP_MDEV)", f_big["mdev"],
                    "`mdevctl list`", mc_list_big)
        tab.add(f"sriov {small}: create+destroy one mdev (API)", cd,
                "`mdevctl start`+`stop`", mc["startstop"], "<= 0.05x (20x faster)",
                check=lambda x: x <= 0.05)
        tab.add(f"sriov {small}: create+remove by hand (os.write, no daemon)",
                by_hand, "`mdevctl start`+`stop`", mc["startstop"])
        tab.add(f"sriov {small}: create+destroy one mdev (API) vs by hand",
                cd, "by hand", by_hand)
        tab.add(f"sriov: {opts.parallel} creates from 8 parallel clients, lost",
                lost, unit="", target="0, counts match on daemon and sysfs",
                check=lambda x: ok)
    finally:
        if ours:
            ours.stop()
        sim.stop()


# ---- phase C: libvirtd's own create path on mdevsim -------------------------

LIBVIRT_CREATE = r'''
import libvirt, os, subprocess, sys, time
sys.path.insert(0, {here!r})
import bench
lvd = bench.Libvirtd({tmp!r})
try:
    c = libvirt.open(lvd.uri)
    names = [d.name() for d in c.listAllDevices(bench.CAP_MDEV_TYPES)]
    if not names:
        alld = c.listAllDevices(0)
        pci = c.listAllDevices(bench.CAP_PCI_DEV)
        print(f"cannot be measured: libvirtd lists {{len(alld)}} devices "
              f"({{len(pci)}} PCI) with mdevsim over /sys but no mdev parent, "
              f"so it has nothing to create an mdev on; mdevsim serves "
              f"{{len(os.listdir('/sys/class/mdev_bus'))}} parents in "
              f"/sys/class/mdev_bus")
        sys.exit(0)
    t0 = time.perf_counter()
    try:
        d = c.nodeDeviceCreateXML(bench.create_xml(names[0]), 0)
        print(f"created {{d.name()}} in {{time.perf_counter() - t0:.3f}} s")
        t1 = time.perf_counter()
        d.destroy()
        print(f"destroyed in {{time.perf_counter() - t1:.3f}} s")
    except libvirt.libvirtError as e:
        n = len(os.listdir("/sys/bus/mdev/devices"))
        print(f"failed after {{time.perf_counter() - t0:.3f}} s: {{e}} "
              f"(mdevsim now has {{n}} mdev(s): mdevctl did create it)")
finally:
    lvd.stop()
'''


def phase_libvirt_create(opts, tab, tmp):
    log("phase C: libvirtd's own create path (mdevctl) on mdevsim; "
        "this can take 60 s")
    sim = Mdevsim(opts.mdevsim, "sriov", tmp)
    try:
        confdir = mdevctl_confdir(tmp)
        script = os.path.join(tmp, "libvirt_create.py")
        with open(script, "w", encoding="utf-8") as fh:
            fh.write(LIBVIRT_CREATE.format(here=HERE, tmp=tmp))
        t0 = time.perf_counter()
        p = subprocess.run(in_sim_ns(sim, confdir, f"exec /usr/bin/python3 '{script}'"),
                           capture_output=True, text=True, timeout=300)
        secs = time.perf_counter() - t0
        out = (p.stdout + p.stderr).strip().splitlines()
        tab.notes.append("libvirtd 9.0 create path on mdevsim (one call, "
                         f"{secs:.1f} s in all): " + " | ".join(out[-3:]))
    finally:
        sim.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--virtmdevd")
    ap.add_argument("--mdevsim")
    ap.add_argument("--out")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--sim-only", action="store_true",
                    help="leave out the host's real /sys (the CI smoke test)")
    ap.add_argument("--no-libvirt-create", action="store_true",
                    help="leave out libvirtd's create path (60 s)")
    ap.add_argument("--mdevctl-timer")
    opts = ap.parse_args()
    if opts.mdevctl_timer:
        mdevctl_timer(opts.mdevctl_timer)
        return 0
    # bench/run sets this after unshare -m: our mounts (tmpfs over
    # libvirtd's state, /etc/passwd) must never reach the host's namespace
    if os.environ.get("ND_BENCH_PRIVATE_NS") != "1":
        print("bench.py: run me through bench/run (a private mount namespace)",
              file=sys.stderr)
        return 2
    if opts.quick:
        opts.calls, opts.repeats, opts.cmd_repeats = 20, 1, 2
        opts.cycles, opts.start_repeats = 2, 1
        opts.small, opts.big, opts.parallel = 16, 256, 64
        opts.mdevctl_big = False
    else:
        opts.calls, opts.repeats, opts.cmd_repeats = 200, 5, 10
        opts.cycles, opts.start_repeats = 10, 3
        opts.small, opts.big, opts.parallel = 256, 4096, 1000
        opts.mdevctl_big = True
    tab = Table()
    t0 = time.perf_counter()
    tmp = tempfile.mkdtemp(prefix="nd-bench-")
    try:
        if opts.sim_only:
            tab.notes.append("--sim-only: the real /sys phase was left out")
        else:
            phase_real(opts, tab, tmp)
        phase_sriov(opts, tab, tmp)
        if not opts.quick and not opts.no_libvirt_create:
            try:
                phase_libvirt_create(opts, tab, tmp)
            except (RuntimeError, OSError, subprocess.SubprocessError) as e:
                tab.notes.append(f"libvirtd's create path could not be run: {e}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    total = time.perf_counter() - t0
    tree = source_tree()
    calls = (f"{opts.calls} calls x {opts.repeats} repeats per figure (median of "
             f"per-repeat medians); whole commands {opts.cmd_repeats} runs")
    text = "\n".join([
        "# Benchmark results",
        "",
        f"Measured by `bench/run{' --quick' if opts.quick else ''}` in one run "
        f"of {total:.0f} s on {os.uname().nodename} ({os.cpu_count()} cores), "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {tree}. {calls}. "
        "Ratio = virtmdevd / anchor. Clients: python3-libvirt 9.0 and "
        "virsh 9.0; anchors: libvirtd 9.0 (Debian libvirt-daemon) on the same "
        "real /sys, mdevctl 1.2 on the same mdevsim host.",
        "",
        tab.render(),
        "",
        "Notes:",
        "",
    ] + [f"- {n}" for n in tab.notes]) + "\n"
    print(text)
    if opts.out:
        with open(opts.out, "w", encoding="utf-8") as fh:
            fh.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
