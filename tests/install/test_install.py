# SPDX-License-Identifier: LGPL-2.1-or-later
"""'meson install --destdir' puts exactly the expected files in place (the
daemon, mdevsim, the schema, the man pages, the systemd units, the default
configuration, the catalogs), and each installed file does its job."""
import configparser
import glob
import os
import re
import shutil
import subprocess

import pytest

TOP = os.environ["ND_TOP_SRCDIR"]
BUILD = os.environ["ND_TOP_BUILDDIR"]
PREFIX = os.environ["ND_INSTALL_PREFIX"]
BINDIR = os.environ["ND_INSTALL_BINDIR"]
LOCALEDIR = os.environ["ND_INSTALL_LOCALEDIR"]
EXPECTED = sorted(os.environ["ND_INSTALL_EXPECTED"].split(":"))


def run(*args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


@pytest.fixture(scope="module")
def dest(tmp_path_factory):
    root = tmp_path_factory.mktemp("destdir")
    r = run(os.environ["ND_MESON"], "install", "-C", BUILD, "--no-rebuild",
            "--destdir", str(root))
    assert r.returncode == 0, r.stdout + r.stderr
    return str(root)


def inside(dest, path):
    return os.path.join(dest, path.lstrip("/"))


def installed(dest):
    found = []
    for dirpath, _dirs, files in os.walk(dest):
        for f in files:
            found.append("/" + os.path.relpath(os.path.join(dirpath, f), dest))
    return sorted(found)


def expected(name):
    hits = [p for p in EXPECTED if os.path.basename(p) == name]
    assert len(hits) == 1, name
    return hits[0]


def test_exactly_the_expected_files(dest):
    assert installed(dest) == EXPECTED


def test_every_file_not_empty(dest):
    for path in EXPECTED:
        assert os.path.getsize(inside(dest, path)) > 0, path


def test_binaries_run(dest):
    for name in ("virtmdevd", "mdevsim"):
        path = inside(dest, os.path.join(BINDIR, name))
        assert os.access(path, os.X_OK), path
    r = run(inside(dest, os.path.join(BINDIR, "virtmdevd")), "--version")
    assert r.returncode == 0 and re.fullmatch(r"virtmdevd \d+\.\d+\.\d+\n", r.stdout), r
    r = run(inside(dest, os.path.join(BINDIR, "mdevsim")), "--list-profiles")
    assert r.returncode == 0
    assert set(r.stdout.split()) >= {"demo", "samples", "s390", "sriov"}, r.stdout


def test_schema_validates_the_examples(dest):
    rng = inside(dest, expected("nodedev.rng"))
    examples = sorted(glob.glob(os.path.join(TOP, "examples", "mdev-*.xml")))
    assert examples
    r = run("xmllint", "--noout", "--relaxng", rng, *examples)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("page,section", [("virtmdevd.8", "8"), ("mdevsim.1", "1")])
def test_man_pages(dest, page, section):
    path = inside(dest, expected(page))
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    name = page.split(".")[0]
    assert re.search(rf'^\.TH "?{name.upper()}"? "?{section}"?', text, re.M), text[:300]
    assert re.search(r"^\.SH (\"?)SYNOPSIS\1$", text, re.M)
    assert "SEE ALSO" in text
    if shutil.which("man"):
        r = run("man", "--warnings", "-l", path, env=dict(os.environ, MANWIDTH="80",
                                                         MAN_KEEP_FORMATTING="0"))
        assert r.returncode == 0, r.stderr
        assert r.stderr.strip() == "", r.stderr
        assert name in r.stdout


def unit(dest, name):
    cp = configparser.ConfigParser(strict=False, interpolation=None)
    cp.optionxform = str
    cp.read(inside(dest, expected(name)))
    return cp


def test_units_point_at_the_install(dest):
    svc = unit(dest, "virtmdevd.service")
    assert svc["Service"]["ExecStart"] == os.path.join(BINDIR, "virtmdevd")
    assert svc["Service"]["Type"] == "notify"
    # the sandbox must leave sysfs writable
    for key in ("ProtectKernelTunables", "PrivateDevices", "ReadOnlyPaths",
                "InaccessiblePaths", "PrivateNetwork", "DeviceAllow"):
        assert key not in svc["Service"], key
    rw = unit(dest, "virtmdevd.socket")["Socket"]
    ro = unit(dest, "virtmdevd-ro.socket")["Socket"]
    # the same paths as the daemon's defaults, the same modes as libvirt's
    assert rw["ListenStream"] == "/run/virtmdevd/virtmdevd-sock"
    assert rw["SocketMode"] == "0600"
    assert ro["ListenStream"] == "/run/virtmdevd/virtmdevd-sock-ro"
    assert ro["SocketMode"] == "0666"
    assert ro["FileDescriptorName"].endswith("-ro")
    assert not rw["FileDescriptorName"].endswith("-ro")


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="no systemd-analyze")
def test_units_verify(dest, tmp_path):
    # systemd-analyze checks that ExecStart exists: point it into DESTDIR
    names = ["virtmdevd.service", "virtmdevd.socket", "virtmdevd-ro.socket"]
    for name in names:
        with open(inside(dest, expected(name)), encoding="utf-8") as fh:
            text = fh.read()
        text = text.replace("ExecStart=" + BINDIR,
                            "ExecStart=" + inside(dest, BINDIR))
        (tmp_path / name).write_text(text)
    r = run("systemd-analyze", "verify", "--man=no",
            *[str(tmp_path / n) for n in names])
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip() == "", r.stderr


