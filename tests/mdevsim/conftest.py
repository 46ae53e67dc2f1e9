# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fixtures for the mdevsim tests: real FUSE mounts of mdevsim in temporary
directories, always unmounted at the end (even when a test fails)."""
import errno
import os
import pathlib
import shutil
import signal
import tempfile
import subprocess

import pytest

MDEVSIM = os.environ.get("MDEVSIM")


def is_mounted(path):
    path = os.path.realpath(path)
    with open("/proc/self/mountinfo", encoding="utf-8") as fh:
        return any(line.split()[4] == path for line in fh)


class Sim:
    """One running mdevsim and its mount point."""

    def __init__(self, root, proc):
        self.root = root
        self.proc = proc
        self.ctl = os.path.join(root, ".mdevsim")

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def read(self, *parts):
        with open(self.path(*parts), encoding="utf-8") as fh:
            return fh.read()

    def write(self, rel, data, flags=os.O_WRONLY):
        """One write(2) of data; returns 0 or the errno."""
        return write_errno(self.path(rel), data, flags)

    def type_dir(self, parent, mtype):
        return self.path("class", "mdev_bus", parent, "mdev_supported_types", mtype)

    def avail(self, parent, mtype):
        with open(os.path.join(self.type_dir(parent, mtype),
                               "available_instances"), encoding="utf-8") as fh:
            return int(fh.read())

    def create(self, parent, mtype, uuid):
        return write_errno(os.path.join(self.type_dir(parent, mtype), "create"), uuid)

    def remove(self, uuid, value="1"):
        return write_errno(self.path("bus", "mdev", "devices", uuid, "remove"), value)

    def control(self, name, data):
        return write_errno(os.path.join(self.ctl, name), data)

    def stop(self):
        """SIGTERM, as a user would; returns mdevsim's exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if is_mounted(self.root):
            subprocess.run(["fusermount3", "-u", "-z", self.root], check=False)
        return self.proc.returncode


def write_errno(path, data, flags=os.O_WRONLY):
    if isinstance(data, str):
        data = data.encode()
    try:
        fd = os.open(path, flags)
    except OSError as e:
        return e.errno
    try:
        os.write(fd, data)
        return 0
    except OSError as e:
        return e.errno
    finally:
        os.close(fd)


def read_errno(path):
    try:
        with open(path, "rb") as fh:
            fh.read()
        return 0
    except OSError as e:
        return e.errno


def start_sim(tmp_path, profile, name="mnt"):
    if not MDEVSIM or not os.access(MDEVSIM, os.X_OK):
        pytest.fail(f"MDEVSIM must name the built mdevsim binary, not {MDEVSIM!r}")
    root = tmp_path / name
    root.mkdir()
    rfd, wfd = os.pipe()
    args = [MDEVSIM, "--ready-fd", str(wfd)]
    if profile:
        args += ["--profile", profile]
    proc = subprocess.Popen(args + [str(root)], pass_fds=[wfd],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    os.close(wfd)
    with os.fdopen(rfd, "rb") as fh:
        line = fh.read()   # EOF when mdevsim closes it (ready or dead)
    if line != b"ready\n":
        proc.wait(timeout=30)
        err = proc.stderr.read().decode(errors="replace")
        pytest.fail(f"mdevsim did not become ready: rc={proc.returncode} {err}")
    return Sim(str(root), proc)


@pytest.fixture
def mdevsim(tmp_path):
    """Factory: mdevsim(profile) -> Sim; every mount is stopped afterwards."""
    sims = []

    dirs = []

    def make(profile=None, name=None, public=False):
        base = tmp_path
        if public:
            # pytest's own temporary tree is 0700: other users need a path
            # they may traverse.
            base = pathlib.Path(tempfile.mkdtemp(prefix="mdevsim-test-"))
            os.chmod(base, 0o755)
            dirs.append(base)
        sim = start_sim(base, profile, name or f"mnt{len(sims)}")
        sims.append(sim)
        return sim

    yield make
    codes = [sim.stop() for sim in sims]
    for d in dirs:
        shutil.rmtree(d, ignore_errors=True)
    # A clean stop exits 0: a crash, or a sanitizer's report at exit, fails
    # the test here.
    for sim, code in zip(sims, codes):
        assert code == 0, f"mdevsim exited {code}: " + \
            sim.proc.stderr.read().decode(errors="replace")[-4000:]


@pytest.fixture
def demo(mdevsim):
    return mdevsim("demo")


__all__ = ["Sim", "write_errno", "read_errno", "errno", "is_mounted"]
