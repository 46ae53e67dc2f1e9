# SPDX-License-Identifier: LGPL-2.1-or-later
"""Test harness: the real virtmdevd on a real mdevsim mount, temp paths only.

Used by tests/integration (virsh, python3-libvirt) and tests/rpc (raw wire
clients). Paths to the built programs come from meson through the
environment: ND_VIRTMDEVD, ND_MDEVSIM, ND_TOP_SRCDIR.
"""
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

import pytest

VIRTMDEVD = os.environ.get("ND_VIRTMDEVD", "")
MDEVSIM = os.environ.get("ND_MDEVSIM", "")
TOP_SRCDIR = os.environ.get("ND_TOP_SRCDIR",
                            os.path.dirname(os.path.dirname(
                                os.path.dirname(os.path.abspath(__file__)))))
EXAMPLES = os.path.join(TOP_SRCDIR, "examples")
NODEDEV_RNG = "/usr/share/libvirt/schemas/nodedev.rng"

# ND_TEST_VALGRIND=1 runs every daemon the harness starts under valgrind:
# any invalid access or definite leak makes it exit with VALGRIND_RC, which
# the fixtures report as a failure (docs/hardening.md).
VALGRIND = os.environ.get("ND_TEST_VALGRIND", "") not in ("", "0")
VALGRIND_RC = 99

# Bounded waits for things that happen asynchronously (startup, events).
STARTUP_TIMEOUT = 120 if VALGRIND else 30


def valgrind_wrap(args, logfile):
    """@args prefixed with valgrind when ND_TEST_VALGRIND is set."""
    if not VALGRIND:
        return list(args)
    return ["valgrind", "--quiet", f"--error-exitcode={VALGRIND_RC}",
            "--leak-check=full", "--errors-for-leak-kinds=definite",
            "--show-leak-kinds=definite", "--track-fds=no",
            f"--log-file={logfile}"] + list(args)


def is_mounted(path):
    with open("/proc/self/mountinfo", encoding="utf-8") as fh:
        return any(line.split()[4] == path for line in fh)


class Daemon:
    """virtmdevd with --simulate (or on an mdevsim we start) on temp sockets."""

    def __init__(self, profile="demo", config="", simulate=True, extra_args=()):
        self.tmp = tempfile.mkdtemp(prefix="nd-it-")
        self.sock = os.path.join(self.tmp, "sock")
        self.sock_ro = os.path.join(self.tmp, "sock-ro")
        self.conf = os.path.join(self.tmp, "virtmdevd.conf")
        with open(self.conf, "w", encoding="utf-8") as fh:
            fh.write("[virtmdevd]\n" + config)
        self.mdevsim = None
        self.sysfs = None
        self.config_dir = None
        self.lines = []
        args = [VIRTMDEVD, "--config", self.conf, "--socket", self.sock,
                "--socket-ro", self.sock_ro]
        if simulate:
            args.append("--simulate=" + profile)
        else:
            self.sysfs = os.path.join(self.tmp, "host")
            self.config_dir = os.path.join(self.tmp, "mdevctl.d")
            os.mkdir(self.sysfs)
            os.mkdir(self.config_dir)
            self._start_mdevsim(profile)
            args += ["--sysfs-root", self.sysfs, "--config-dir", self.config_dir]
        args += list(extra_args)
        self.args = args
        args = valgrind_wrap(args, os.path.join(self.tmp, "valgrind.log"))
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                                     stderr=open(os.path.join(self.tmp, "log"), "wb"),
                                     stdin=subprocess.DEVNULL)
        self._wait_started()
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

    def _wait_started(self):
        """Reads the daemon's stdout up to the 'connect with:' line."""
        deadline = time.monotonic() + STARTUP_TIMEOUT
        buf = b""
        fd = self.proc.stdout.fileno()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.stop()
                raise RuntimeError("virtmdevd did not start: " + self.log())
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                rc = self.proc.wait()
                raise RuntimeError(f"virtmdevd exited with {rc}: " + self.log())
            buf += chunk
            self.lines = buf.decode().splitlines()
            for line in self.lines:
                if line.startswith("virtmdevd ") and "managing mdevs under '" in line:
                    self.sysfs = line.split("'")[1]
                    self.config_dir = line.split("'")[3]
            if any(l.startswith("connect with:") for l in self.lines):
                return

    def log(self):
        text = ""
        for name in ("log", "valgrind.log"):
            try:
                with open(os.path.join(self.tmp, name), encoding="utf-8",
                          errors="replace") as fh:
                    text += fh.read()
            except FileNotFoundError:
                pass
        return text

    def alive(self):
        return self.proc.poll() is None

    def control(self, *parts):
        """Path of an mdevsim control file."""
        return os.path.join(self.sysfs, ".mdevsim", *parts)

    def stop(self):
        """SIGTERM; returns the daemon's exit code."""
        rc = self.proc.poll()
        if rc is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                rc = self.proc.wait()
        self.proc.stdout.close()
        if self.mdevsim:
            self.mdevsim.send_signal(signal.SIGTERM)
            self.mdevsim.wait(timeout=30)
            self.mdevsim = None
        shutil.rmtree(self.tmp, ignore_errors=True)
        return rc