def test_default_config_is_all_defaults(dest, tmp_path):
    path = inside(dest, expected("virtmdevd.conf"))
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    # nothing set: installing the file changes no behaviour
    active = [l for l in text.splitlines()
              if l.strip() and not l.lstrip().startswith("#")]
    assert active == ["[virtmdevd]"], active
    keys = re.findall(r"^#([a-z_]+) = ", text, re.M)
    for key in ("sysfs_root", "config_dir", "socket", "socket_ro", "autostart",
                "watch", "log_level", "max_clients", "keepalive_count"):
        assert key in keys, key
    assert f"#mdevsim = {BINDIR}/mdevsim" in text
    # every documented setting is one the daemon accepts: uncomment them all
    # (but simulate) and start it on a missing sysfs: the config must load,
    # then the driver fails on the sysfs root
    conf = tmp_path / "all.conf"
    conf.write_text(re.sub(r"^#([a-z_]+ = )", r"\1", text, flags=re.M)
                    .replace("\nsimulate = ", "\n#simulate = "))
    r = run(inside(dest, os.path.join(BINDIR, "virtmdevd")), "--config", str(conf),
            "--sysfs-root", str(tmp_path / "nosys"),
            "--socket", str(tmp_path / "s"), "--socket-ro", str(tmp_path / "s-ro"),
            env=dict(os.environ, LC_ALL="C", LANGUAGE=""))
    assert r.returncode == 1, r
    assert str(tmp_path / "nosys") in r.stderr, r.stderr
    assert "setting" not in r.stderr, r.stderr


def test_catalog(dest):
    mo = inside(dest, os.path.join(LOCALEDIR, "de", "LC_MESSAGES", "virtmdevd.mo"))
    r = run("msgunfmt", mo)
    assert r.returncode == 0, r.stderr
    assert 'msgstr "Nur-Lese-Zugriff verhindert %1$s"' in r.stdout
    # the installed daemon finds the installed catalog under DESTDIR
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
    env.update(LC_ALL="C.UTF-8", LANGUAGE="de",
               ND_LOCALEDIR=inside(dest, LOCALEDIR))
    r = run(inside(dest, os.path.join(BINDIR, "virtmdevd")), "bogus", env=env)
    assert "unerwartetes Argument 'bogus'" in r.stderr, r.stderr


def can_simulate():
    return os.geteuid() == 0 and os.path.exists("/dev/fuse")


@pytest.mark.skipif(not shutil.which("systemd-socket-activate") or not can_simulate(),
                    reason="needs systemd-socket-activate, root and /dev/fuse")
def test_socket_units_activate_the_installed_daemon(dest, tmp_path):
    """The sockets as the installed units declare them (names from
    FileDescriptorName=) activate the installed
    daemon; the one named read-only refuses changes."""
    rw_unit = unit(dest, "virtmdevd.socket")["Socket"]
    ro_unit = unit(dest, "virtmdevd-ro.socket")["Socket"]
    rw, ro = str(tmp_path / "rw"), str(tmp_path / "ro")
    # a path the daemon does not know, so only the name makes it read-only
    args = ["systemd-socket-activate", "-l", rw, "-l", ro,
            "--fdname=%s:%s" % (rw_unit["FileDescriptorName"],
                                ro_unit["FileDescriptorName"]),
            inside(dest, os.path.join(BINDIR, "virtmdevd")), "--simulate=demo",
            "--socket", str(tmp_path / "unused"),
            "--socket-ro", str(tmp_path / "unused-ro")]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True)
    try:
        # connect only once both sockets listen ("Listening on PATH as N.")
        listening = []
        while len(listening) < 2:
            line = proc.stderr.readline()
            assert line, "systemd-socket-activate exited: " + "".join(listening)
            if line.startswith("Listening on "):
                listening.append(line)
        env = dict(os.environ, LC_ALL="C")
        env.pop("LIBVIRT_DEFAULT_URI", None)

        def virsh(path, *cmd):
            return subprocess.run(["virsh", "-c", "nodedev:///system?socket=" + path]
                                  + list(cmd), capture_output=True, text=True,
                                  env=env, timeout=120)
        # the first connection starts the daemon; virsh waits in the backlog
        r = virsh(ro, "nodedev-list", "--cap", "mdev_types")
        assert r.returncode == 0, r.stderr
        assert "pci_0000_41_00_0" in r.stdout
        xml = os.path.join(TOP, "examples", "mdev-nvidia.xml")
        r = virsh(ro, "nodedev-create", xml)
        assert r.returncode != 0
        assert "read only access prevents virNodeDeviceCreateXML" in r.stderr, r.stderr
        r = virsh(rw, "nodedev-create", xml)
        assert r.returncode == 0, r.stderr
        dev = re.search(r"Node device (\S+) created", r.stdout).group(1)
        assert virsh(rw, "nodedev-destroy", dev).returncode == 0
        assert not os.path.exists(tmp_path / "unused")
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "(read-only, from systemd)" in out, out
    assert "(read-write, from systemd)" in out, out
