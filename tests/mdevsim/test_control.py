# SPDX-License-Identifier: LGPL-2.1-or-later
"""The control directory: one-shot fault injection, busy devices, parent
registration, the emulated /dev/vfio, and a clean unmount on SIGTERM."""
import errno
import os
import signal

from conftest import is_mounted, read_errno, write_errno

U = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
U2 = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f1"


def test_inject_create_once(demo):
    assert demo.control("inject", "create EIO") == 0
    assert demo.read(".mdevsim/inject") == "create EIO\n"
    assert demo.create("mtty", "mtty-1", U) == errno.EIO
    assert os.listdir(demo.path("bus/mdev/devices")) == []
    assert demo.read(".mdevsim/inject") == ""
    assert demo.create("mtty", "mtty-1", U) == 0
    assert demo.control("inject", "create 28") == 0   # numbers too (ENOSPC)
    assert demo.create("mtty", "mtty-1", U2) == errno.ENOSPC
    assert demo.create("mtty", "mtty-1", U2) == 0


def test_inject_remove_once(demo):
    assert demo.create("mtty", "mtty-1", U) == 0
    assert demo.control("inject", "remove EBUSY\n") == 0
    assert demo.remove(U) == errno.EBUSY
    assert os.path.lexists(demo.path("bus/mdev/devices", U))
    assert demo.remove(U) == 0


def test_inject_available_instances(demo):
    assert demo.control("inject", "available_instances EIO") == 0
    p = os.path.join(demo.type_dir("0000:41:00.0", "nvidia-256"), "available_instances")
    assert read_errno(p) == errno.EIO
    assert demo.avail("0000:41:00.0", "nvidia-256") == 16


def test_inject_attr(mdevsim):
    sim = mdevsim("s390")
    assert sim.create("matrix", "vfio_ap-passthrough", U) == 0
    a = sim.path("bus/mdev/devices", U, "assign_adapter")
    assert sim.control("inject", "attr assign_adapter EINVAL") == 0
    assert write_errno(a, "5") == errno.EINVAL
    assert write_errno(a, "5") == 0
    assert sim.read("bus/mdev/devices", U, "matrix") == "05.\n"


def test_inject_parent_vanish(demo):
    assert demo.create("0000:42:00.0", "nvidia-256", U) == 0
    assert demo.control("inject", "parent-vanish 0000:42:00.0") == 0
    assert demo.create("0000:42:00.0", "nvidia-257", U2) == errno.ENODEV
    assert "0000:42:00.0" not in os.listdir(demo.path("class/mdev_bus"))
    assert os.listdir(demo.path("bus/mdev/devices")) == []
    assert not os.path.exists(demo.path("devices/pci0000:42/0000:42:00.0/mdev_supported_types"))
    # The PCI function itself stays.
    assert demo.read("bus/pci/devices/0000:42:00.0/vendor") == "0x10de\n"
    assert demo.read(".mdevsim/parents").splitlines()[2] == "-0000:42:00.0"
    assert demo.control("parents", "+0000:42:00.0") == 0
    assert demo.avail("0000:42:00.0", "nvidia-256") == 16
    # Vanishing another parent than the one written to: the create succeeds.
    assert demo.control("inject", "parent-vanish mtty") == 0
    assert demo.create("0000:41:00.0", "nvidia-256", U2) == 0
    assert "mtty" not in os.listdir(demo.path("class/mdev_bus"))


def test_inject_bad_lines(demo):
    for line in ("create", "create ENOTANERRNO", "frobnicate EIO",
                 "attr assign_adapter", "parent-vanish nosuchparent"):
        assert demo.control("inject", line) != 0, line
    assert demo.read(".mdevsim/inject") == ""
    for line in ("+nonsense", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "+" + U + "x"):
        assert demo.control("busy", line) == errno.EINVAL, line