def virsh(uri, *args, check=None):
    """Runs the real virsh; returns (exit code, stdout, stderr)."""
    env = dict(os.environ)
    env.pop("LIBVIRT_DEFAULT_URI", None)
    env["LC_ALL"] = "C"
    p = subprocess.run(["virsh", "-c", uri] + list(args), env=env,
                       stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=120)
    if check is not None:
        assert p.returncode == check, (p.returncode, p.stdout, p.stderr)
    return p.returncode, p.stdout, p.stderr


def validate_xml(xml):
    """Validates a node-device document against libvirt's installed schema."""
    p = subprocess.run(["xmllint", "--noout", "--relaxng", NODEDEV_RNG, "-"],
                       input=xml, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr + xml


# ---- a raw client of the wire protocol ------------------------------------

PROGRAM = 0x20008086
KEEPALIVE = 0x6B656570
CALL, REPLY, MESSAGE = 0, 1, 2
OK, ERROR = 0, 1


def xdr_uint(v):
    return struct.pack(">I", v & 0xFFFFFFFF)


def xdr_int(v):
    return struct.pack(">i", v)


def xdr_string(s):
    b = s.encode() if isinstance(s, str) else s
    return xdr_uint(len(b)) + b + b"\0" * (-len(b) % 4)


def xdr_opt_string(s):
    return xdr_uint(0) if s is None else xdr_uint(1) + xdr_string(s)


class XdrReader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def uint(self):
        v = struct.unpack_from(">I", self.data, self.pos)[0]
        self.pos += 4
        return v

    def int(self):
        v = struct.unpack_from(">i", self.data, self.pos)[0]
        self.pos += 4
        return v

    def string(self):
        n = self.uint()
        s = self.data[self.pos:self.pos + n].decode()
        self.pos += n + (-n % 4)
        return s

    def opt_string(self):
        return self.string() if self.uint() else None

    def done(self):
        return self.pos == len(self.data)


def frame(prog, vers, proc, mtype, serial, status, payload=b""):
    body = struct.pack(">IIiIII", prog, vers, proc, mtype, serial, status) + payload
    return struct.pack(">I", len(body) + 4) + body


def decode_error(payload):
    r = XdrReader(payload)
    err = {"code": r.int(), "domain": r.int(), "message": r.opt_string(),
           "level": r.int()}
    assert r.uint() == 0            # dom
    err["str1"] = r.opt_string()
    err["str2"] = r.opt_string()
    err["str3"] = r.opt_string()
    err["int1"] = r.int()
    err["int2"] = r.int()
    assert r.uint() == 0            # net
    assert r.done()
    return err


class RawClient:
    """A blocking client speaking the protocol byte by byte."""

    def __init__(self, path, timeout=30):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.serial = 0

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def _recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf

    def recv(self):
        """Next message as (prog, vers, proc, type, serial, status, payload),
        or None at end of file."""
        head = self._recv_exact(4)
        if head is None:
            return None
        n = struct.unpack(">I", head)[0]
        body = self._recv_exact(n - 4)
        if body is None:
            return None
        return struct.unpack_from(">IIiIII", body) + (body[24:],)

    def recv_reply(self):
        """Next REPLY, answering PINGs and skipping other messages."""
        while True:
            m = self.recv()
            if m is None:
                return None
            if m[0] == KEEPALIVE and m[2] == 1:
                self.send(frame(KEEPALIVE, 1, 2, MESSAGE, 0, OK))
                continue
            if m[3] == REPLY:
                return m

    def call(self, proc, payload=b"", prog=PROGRAM, vers=1):
        """Sends a CALL and returns (status, payload) of its reply."""
        self.serial += 1
        self.send(frame(prog, vers, proc, CALL, self.serial, OK, payload))
        m = self.recv_reply()
        assert m is not None, "connection closed"
        assert m[2] == proc and m[4] == self.serial, m
        return m[5], m[6]

    def open(self, flags=0, name="nodedev:///system"):
        status, payload = self.call(1, xdr_opt_string(name) + xdr_uint(flags))
        assert status == OK, decode_error(payload)

    def closed_by_peer(self):
        """True when the daemon closes the connection (within the timeout)."""
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return True
        except ConnectionResetError:
            return True


# ---- the real libvirtd, for side-by-side comparisons -----------------------

LIBVIRTD = "/usr/sbin/libvirtd"

LIBVIRTD_CONF = """unix_sock_dir = "{run}"
unix_sock_rw_perms = "0700"
auth_unix_rw = "none"
auth_unix_ro = "none"
listen_tls = 0
listen_tcp = 0
log_outputs = "1:file:{log}"
"""

# In a private mount namespace: empty tmpfs over libvirt's state and
# configuration directories (so that nothing of the host's libvirt is read
# or changed, and no network or guest is started), and a libvirt-qemu user
# that exists only there (libvirtd's qemu driver refuses to load without).
LIBVIRTD_SCRIPT = r"""
set -e
dir=$1
for d in /run/libvirt /var/lib/libvirt /var/cache/libvirt /etc/libvirt; do
    mkdir -p "$d"
    mount -t tmpfs tmpfs "$d"
done
cp /etc/passwd "$dir/passwd"
cp /etc/group "$dir/group"
if ! grep -q '^libvirt-qemu:' "$dir/passwd"; then
    echo 'libvirt-qemu:x:64055:64055::/var/lib/libvirt:/usr/sbin/nologin' >> "$dir/passwd"
    echo 'libvirt-qemu:x:64055:' >> "$dir/group"
fi
mount --bind "$dir/passwd" /etc/passwd
mount --bind "$dir/group" /etc/group
exec "$2" --config "$dir/libvirtd.conf" --pid-file "$dir/libvirtd.pid"
"""


class RealLibvirtd:
    """libvirtd 9.0 from Debian's libvirt-daemon in the foreground, in a
    private mount namespace, with throwaway state and its own sockets; it
    serves this machine's real /sys, read-only for what the tests do."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="nd-libvirtd-")
        run = os.path.join(self.dir, "run")
        os.mkdir(run)
        self.logfile = os.path.join(self.dir, "libvirtd.log")
        with open(os.path.join(self.dir, "libvirtd.conf"), "w", encoding="utf-8") as fh:
            fh.write(LIBVIRTD_CONF.format(run=run, log=self.logfile))
        self.uri = "nodedev:///system?socket=" + os.path.join(run, "libvirt-sock")
        import libvirt
        with open(os.path.join(self.dir, "stderr"), "w", encoding="utf-8") as err:
            self.proc = subprocess.Popen(
                ["unshare", "-m", "--propagation", "private", "sh", "-c",
                 LIBVIRTD_SCRIPT, "sh", self.dir, LIBVIRTD],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            try:
                conn = libvirt.open(self.uri)
                conn.listAllDevices(0)
                conn.close()
                return
            except libvirt.libvirtError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    log = self.log()
                    self.stop()
                    raise RuntimeError("libvirtd did not start: " + log)
                time.sleep(0.05)

    def log(self):
        out = []
        for name in ("stderr", "libvirtd.log"):
            try:
                with open(os.path.join(self.dir, name), encoding="utf-8",
                          errors="replace") as fh:
                    out.append(fh.read()[-4000:])
            except OSError:
                pass
        return "\n".join(out)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
        return self.proc.returncode


def real_libvirtd_missing():
    """Why the real libvirtd cannot be run here, or None."""
    if os.geteuid() != 0:
        return "needs root (a mount namespace)"
    if not os.access(LIBVIRTD, os.X_OK):
        return LIBVIRTD + " is not installed (Debian package libvirt-daemon)"
    if not shutil.which("unshare"):
        return "unshare is not installed"
    return None


# ---- fixtures (imported by the conftest.py files) --------------------------

@pytest.fixture
def daemon():
    d = Daemon()
    yield d
    alive = d.alive()
    log = d.log()
    rc = d.stop()
    assert alive, "virtmdevd died: " + log
    assert rc == 0, log


@pytest.fixture
def make_daemon():
    started = []

    def make(**kwargs):
        d = Daemon(**kwargs)
        started.append(d)
        return d
    yield make
    for d in started:
        alive = d.alive()
        log = d.log()
        rc = d.stop()
        assert alive, "virtmdevd died: " + log
        assert rc == 0, log


@pytest.fixture(scope="module")
def real_libvirtd():
    why = real_libvirtd_missing()
    if why:
        pytest.skip(why)
    lvd = RealLibvirtd()
    yield lvd
    lvd.stop()
