# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every create and remove case of the kernel reference, with its errno,
pools shared between sibling types, and attribute validation."""
import errno
import os
import subprocess

import pytest

from conftest import read_errno, write_errno

U = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def uuid(n):
    return f"00000000-0000-0000-0000-{n:012x}"


@pytest.mark.parametrize("data,expect", [
    (U, 0),                                   # 36 characters
    (U.upper(), 0),                           # upper case accepted
    (U + "\n", 0),                            # 37th byte: newline
    (U + "x", 0),                             # 37th byte: ignored whatever
    (U[:-1], errno.EINVAL),                   # 35
    (U + "\n\n", errno.EINVAL),               # 38
    ("{" + U + "}", errno.EINVAL),            # braces
    (U[:-1] + "g", errno.EINVAL),             # malformed hex
    (U.replace("-", ""), errno.EINVAL),       # no dashes
    (U.replace("-", "") + "0000", errno.EINVAL),  # 36 without dashes
    (U[:8] + "x" + U[9:], errno.EINVAL),      # dash replaced
])
def test_create_format(demo, data, expect):
    assert demo.create("mtty", "mtty-1", data) == expect
    devs = os.listdir(demo.path("bus/mdev/devices"))
    assert devs == ([U] if expect == 0 else [])   # always lower case


def test_create_eexist_any_parent_any_type(demo):
    assert demo.create("mtty", "mtty-1", U) == 0
    assert demo.create("mtty", "mtty-1", U) == errno.EEXIST
    assert demo.create("mtty", "mtty-2", U) == errno.EEXIST
    assert demo.create("0000:41:00.0", "nvidia-256", U.upper()) == errno.EEXIST
    assert demo.create("0000:00:02.0", "i915-GVTg_V5_8", U + "\n") == errno.EEXIST
    assert demo.avail("mtty", "mtty-1") == 23


def test_pool_shared_and_enospc(demo):
    # mtty: 24 ports; mtty-2 takes two.
    for i in range(12):
        assert demo.create("mtty", "mtty-2", uuid(i)) == 0
        assert demo.avail("mtty", "mtty-2") == 11 - i
        assert demo.avail("mtty", "mtty-1") == 22 - 2 * i
    assert demo.create("mtty", "mtty-2", uuid(100)) == errno.ENOSPC
    assert demo.create("mtty", "mtty-1", uuid(100)) == errno.ENOSPC
    # EEXIST comes before the pool check.
    assert demo.create("mtty", "mtty-1", uuid(0)) == errno.EEXIST
    assert demo.remove(uuid(0)) == 0
    assert demo.avail("mtty", "mtty-1") == 2
    assert demo.avail("mtty", "mtty-2") == 1
    assert demo.create("mtty", "mtty-1", uuid(100)) == 0
    assert demo.avail("mtty", "mtty-2") == 0
    assert demo.create("mtty", "mtty-2", uuid(101)) == errno.ENOSPC


def test_pool_per_gpu(demo):
    assert demo.create("0000:41:00.0", "nvidia-259", uuid(1)) == 0
    assert demo.avail("0000:41:00.0", "nvidia-256") == 8
    assert demo.avail("0000:41:00.0", "nvidia-259") == 1
    assert demo.avail("0000:41:00.0", "nvidia-260") == 0
    assert demo.avail("0000:42:00.0", "nvidia-260") == 1
    assert demo.create("0000:41:00.0", "nvidia-260", uuid(2)) == errno.ENOSPC
    assert demo.create("0000:42:00.0", "nvidia-260", uuid(2)) == 0


def test_samples_errno(mdevsim):
    sim = mdevsim("samples")
    # mdpy: the mdev core's limit of 4 shared by all types: EUSERS.
    for i, t in enumerate(["mdpy-vga", "mdpy-xga", "mdpy-hd", "mdpy-vga"]):
        assert sim.create("mdpy", t, uuid(i)) == 0
        for t2 in ("mdpy-vga", "mdpy-xga", "mdpy-hd"):
            assert sim.avail("mdpy", t2) == 3 - i
    assert sim.create("mdpy", "mdpy-hd", uuid(9)) == errno.EUSERS
    # mbochs: 256 MB shared: ENOSPC.
    assert sim.create("mbochs", "mbochs-large", uuid(10)) == 0
    assert sim.avail("mbochs", "mbochs-small") == 48
    assert sim.avail("mbochs", "mbochs-medium") == 12
    assert sim.avail("mbochs", "mbochs-large") == 3
    for i in range(3):
        assert sim.create("mbochs", "mbochs-large", uuid(11 + i)) == 0
    assert sim.avail("mbochs", "mbochs-small") == 0
    assert sim.create("mbochs", "mbochs-small", uuid(20)) == errno.ENOSPC
    # mtty: ENOSPC.
    for i in range(12):
        assert sim.create("mtty", "mtty-2", uuid(30 + i)) == 0
    assert sim.create("mtty", "mtty-1", uuid(50)) == errno.ENOSPC


def test_s390_ccw_eusers(mdevsim):
    sim = mdevsim("s390")
    assert sim.create("0.0.0023", "vfio_ccw-io", uuid(1)) == 0
    assert sim.avail("0.0.0023", "vfio_ccw-io") == 0
    assert sim.create("0.0.0023", "vfio_ccw-io", uuid(2)) == errno.EUSERS
    assert sim.avail("0.0.0024", "vfio_ccw-io") == 1
    d = sim.path("bus/mdev/devices", uuid(1))
    assert os.readlink(os.path.join(d, "driver")) == \
        "../../../../bus/mdev/drivers/vfio_ccw_mdev"


def test_read_and_write_refused(demo):
    t = demo.type_dir("mtty", "mtty-1")
    assert read_errno(os.path.join(t, "create")) == errno.EACCES
    assert write_errno(os.path.join(t, "available_instances"), "5") == errno.EACCES
    assert write_errno(os.path.join(t, "name"), "x") == errno.EACCES
    assert write_errno(os.path.join(t, "device_api"), "x") == errno.EACCES
    assert demo.create("mtty", "mtty-1", U) == 0
    assert read_errno(demo.path("bus/mdev/devices", U, "remove")) == errno.EACCES
    assert write_errno(os.path.join(t, "create"), U,
                       os.O_RDWR) == errno.EACCES


@pytest.mark.parametrize("value,removed,expect", [
    ("0", False, 0),
    ("0\n", False, 0),
    ("1", True, 0),
    ("1\n", True, 0),
    ("0x1", True, 0),
    ("+1", True, 0),
    ("2", True, 0),            # kstrtoul: any non-zero number removes
    ("abc", False, errno.EINVAL),
    ("-1", False, errno.EINVAL),
    ("1 ", False, errno.EINVAL),
    ("1\n\n", False, errno.EINVAL),
    ("0x", False, errno.EINVAL),
    ("99999999999999999999999", False, errno.EINVAL),
    ("yes", False, errno.EINVAL),
])
def test_remove_values(demo, value, removed, expect):
    assert demo.create("mtty", "mtty-2", U) == 0
    assert demo.remove(U, value) == expect
    assert os.path.lexists(demo.path("bus/mdev/devices", U)) == (not removed)
    assert demo.avail("mtty", "mtty-2") == (12 if removed else 11)


def test_o_trunc_and_shell(demo):
    t = demo.type_dir("mtty", "mtty-1")
    assert write_errno(os.path.join(t, "create"), U,
                       os.O_WRONLY | os.O_TRUNC) == 0
    u2 = uuid(7)
    # Out of band, as an administrator would.
    subprocess.run(["sh", "-c", f"echo {u2} > '{t}/create'"], check=True)
    assert sorted(os.listdir(demo.path("bus/mdev/devices"))) == sorted([U, u2])
    r = subprocess.run(["sh", "-c", f"echo {u2} > '{t}/create'"],
                       capture_output=True, text=True)
    assert r.returncode != 0          # dash says "I/O error" for any errno
    subprocess.run(["sh", "-c",
                    f"echo 1 > '{demo.path('bus/mdev/devices', u2, 'remove')}'"],
                   check=True)
    assert os.listdir(demo.path("bus/mdev/devices")) == [U]


def test_ap_attributes(mdevsim):
    sim = mdevsim("s390")
    assert sim.create("matrix", "vfio_ap-passthrough", U) == 0
    d = sim.path("bus/mdev/devices", U)
    for f in ("assign_adapter", "unassign_adapter", "assign_domain",
              "unassign_domain", "assign_control_domain",
              "unassign_control_domain"):
        assert oct(os.stat(os.path.join(d, f)).st_mode & 0o777) == "0o200", f
    for f in ("matrix", "guest_matrix", "control_domains"):
        assert oct(os.stat(os.path.join(d, f)).st_mode & 0o777) == "0o444", f
    assert write_errno(os.path.join(d, "assign_adapter"), "5") == 0
    assert write_errno(os.path.join(d, "assign_adapter"), "0x06\n") == 0
    assert write_errno(os.path.join(d, "assign_adapter"), "5") == 0   # repeat
    assert write_errno(os.path.join(d, "assign_domain"), "0x47") == 0
    assert write_errno(os.path.join(d, "assign_control_domain"), "4") == 0
    assert sim.read(d, "matrix") == "05.0047\n06.0047\n"
    assert sim.read(d, "control_domains") == "0004\n"
    assert write_errno(os.path.join(d, "assign_adapter"), "abc") == errno.EINVAL
    assert write_errno(os.path.join(d, "assign_adapter"), "\n") == errno.EINVAL
    assert write_errno(os.path.join(d, "assign_adapter"), "-1") == errno.EINVAL
    assert write_errno(os.path.join(d, "assign_adapter"), "256") == errno.ENODEV
    assert write_errno(os.path.join(d, "assign_domain"), "0x100") == errno.ENODEV
    assert write_errno(os.path.join(d, "unassign_adapter"), "6") == 0
    assert sim.read(d, "matrix") == "05.0047\n"
    assert write_errno(os.path.join(d, "matrix"), "1") == errno.EACCES
    assert read_errno(os.path.join(d, "assign_adapter")) == errno.EACCES


def test_ap_sharing_and_guest_matrix(mdevsim):
    sim = mdevsim("s390")
    u1, u2 = uuid(1), uuid(2)
    assert sim.create("matrix", "vfio_ap-passthrough", u1) == 0
    assert sim.create("matrix", "vfio_ap-passthrough", u2) == 0
    d1 = sim.path("bus/mdev/devices", u1)
    d2 = sim.path("bus/mdev/devices", u2)
    assert write_errno(os.path.join(d1, "assign_adapter"), "5") == 0
    assert write_errno(os.path.join(d1, "assign_domain"), "4") == 0
    # The same APQN in a second device: EADDRINUSE, from either side.
    assert write_errno(os.path.join(d2, "assign_domain"), "4") == 0
    assert write_errno(os.path.join(d2, "assign_adapter"), "5") == errno.EADDRINUSE
    assert write_errno(os.path.join(d2, "assign_adapter"), "6") == 0
    assert write_errno(os.path.join(d1, "assign_adapter"), "6") == errno.EADDRINUSE
    assert write_errno(os.path.join(d2, "assign_domain"), "5") == 0
    # Domain 5 in both is fine while no adapter is common.
    assert write_errno(os.path.join(d1, "assign_domain"), "5") == 0
    assert write_errno(os.path.join(d1, "unassign_domain"), "5") == 0
    assert sim.read(d1, "matrix") == "05.0004\n"
    assert sim.read(d2, "matrix") == "06.0004\n06.0005\n"
    # Queue 07.0004 belongs to cex4queue, a host driver: EADDRNOTAVAIL.
    assert write_errno(os.path.join(d1, "assign_adapter"), "7") == errno.EADDRNOTAVAIL
    # guest_matrix: adapter 0x10 has no queues, so it is filtered out, and
    # domain 0x99 does not exist on the host.
    assert write_errno(os.path.join(d1, "assign_adapter"), "0x10") == 0
    assert write_errno(os.path.join(d1, "assign_domain"), "0x99") == 0
    assert sim.read(d1, "matrix") == "05.0004\n05.0099\n10.0004\n10.0099\n"
    assert sim.read(d1, "guest_matrix") == "05.0004\n"
    # Adapter 7 alone is fine while no domain of it is held by the host...
    d3 = sim.path("bus/mdev/devices", uuid(3))
    assert sim.create("matrix", "vfio_ap-passthrough", uuid(3)) == 0
    assert write_errno(os.path.join(d3, "assign_adapter"), "7") == 0
    # ...until a domain with a host-held queue is added.
    assert write_errno(os.path.join(d3, "assign_domain"), "4") == errno.EADDRNOTAVAIL
    assert write_errno(os.path.join(d3, "assign_adapter"), "7") == 0   # again: no-op
    assert sim.read(d3, "matrix") == "07.\n"
    # Removing a device frees its APQNs.
    assert sim.remove(u2) == 0
    assert write_errno(os.path.join(d1, "assign_adapter"), "6") == 0


def test_tree_is_not_writable_as_a_directory(demo):
    """Like sysfs: no new files (EACCES), no mkdir, unlink, rmdir, rename,
    symlink or link (EPERM), even for root."""
    parent = demo.path("devices/virtual/mtty/mtty")
    t = demo.type_dir("mtty", "mtty-1")
    cases = [
        (lambda: os.open(os.path.join(parent, "new"), os.O_CREAT | os.O_WRONLY, 0o644),
         errno.EACCES),
        (lambda: os.mkdir(os.path.join(parent, "newdir")), errno.EPERM),
        (lambda: os.unlink(os.path.join(t, "name")), errno.EPERM),
        (lambda: os.rmdir(os.path.join(t, "devices")), errno.EPERM),
        (lambda: os.rename(os.path.join(t, "name"), os.path.join(t, "name2")),
         errno.EPERM),
        (lambda: os.symlink("x", os.path.join(parent, "lnk")), errno.EPERM),
        (lambda: os.link(os.path.join(t, "name"), os.path.join(t, "name3")),
         errno.EPERM),
        (lambda: os.chmod(os.path.join(t, "name"), 0o666), errno.EPERM),
        (lambda: os.unlink(demo.path("class/mdev_bus/mtty")), errno.EPERM),
    ]
    for i, (op, expect) in enumerate(cases):
        try:
            op()
            raise AssertionError(f"case {i} succeeded")
        except OSError as e:
            assert e.errno == expect, (i, e)
    assert sorted(os.listdir(t)) == ["available_instances", "create",
                                     "device_api", "devices", "name"]
