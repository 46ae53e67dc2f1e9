# SPDX-License-Identifier: LGPL-2.1-or-later
"""Hardening harness: one simulated host (mdevsim on a temp mount and a
temp mdevctl directory) that outlives the daemons started on it, so a
daemon can be killed and restarted on the same state.

ND_HARDENING_LONG=1 selects the long runs (docs/hardening.md)."""
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time

import libvirt
import pytest

from ndtest import (EXAMPLES, MDEVSIM, STARTUP_TIMEOUT, VALGRIND, VIRTMDEVD,
                    is_mounted, valgrind_wrap)

EXAMPLES_DIR = EXAMPLES
LONG = os.environ.get("ND_HARDENING_LONG", "") not in ("", "0")

# libvirt prints every error to stderr unless a handler is set
libvirt.registerErrorHandler(lambda ctx, err: None, None)


def mdev_xml(parent, type_id, uuid=None, attrs=""):
    u = f"<uuid>{uuid}</uuid>" if uuid else ""
    return (f"<device><name>x</name><parent>{parent}</parent>"
            f"<capability type='mdev'><type id='{type_id}'/>{u}{attrs}"
            "</capability></device>")


def error_of(fn):
    with pytest.raises(libvirt.libvirtError) as info:
        fn()
    e = info.value
    return e.get_error_code(), e.get_error_domain(), e.get_error_message()


class Host:
    """mdevsim with PROFILE at TMP/host, definitions in TMP/mdevctl.d."""

    def __init__(self, profile="demo", config=""):
        self.tmp = tempfile.mkdtemp(prefix="nd-hard-")
        self.sysfs = os.path.join(self.tmp, "host")
        self.config_dir = os.path.join(self.tmp, "mdevctl.d")
        self.sock = os.path.join(self.tmp, "sock")
        self.sock_ro = os.path.join(self.tmp, "sock-ro")
        self.conf = os.path.join(self.tmp, "virtmdevd.conf")
        os.mkdir(self.sysfs)
        os.mkdir(self.config_dir)
        # as mdevctl's package installs them (mdevctl refuses to run without)
        for d in ("callouts", "notifiers"):
            os.makedirs(os.path.join(self.config_dir, "scripts.d", d))
        with open(self.conf, "w", encoding="utf-8") as fh:
            fh.write("[virtmdevd]\ndev_root=%s\n" % self.control("dev") + config)
        self.proc = None
        self.runs = 0
        self.lines = []
        self.mdevsim = None
        self._start_mdevsim(profile)
        self.uri = "nodedev:///system?socket=" + self.sock
        self.uri_ro = "nodedev:///system?socket=" + self.sock_ro

    def _start_mdevsim(self, profile):
        rfd, wfd = os.pipe()
        self.mdevsim = subprocess.Popen(
            [MDEVSIM, "--ready-fd", str(wfd), "--profile", profile, self.sysfs],
            pass_fds=(wfd,), stdout=subprocess.DEVNULL)
        os.close(wfd)
        ready, _, _ = select.select([rfd], [], [], STARTUP_TIMEOUT)
        data = os.read(rfd, 16) if ready else b""
        os.close(rfd)
        if data != b"ready\n":
            raise RuntimeError("mdevsim did not start")

    def control(self, *parts):
        return os.path.join(self.sysfs, ".mdevsim", *parts)

    def inject(self, line):
        with open(self.control("inject"), "w", encoding="utf-8") as fh:
            fh.write(line + "\n")

    def busy(self, uuid, on=True):
        with open(self.control("busy"), "w", encoding="utf-8") as fh:
            fh.write(("+" if on else "-") + uuid + "\n")

    def logfile(self):
        return os.path.join(self.tmp, "log.%d" % self.runs)

    def start(self, extra_args=()):
        """Starts a daemon on this host; waits until it serves."""
        assert self.proc is None
        self.runs += 1
        args = [VIRTMDEVD, "--config", self.conf, "--socket", self.sock,
                "--socket-ro", self.sock_ro, "--sysfs-root", self.sysfs,
                "--config-dir", self.config_dir] + list(extra_args)
        args = valgrind_wrap(args, self.logfile() + ".valgrind")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                                     stderr=open(self.logfile(), "wb"),
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        buf = b""
        fd = self.proc.stdout.fileno()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError("virtmdevd did not start: " + self.log())
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                rc = self.proc.wait()
                self.proc = None
                raise RuntimeError(f"virtmdevd exited with {rc}: " + self.log())
            buf += chunk
            self.lines = buf.decode().splitlines()
            if any(l.startswith("connect with:") for l in self.lines):
                return

    def log(self, run=None):
        text = ""
        base = os.path.join(self.tmp, "log.%d" % (run or self.runs))
        for name in (base, base + ".valgrind"):
            try:
                with open(name, encoding="utf-8", errors="replace") as fh:
                    text += fh.read()
            except FileNotFoundError:
                pass
        return text

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def pid(self):
        return self.proc.pid

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()
        self.proc = None

    def stop(self):
        """SIGTERM; returns the daemon's exit code."""
        rc = self.proc.poll()
        if rc is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                rc = self.proc.wait()
        self.proc.stdout.close()
        self.proc = None
        return rc

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def instrumented(self):
        """True under ASan or valgrind, whose own memory use (quarantine,
        shadow) makes the daemon's RSS meaningless as a bound."""
        if VALGRIND:
            return True
        with open(f"/proc/{self.proc.pid}/maps", encoding="utf-8") as fh:
            return "libasan" in fh.read()

    def sim_mdevs(self):
        """UUIDs of the simulated host's mdevs, as sysfs lists them."""
        return sorted(os.listdir(os.path.join(self.sysfs, "bus/mdev/devices")))

    def conn(self, ro=False):
        return libvirt.open(self.uri_ro if ro else self.uri)

    def daemon_mdevs(self, conn):
        """UUIDs of the active mdevs the daemon lists."""
        out = []
        for d in conn.listAllDevices(
                libvirt.VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV |
                libvirt.VIR_CONNECT_LIST_NODE_DEVICES_ACTIVE):
            out.append(d.name()[5:41].replace("_", "-"))
        return sorted(out)

    def destroy(self):
        if self.proc is not None:
            self.stop()
        if self.mdevsim:
            self.mdevsim.send_signal(signal.SIGTERM)
            try:
                self.mdevsim.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.mdevsim.kill()
                self.mdevsim.wait()
                subprocess.run(["fusermount3", "-u", "-z", self.sysfs])
            self.mdevsim = None
        if not is_mounted(self.sysfs):
            shutil.rmtree(self.tmp, ignore_errors=True)


# in a daemon's log, a bug whatever the test did
LOG_BUGS = ("a call failed without reporting an error", "runtime error:",
            "AddressSanitizer", "LeakSanitizer", "CRITICAL", "GLib-WARNING")


def check_log(text):
    for bug in LOG_BUGS:
        assert bug not in text, text


def _finish(h):
    alive = h.alive()
    running = h.proc is not None
    rc = h.stop() if running else 0
    log = "".join(h.log(run) for run in range(1, h.runs + 1))
    h.destroy()
    check_log(log)
    if running:
        assert alive, "virtmdevd died: " + log
        assert rc == 0, f"virtmdevd exited with {rc}: " + log


@pytest.fixture
def make_host():
    made = []

    def make(profile="demo", config="", start=True):
        h = Host(profile, config)
        made.append(h)
        if start:
            h.start()
        return h
    yield make
    for h in made:
        _finish(h)


@pytest.fixture
def host(make_host):
    return make_host()
