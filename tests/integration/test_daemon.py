# SPDX-License-Identifier: LGPL-2.1-or-later
"""virtmdevd itself: options, config file, startup output, --simulate
setup and cleanup, signals, systemd socket activation and readiness,
peer credentials in the log."""
import glob
import os
import re
import signal
import socket
import subprocess
import shutil
import tempfile
import time

import pytest

from ndtest import VIRTMDEVD, Daemon, RawClient, is_mounted, virsh

VERSION_RE = r"\d+\.\d+\.\d+"


def run(*args, timeout=60, **kwargs):
    return subprocess.run([VIRTMDEVD] + list(args), capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                          **kwargs)


@pytest.fixture(autouse=True, scope="module")
def private_tmpdir():
    """The daemons of this module make their --simulate directories in a
    directory of their own (GLib honours TMPDIR), so that sim_dirs() sees
    only theirs and not those of other test runs on the same machine."""
    d = tempfile.mkdtemp(prefix="ndd-")
    saved_env, saved_tempdir = os.environ.get("TMPDIR"), tempfile.tempdir
    os.environ["TMPDIR"] = d
    tempfile.tempdir = d
    yield d
    tempfile.tempdir = saved_tempdir
    if saved_env is None:
        del os.environ["TMPDIR"]
    else:
        os.environ["TMPDIR"] = saved_env
    shutil.rmtree(d)


def sim_dirs():
    return set(glob.glob(os.path.join(tempfile.gettempdir(), "virtmdevd-sim-*")))


def test_version():
    p = run("--version")
    assert p.returncode == 0
    assert re.fullmatch(f"virtmdevd {VERSION_RE}\n", p.stdout)
    assert p.stderr == ""


def test_help_lists_every_option():
    p = run("--help")
    assert p.returncode == 0
    for opt in ("--sysfs-root=DIR", "--config-dir=DIR", "--socket=PATH",
                "--socket-ro=PATH", "--simulate=PROFILE", "--verbose",
                "--version", "--config=FILE", "--help"):
        assert opt in p.stdout, opt


@pytest.mark.parametrize("args", [["--bogus"], ["extra"], ["--socket"]])
def test_bad_command_line(args):
    p = run(*args)
    assert p.returncode == 2
    assert p.stderr.startswith("virtmdevd: ")


@pytest.mark.parametrize("text,message", [
    ("[virtmdevd]\nbogus=1\n",
     "unknown setting 'bogus' in '{path}'"),
    ("[other]\nsocket=/x\n",
     "unknown group 'other' in '{path}'"),
    ("[virtmdevd]\nsocket=relative\n",
     "setting 'socket' in '{path}' must be an absolute path, not 'relative'"),
    ("[virtmdevd]\nmax_clients=0\n",
     "setting 'max_clients' in '{path}' must be a number from 1 to 65536, not '0'"),
    ("[virtmdevd]\nwatch=perhaps\n",
     "invalid setting 'watch' in '{path}'"),
    ("not a key file\n",
     "cannot parse configuration file '{path}'"),
])
def test_bad_config(tmp_path, text, message):
    conf = tmp_path / "virtmdevd.conf"
    conf.write_text(text)
    before = sim_dirs()
    p = run("--config", str(conf), "--simulate", "--socket", str(tmp_path / "s"),
            "--socket-ro", str(tmp_path / "r"))
    assert p.returncode == 1
    assert p.stdout == ""
    assert message.format(path=conf) in p.stderr
    assert not (tmp_path / "s").exists()
    assert sim_dirs() == before


def test_missing_config(tmp_path):
    p = run("--config", str(tmp_path / "nope.conf"))
    assert p.returncode == 1
    assert f"cannot read configuration file '{tmp_path / 'nope.conf'}'" in p.stderr