def test_busy_device(demo):
    assert demo.create("mtty", "mtty-1", U) == 0
    group = os.path.basename(os.readlink(demo.path("bus/mdev/devices", U, "iommu_group")))
    vfio = os.path.join(demo.ctl, "dev", "vfio", group)
    os.close(os.open(vfio, os.O_RDWR))
    assert demo.control("busy", "+" + U.upper()) == 0
    assert demo.read(".mdevsim/busy") == U + "\n"
    try:
        os.open(vfio, os.O_RDWR)
        raise AssertionError("open of a busy group succeeded")
    except OSError as e:
        assert e.errno == errno.EBUSY
    assert demo.remove(U) == errno.EBUSY
    assert demo.remove(U, "0") == 0          # still a no-op
    assert os.path.lexists(demo.path("bus/mdev/devices", U))
    assert demo.control("busy", "-" + U) == 0
    os.close(os.open(vfio, os.O_RDWR))
    assert demo.remove(U) == 0


def test_sigterm_unmounts(mdevsim):
    sim = mdevsim("demo")
    assert is_mounted(sim.root)
    sim.proc.send_signal(signal.SIGTERM)
    assert sim.proc.wait(timeout=30) == 0
    assert not is_mounted(sim.root)


def test_sigint_unmounts(mdevsim):
    sim = mdevsim("samples")
    sim.proc.send_signal(signal.SIGINT)
    assert sim.proc.wait(timeout=30) == 0
    assert not is_mounted(sim.root)