def test_settings_from_config_file(tmp_path):
    conf = tmp_path / "virtmdevd.conf"
    sock = tmp_path / "cfg-sock"
    conf.write_text("[virtmdevd]\n"
                    f"socket={sock}\n"
                    f"socket_ro={tmp_path / 'cfg-sock-ro'}\n"
                    "simulate=samples\n"
                    "log_level=info\n")
    p = subprocess.Popen([VIRTMDEVD, "--config", str(conf)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        lines = [p.stdout.readline() for _ in range(5)]
        assert lines[1] == "simulated host: mdevsim profile 'samples'\n"
        assert lines[2] == f"serving {sock} (read-write)\n"
        assert lines[4] == f"connect with: virsh -c 'nodedev:///system?socket={sock}'\n"
        rc, out, _ = virsh(f"nodedev:///system?socket={sock}", "nodedev-list")
        assert rc == 0
        assert "mdpy_mdpy" in out.split()
    finally:
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=30)
    assert p.returncode == 0
    # log_level=info: the listeners are logged
    assert f"listening on {sock}" in err


def test_startup_output_and_cleanup():
    before = sim_dirs()
    d = Daemon()
    sysfs = d.sysfs
    tmpdir = os.path.dirname(sysfs)
    assert re.fullmatch(f"virtmdevd {VERSION_RE}: managing mdevs under '{sysfs}', "
                        f"definitions in '{tmpdir}/mdevctl.d'", d.lines[0])
    assert d.lines[1:] == [
        "simulated host: mdevsim profile 'demo'",
        f"serving {d.sock} (read-write)",
        f"serving {d.sock_ro} (read-only)",
        f"connect with: virsh -c 'nodedev:///system?socket={d.sock}'",
    ]
    assert is_mounted(sysfs)
    assert os.path.isdir(os.path.join(sysfs, ".mdevsim"))
    assert d.stop() == 0
    assert not is_mounted(sysfs)
    assert not os.path.exists(tmpdir)
    assert sim_dirs() == before
    assert not os.path.exists(d.sock)


def test_sigint_shuts_down():
    d = Daemon()
    d.proc.send_signal(signal.SIGINT)
    assert d.proc.wait(timeout=30) == 0
    assert not os.path.exists(d.sock)
    assert not is_mounted(d.sysfs)
    d.stop()


def test_unknown_profile_leaves_nothing(tmp_path):
    before = sim_dirs()
    p = run("--config", "/dev/null", "--simulate=nope",
            "--socket", str(tmp_path / "s"), "--socket-ro", str(tmp_path / "r"))
    assert p.returncode == 1
    assert "mdevsim failed to mount" in p.stderr
    assert sim_dirs() == before


def test_daemon_on_mdevsim_we_started(make_daemon):
    d = make_daemon(simulate=False)
    assert d.lines[0].endswith(f"managing mdevs under '{d.sysfs}', "
                               f"definitions in '{d.config_dir}'")
    assert virsh(d.uri, "nodedev-list", "--cap", "mdev_types")[0] == 0


def test_socket_in_use(daemon, tmp_path):
    p = run("--config", "/dev/null", "--simulate", "--socket", daemon.sock,
            "--socket-ro", str(tmp_path / "r"))
    assert p.returncode == 1
    assert f"cannot listen on '{daemon.sock}': another daemon is serving it" in p.stderr
    # the first daemon is unharmed
    assert virsh(daemon.uri, "nodedev-list")[0] == 0


def test_stale_socket_is_replaced(tmp_path):
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    path = str(tmp_path / "sock")
    stale.bind(path)
    stale.close()
    conf = tmp_path / "c.conf"
    conf.write_text(f"[virtmdevd]\nsocket={path}\nsocket_ro={path}-ro\n")
    d = Daemon(config=f"socket={path}\nsocket_ro={path}-ro\n")
    try:
        assert virsh(f"nodedev:///system?socket={d.sock}", "nodedev-list")[0] == 0
    finally:
        assert d.stop() == 0


def test_not_a_socket(tmp_path):
    path = tmp_path / "file"
    path.write_text("x")
    p = run("--config", "/dev/null", "--simulate", "--socket", str(path),
            "--socket-ro", str(tmp_path / "r"))
    assert p.returncode == 1
    assert f"cannot listen on '{path}': it exists and is not a socket" in p.stderr
    assert path.read_text() == "x"


def test_peer_credentials_logged(make_daemon):
    d = make_daemon(extra_args=["--verbose"])
    c = RawClient(d.sock)
    c.open()
    c.close()
    c = RawClient(d.sock_ro)
    c.open()
    c.close()
    log = d.log()
    uid, gid = os.getuid(), os.getgid()
    assert re.search(rf"client \d+ connected on {re.escape(d.sock)}: "
                     rf"pid {os.getpid()} uid {uid} gid {gid}", log)
    assert re.search(rf"client \d+ connected on {re.escape(d.sock_ro)}: "
                     rf"pid {os.getpid()} uid {uid} gid {gid}", log)


def test_socket_activation_and_notify(tmp_path):
    rw_path = str(tmp_path / "act-sock")
    ro_path = str(tmp_path / "act-sock-ro")
    rw = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    rw.bind(rw_path)
    rw.listen(8)
    ro = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ro.bind(ro_path)
    os.chmod(ro_path, 0o666)
    ro.listen(8)
    notify_path = str(tmp_path / "notify")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    notify.settimeout(30)
    # systemd passes the sockets as fds 3 and 4, with LISTEN_PID the
    # daemon's own pid: the fds are moved in the child, and the shell
    # exports its pid and execs the daemon in place
    rw_fd, ro_fd = rw.fileno(), ro.fileno()

    def move_fds():
        a = os.dup(rw_fd)
        b = os.dup(ro_fd)
        os.dup2(a, 3)
        os.dup2(b, 4)

    script = ('export LISTEN_PID=$$ LISTEN_FDS=2 '
              'LISTEN_FDNAMES=virtmdevd.socket:virtmdevd-ro.socket; '
              'exec "$0" "$@"')
    env = dict(os.environ, NOTIFY_SOCKET=notify_path)
    p = subprocess.Popen(["sh", "-c", script, VIRTMDEVD, "--config", "/dev/null",
                          "--simulate", "--socket", str(tmp_path / "unused"),
                          "--socket-ro", str(tmp_path / "unused-ro")],
                         preexec_fn=move_fds, pass_fds=(3, 4), env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rw.close()
    ro.close()
    try:
        try:
            ready = notify.recv(4096)
        except TimeoutError:
            p.kill()
            ready = p.communicate()
        assert ready == b"READY=1"
        out = [p.stdout.readline() for _ in range(5)]
        assert out[2] == f"serving {rw_path} (fd 3) (read-write, from systemd)\n"
        assert out[3] == f"serving {ro_path} (fd 4) (read-only, from systemd)\n"
        assert out[4] == f"connect with: virsh -c 'nodedev:///system?socket={rw_path}'\n"
        assert not os.path.exists(tmp_path / "unused")
        assert virsh(f"nodedev:///system?socket={rw_path}", "nodedev-list")[0] == 0
        c = RawClient(ro_path)
        c.open()
        status, _ = c.call(124, b"\0\0\0\x08computer")
        assert status == 1
        c.close()
    finally:
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=30)
    assert p.returncode == 0
    assert notify.recv(4096) == b"STOPPING=1"
    notify.close()


def test_killed_daemon_does_not_leave_a_mount():
    """SIGKILL leaves no chance to clean up: mdevsim still gets SIGTERM
    (parent-death signal) and unmounts."""
    d = Daemon()
    sysfs = d.sysfs
    d.proc.kill()
    d.proc.wait(timeout=30)
    deadline = time.monotonic() + 30
    while is_mounted(sysfs) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not is_mounted(sysfs)
    shutil.rmtree(os.path.dirname(sysfs))
    d.stop()


@pytest.mark.skipif(not shutil.which("systemd-socket-activate"),
                    reason="systemd-socket-activate is not installed")
def test_systemd_socket_activate(tmp_path):
    """systemd's own activation tool: the daemon starts on the first
    connection and serves both sockets, told apart by their names (as
    FileDescriptorName= in the shipped units)."""
    rw_path = str(tmp_path / "sa-sock")
    ro_path = str(tmp_path / "sa-sock-ro")
    p = subprocess.Popen(["systemd-socket-activate", "-l", rw_path, "-l", ro_path,
                          "--fdname=virtmdevd:virtmdevd-ro",
                          VIRTMDEVD, "--config", "/dev/null", "--simulate",
                          "--socket", str(tmp_path / "unused"),
                          "--socket-ro", str(tmp_path / "unused-ro")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not os.path.exists(ro_path) and time.monotonic() < deadline:
            time.sleep(0.05)
        rc, out, err = virsh(f"nodedev:///system?socket={rw_path}", "nodedev-list",
                             "--cap", "mdev_types")
        assert (rc, err) == (0, "")
        assert "pci_0000_41_00_0" in out.split()
        rc, out, err = virsh(f"nodedev:///system?socket={ro_path}", "nodedev-destroy",
                             "pci_0000_41_00_0")
        assert rc == 1
        assert "read only access prevents virNodeDeviceDestroy" in err
        assert not os.path.exists(tmp_path / "unused")
    finally:
        p.send_signal(signal.SIGTERM)
        out, _ = p.communicate(timeout=30)
    assert "(read-write, from systemd)" in out
    assert "(read-only, from systemd)" in out


def test_shipped_units_match_the_daemon():
    """The socket units name their fds as the daemon expects and use the
    default paths and modes."""
    src = os.path.join(os.environ.get("ND_TOP_SRCDIR", ""), "src", "remote")
    with open(os.path.join(src, "virtmdevd.socket")) as fh:
        rw = fh.read()
    with open(os.path.join(src, "virtmdevd-ro.socket")) as fh:
        ro = fh.read()
    assert "ListenStream=/run/virtmdevd/virtmdevd-sock\n" in rw
    assert "SocketMode=0600\n" in rw
    assert "FileDescriptorName=virtmdevd\n" in rw
    assert "ListenStream=/run/virtmdevd/virtmdevd-sock-ro\n" in ro
    assert "SocketMode=0666\n" in ro
    assert "FileDescriptorName=virtmdevd-ro\n" in ro


def test_relative_paths_are_made_absolute(tmp_path):
    p = subprocess.Popen([VIRTMDEVD, "--config", "/dev/null", "--simulate",
                          "--socket", "rel-sock", "--socket-ro", "./rel-sock-ro"],
                         cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        lines = [p.stdout.readline() for _ in range(5)]
        assert lines[2] == f"serving {tmp_path}/rel-sock (read-write)\n"
        assert lines[3] == f"serving {tmp_path}/rel-sock-ro (read-only)\n"
        assert lines[4] == \
            f"connect with: virsh -c 'nodedev:///system?socket={tmp_path}/rel-sock'\n"
    finally:
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=30)
    assert p.returncode == 0