def test_bad_profile_fails(tmp_path):
    import subprocess
    from conftest import MDEVSIM
    bad = tmp_path / "bad.ini"
    bad.write_text("[pci 0000:zz:00.0]\nvendor=1\n")
    (tmp_path / "m").mkdir()
    r = subprocess.run([MDEVSIM, "--profile", str(bad), str(tmp_path / "m")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "invalid PCI address" in r.stderr
    r = subprocess.run([MDEVSIM, "--profile", "nosuch", str(tmp_path / "m")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "nosuch" in r.stderr
    assert not is_mounted(str(tmp_path / "m"))


def test_bad_type_const_fails(tmp_path):
    """Found by fuzz_mdevsim_profile: a type's const.NAME value that is not
    UTF-8 gave a GLib-CRITICAL and an attribute with no text."""
    import subprocess
    from conftest import MDEVSIM
    bad = tmp_path / "bad.ini"
    bad.write_bytes(b"[mdev m]\ndriver=d\ndevice_api=vfio-pci\ntypes=t\n"
                    b"[type m t]\nconst.x=a\xffb\n"
                    b"[pci 0000:10:00.0]\nmdev=m\n")
    (tmp_path / "m").mkdir()
    r = subprocess.run([MDEVSIM, "--profile", str(bad), str(tmp_path / "m")],
                       capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, G_DEBUG="fatal-criticals"))
    assert r.returncode > 0, r.stderr
    assert "[type m t] const.x: the value is not UTF-8" in r.stderr
    assert "CRITICAL" not in r.stderr
    assert not is_mounted(str(tmp_path / "m"))


def test_other_users_read_with_kernel_modes(mdevsim):
    """As root, mdevsim mounts with allow_other,default_permissions: another
    user reads attributes but cannot write create (mode 0200, root's)."""
    import shutil
    import subprocess
    if os.geteuid() != 0:
        import pytest
        pytest.skip("only a root mdevsim allows other users")
    demo = mdevsim("demo", public=True)
    setpriv = shutil.which("setpriv")
    assert setpriv, "setpriv (util-linux) is required"
    as_nobody = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    r = subprocess.run(as_nobody + ["cat", demo.path("bus/pci/devices/0000:41:00.0/vendor")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stdout == "0x10de\n", r.stderr
    create = os.path.join(demo.type_dir("mtty", "mtty-1"), "create")
    r = subprocess.run(as_nobody + ["sh", "-c", f"echo {U} > '{create}'"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "Permission denied" in r.stderr
    assert os.listdir(demo.path("bus/mdev/devices")) == []
    r = subprocess.run(as_nobody + ["ls", demo.ctl], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0   # the control directory is 0755, its files 0600
    r = subprocess.run(as_nobody + ["sh", "-c", f"echo create EIO > '{demo.ctl}/inject'"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0


BAD_PROFILES = {
    "unknown group": ("[frobnicate]\nx=1\n", "unknown group [frobnicate]"),
    "bad errno": ("[mdev m]\ndriver=d\ndevice_api=vfio-pci\ntypes=t\n"
                  "full_errno=ENOTHING\n", "unknown errno 'ENOTHING'"),
    "missing mdev": ("[pci 0000:01:00.0]\nvendor=1\nmdev=nope\n",
                     "no group [mdev nope]"),
    "duplicate type": ("[mdev m]\ndriver=d\ndevice_api=vfio-pci\ntypes=t;t\n",
                       "'t' is listed twice"),
    "bad number": ("[pci 0000:01:00.0]\nvendor=0xzz\n", "'0xzz' is not a number"),
    "escaping name": ("[mdev m]\ndriver=../x\ndevice_api=vfio-pci\ntypes=t\n",
                      "invalid name '../x'"),
    "missing attr": ("[mdev m]\ndriver=d\ndevice_api=vfio-pci\ntypes=t\nattrs=a\n",
                     "missing group [attr m a]"),
    "bad kind": ("[mdev m]\ndriver=d\ndevice_api=vfio-pci\ntypes=t\nattrs=a\n"
                 "[attr m a]\nkind=weird\n", "'weird' is not one of"),
    "syntax": ("[pci 0000:01:00.0\n", "mdevsim: profile"),
}


def test_bad_profiles_are_refused(tmp_path):
    import subprocess
    from conftest import MDEVSIM
    mnt = tmp_path / "m"
    mnt.mkdir()
    for name, (text, message) in BAD_PROFILES.items():
        prof = tmp_path / "p.ini"
        prof.write_text(text)
        r = subprocess.run([MDEVSIM, "--profile", str(prof), str(mnt)],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 1, name
        assert message in r.stderr, (name, r.stderr)
        assert not is_mounted(str(mnt)), name


def test_driver_unbind_and_bind(demo):
    """An administrator unbinding the vendor driver of a parent: its mdevs
    and types vanish; binding it again brings the types back."""
    assert demo.create("0000:41:00.0", "nvidia-256", U) == 0
    drv = demo.path("bus/pci/drivers/nvidia")
    assert write_errno(os.path.join(drv, "unbind"), "0000:41:00.0\n") == 0
    dev = demo.path("bus/pci/devices/0000:41:00.0")
    assert not os.path.lexists(os.path.join(dev, "driver"))
    assert not os.path.lexists(os.path.join(drv, "0000:41:00.0"))
    assert not os.path.exists(os.path.join(dev, "mdev_supported_types"))
    assert "0000:41:00.0" not in os.listdir(demo.path("class/mdev_bus"))
    assert os.listdir(demo.path("bus/mdev/devices")) == []
    # Not bound (any more), or no such device: ENODEV.
    assert write_errno(os.path.join(drv, "unbind"), "0000:41:00.0") == errno.ENODEV
    assert write_errno(os.path.join(drv, "unbind"), "0000:99:00.0") == errno.ENODEV
    assert write_errno(os.path.join(drv, "bind"), "0000:42:00.0") == errno.ENODEV
    assert write_errno(os.path.join(drv, "bind"), "0000:41:00.0") == 0
    assert os.readlink(os.path.join(dev, "driver")) == "../../../bus/pci/drivers/nvidia"
    assert demo.avail("0000:41:00.0", "nvidia-256") == 16
    assert "0000:41:00.0" in os.listdir(demo.path("class/mdev_bus"))
