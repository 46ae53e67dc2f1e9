# SPDX-License-Identifier: LGPL-2.1-or-later
"""The shape of every profile's tree: files, modes, contents, link targets,
as the kernel's sysfs has them."""
import os
import stat
import struct
import subprocess

from conftest import read_errno

U1 = "8a4b3c2d-1111-2222-3333-444455556666"


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def link(path):
    return os.readlink(path)


def test_demo_parents_and_links(demo):
    mdev_bus = demo.path("class", "mdev_bus")
    assert sorted(os.listdir(mdev_bus)) == [
        "0000:00:02.0", "0000:41:00.0", "0000:42:00.0", "mtty"]
    assert link(os.path.join(mdev_bus, "0000:41:00.0")) == \
        "../../devices/pci0000:41/0000:41:00.0"
    assert link(os.path.join(mdev_bus, "mtty")) == "../../devices/virtual/mtty/mtty"
    assert link(demo.path("bus/pci/devices/0000:00:02.0")) == \
        "../../../devices/pci0000:00/0000:00:02.0"
    # The links resolve inside the tree.
    assert os.path.realpath(os.path.join(mdev_bus, "mtty")) == \
        os.path.realpath(demo.path("devices/virtual/mtty/mtty"))


def test_demo_pci_files(demo):
    d = demo.path("bus/pci/devices/0000:41:00.0")
    assert demo.read(d, "vendor") == "0x10de\n"
    assert demo.read(d, "device") == "0x1eb8\n"
    assert demo.read(d, "class") == "0x030200\n"
    assert demo.read(d, "subsystem_vendor") == "0x10de\n"
    assert demo.read(d, "subsystem_device") == "0x12a2\n"
    assert demo.read(d, "numa_node") == "0\n"
    assert demo.read(d, "current_link_speed") == "8.0 GT/s PCIe\n"
    assert demo.read(d, "current_link_width") == "16\n"
    assert demo.read(d, "max_link_speed") == "8.0 GT/s PCIe\n"
    assert demo.read(d, "max_link_width") == "16\n"
    assert link(os.path.join(d, "driver")) == "../../../bus/pci/drivers/nvidia"
    assert link(os.path.join(d, "iommu_group")) == "../../../kernel/iommu_groups/40"
    assert link(os.path.join(d, "subsystem")) == "../../../bus/pci"
    assert link(demo.path("kernel/iommu_groups/40/devices/0000:41:00.0")) == \
        "../../../../devices/pci0000:41/0000:41:00.0"
    assert link(demo.path("bus/pci/drivers/nvidia/0000:41:00.0")) == \
        "../../../../devices/pci0000:41/0000:41:00.0"
    for f in ("vendor", "device", "class", "subsystem_vendor", "current_link_speed"):
        assert mode(os.path.join(d, f)) == 0o444, f
        assert os.stat(os.path.join(d, f)).st_size == 4096
    assert mode(os.path.join(d, "numa_node")) == 0o644
    uevent = demo.read(d, "uevent")
    assert "DRIVER=nvidia\n" in uevent and "PCI_SLOT_NAME=0000:41:00.0\n" in uevent
    assert demo.read(d, "power_state") == "D0\n"
    assert link(demo.path("class/pci_bus/0000:41")) == \
        "../../devices/pci0000:41/pci_bus/0000:41"
    assert link(demo.path("devices/pci0000:41/pci_bus/0000:41/device")) == "../../../pci0000:41"
    # The iGPU is conventional PCI: no link files.
    assert not os.path.exists(demo.path("bus/pci/devices/0000:00:02.0/current_link_speed"))
    assert demo.read("bus/pci/devices/0000:00:02.0/class") == "0x030000\n"


def test_demo_config_header(demo):
    with open(demo.path("bus/pci/devices/0000:41:00.0/config"), "rb") as fh:
        cfg = fh.read()
    assert len(cfg) == 4096    # PCIe: extended config space
    vendor, device = struct.unpack_from("<HH", cfg, 0)
    assert (vendor, device) == (0x10de, 0x1eb8)
    assert cfg[0x0e] & 0x7f == 0            # header type 0
    assert cfg[0x0b] == 0x03 and cfg[0x0a] == 0x02
    assert struct.unpack_from("<HH", cfg, 0x2c) == (0x10de, 0x12a2)
    assert cfg[0x34] == 0x40 and cfg[0x40] == 0x10   # PCIe capability
    with open(demo.path("bus/pci/devices/0000:00:02.0/config"), "rb") as fh:
        assert len(fh.read()) == 256


def test_demo_types(demo):
    t = demo.type_dir("0000:41:00.0", "nvidia-256")
    assert sorted(os.listdir(os.path.dirname(t))) == [
        "nvidia-256", "nvidia-257", "nvidia-258", "nvidia-259", "nvidia-260"]
    assert sorted(os.listdir(t)) == [
        "available_instances", "create", "description", "device_api",
        "devices", "name"]
    assert mode(os.path.join(t, "create")) == 0o200
    assert mode(os.path.join(t, "available_instances")) == 0o444
    assert mode(os.path.join(t, "device_api")) == 0o444
    assert demo.read(t, "name") == "GRID T4-1Q\n"
    assert demo.read(t, "device_api") == "vfio-pci\n"
    assert demo.read(t, "available_instances") == "16\n"
    assert len(demo.read(t, "description").splitlines()) == 2
    g = demo.type_dir("0000:00:02.0", "i915-GVTg_V5_4")
    assert "name" not in os.listdir(g)
    assert "description" in os.listdir(g)
    assert sorted(os.listdir(os.path.dirname(g))) == ["i915-GVTg_V5_4", "i915-GVTg_V5_8"]
    m = demo.type_dir("mtty", "mtty-2")
    assert demo.read(m, "name") == "Dual port serial\n"
    assert demo.avail("mtty", "mtty-1") == 24
    assert demo.avail("mtty", "mtty-2") == 12


def test_demo_dmi_and_hidden_control(demo):
    assert demo.read("devices/virtual/dmi/id/sys_vendor") == "mdevsim\n"
    assert mode(demo.path("devices/virtual/dmi/id/product_uuid")) == 0o400
    assert link(demo.path("class/dmi/id")) == "../../devices/virtual/dmi/id"
    top = os.listdir(demo.root)
    assert ".mdevsim" not in top
    assert sorted(top) == ["bus", "class", "devices", "kernel"]
    assert os.path.isdir(demo.ctl)


def test_demo_device_shape(demo):
    assert demo.create("mtty", "mtty-2", U1) == 0
    d = demo.path("devices/virtual/mtty/mtty", U1)
    assert sorted(os.listdir(d)) == [
        "driver", "iommu_group", "mdev_type", "power", "remove", "subsystem",
        "uevent", "vendor", "vfio-dev"]
    assert link(os.path.join(d, "mdev_type")) == "../mdev_supported_types/mtty-2"
    assert link(os.path.join(d, "driver")) == "../../../../../bus/mdev/drivers/mtty"
    assert link(os.path.join(d, "subsystem")) == "../../../../../bus/mdev"
    group = os.path.basename(link(os.path.join(d, "iommu_group")))
    assert link(os.path.join(d, "iommu_group")) == f"../../../../../kernel/iommu_groups/{group}"
    assert mode(os.path.join(d, "remove")) == 0o200
    assert demo.read(d, "uevent") == "DRIVER=mtty\n"    # as a 6.1 kernel
    assert demo.read(d, "vendor/sample_mdev_dev") == f"This is MDEV {U1}\n"
    assert link(demo.path("bus/mdev/devices", U1)) == \
        f"../../../devices/virtual/mtty/mtty/{U1}"
    assert link(os.path.join(demo.type_dir("mtty", "mtty-2"), "devices", U1)) == \
        f"../../../{U1}"
    assert link(demo.path("kernel/iommu_groups", group, "devices", U1)) == \
        f"../../../../devices/virtual/mtty/mtty/{U1}"
    assert os.listdir(demo.path("bus/mdev/drivers/mtty")) == [U1]
    assert os.listdir(os.path.join(d, "vfio-dev")) == ["vfio0"]
    assert link(os.path.join(d, "vfio-dev/vfio0/device")) == f"../../../{U1}"
    assert link(demo.path("class/vfio-dev/vfio0")) == \
        f"../../devices/virtual/mtty/mtty/{U1}/vfio-dev/vfio0"
    assert os.path.exists(os.path.join(demo.ctl, "dev", "vfio", group))
    # A fresh group per mdev, none shared with a PCI device.
    u2 = "8a4b3c2d-1111-2222-3333-444455556667"
    assert demo.create("0000:41:00.0", "nvidia-256", u2) == 0
    g2 = os.path.basename(link(demo.path("bus/mdev/devices", u2, "iommu_group")))
    assert g2 != group and g2 not in ("0", "40", "41")
    assert link(demo.path("bus/mdev/devices", u2, "driver")) == \
        "../../../../bus/mdev/drivers/nvidia-vgpu-vfio"
    # Removal takes every trace away.
    assert demo.remove(U1) == 0
    assert not os.path.lexists(d)
    assert not os.path.lexists(demo.path("bus/mdev/devices", U1))
    assert not os.path.lexists(demo.path("kernel/iommu_groups", group))
    assert not os.path.lexists(os.path.join(demo.ctl, "dev", "vfio", group))
    assert os.listdir(os.path.join(demo.type_dir("mtty", "mtty-2"), "devices")) == []
    assert os.listdir(demo.path("bus/mdev/drivers/mtty")) == []
    assert os.listdir(demo.path("class/vfio-dev")) == ["vfio1"]
    assert sorted(os.listdir(demo.path("bus/mdev/devices"))) == [u2]
    # Reading through a stale path fails like sysfs.
    assert read_errno(os.path.join(d, "uevent")) != 0


def test_samples_tree(mdevsim):
    sim = mdevsim("samples")
    assert sorted(os.listdir(sim.path("class/mdev_bus"))) == ["mbochs", "mdpy", "mtty"]
    for p in ("mtty", "mdpy", "mbochs"):
        assert link(sim.path("class/mdev_bus", p)) == f"../../devices/virtual/{p}/{p}"
    expect = {
        ("mtty", "mtty-1"): ("Single port serial", None, 24),
        ("mtty", "mtty-2"): ("Dual port serial", None, 12),
        ("mdpy", "mdpy-vga"): ("mdpy-vga", "virtual display, 640x480 framebuffer", 4),
        ("mdpy", "mdpy-xga"): ("mdpy-xga", "virtual display, 1024x768 framebuffer", 4),
        ("mdpy", "mdpy-hd"): ("mdpy-hd", "virtual display, 1920x1080 framebuffer", 4),
        ("mbochs", "mbochs-small"): ("mbochs-small", "virtual display, 4 MB video memory", 64),
        ("mbochs", "mbochs-medium"): ("mbochs-medium", "virtual display, 16 MB video memory", 16),
        ("mbochs", "mbochs-large"): ("mbochs-large", "virtual display, 64 MB video memory", 4),
    }
    for (parent, mtype), (name, desc, avail) in expect.items():
        t = sim.type_dir(parent, mtype)
        assert sim.read(t, "name") == name + "\n"
        if desc:
            assert sim.read(t, "description") == desc + "\n"
        else:
            assert not os.path.exists(os.path.join(t, "description"))
        assert sim.avail(parent, mtype) == avail
        assert sim.read(t, "device_api") == "vfio-pci\n"


def test_s390_tree(mdevsim):
    sim = mdevsim("s390")
    assert sorted(os.listdir(sim.path("class/mdev_bus"))) == [
        "0.0.0023", "0.0.0024", "matrix"]
    assert link(sim.path("class/mdev_bus/0.0.0023")) == "../../devices/css0/0.0.0023"
    assert link(sim.path("class/mdev_bus/matrix")) == "../../devices/vfio_ap/matrix"
    sch = sim.path("bus/css/devices/0.0.0023")
    assert link(sch) == "../../../devices/css0/0.0.0023"
    assert link(os.path.join(sch, "driver")) == "../../../bus/css/drivers/vfio_ccw"
    assert sim.read(sch, "dev_busid") == "0.0.1234\n"
    assert os.path.isdir(os.path.join(sch, "0.0.1234"))
    assert link(sim.path("bus/ccw/devices/0.0.1234")) == \
        "../../../devices/css0/0.0.0023/0.0.1234"
    t = sim.type_dir("0.0.0023", "vfio_ccw-io")
    assert sim.read(t, "device_api") == "vfio-ccw\n"
    assert sim.read(t, "name") == "I/O subchannel (Non-QDIO)\n"
    assert sim.avail("0.0.0023", "vfio_ccw-io") == 1
    ap = sim.type_dir("matrix", "vfio_ap-passthrough")
    assert sim.read(ap, "device_api") == "vfio-ap\n"
    assert sim.read(ap, "name") == "VFIO AP Passthrough Device\n"
    devs = sorted(os.listdir(sim.path("bus/ap/devices")))
    assert devs == ["05.0004", "05.0005", "05.0047", "06.0004", "06.0005",
                    "07.0004", "card05", "card06", "card07"]
    assert link(sim.path("bus/ap/devices/card05")) == "../../../devices/ap/card05"
    assert link(sim.path("bus/ap/devices/05.0047")) == \
        "../../../devices/ap/card05/05.0047"
    assert link(sim.path("devices/ap/card05/05.0004/driver")) == \
        "../../../../bus/ap/drivers/vfio_ap"
    assert sim.read("devices/ap/card05/type") == "CEX7C\n"
    assert sim.read("devices/ap/card05/hwtype") == "13\n"
    # No DMI on s390.
    assert not os.path.exists(sim.path("devices/virtual/dmi"))


def test_sriov_tree(mdevsim):
    sim = mdevsim("sriov")
    parents = os.listdir(sim.path("class/mdev_bus"))
    assert len(parents) == 128
    pf = sim.path("bus/pci/devices/0000:3b:00.0")
    assert sim.read(pf, "sriov_totalvfs") == "32\n"
    assert sim.read(pf, "sriov_numvfs") == "32\n"
    assert link(os.path.join(pf, "virtfn0")) == "../0000:3b:00.4"
    assert link(os.path.join(pf, "virtfn31")) == "../0000:3b:04.3"
    vf = sim.path("bus/pci/devices/0000:3b:00.4")
    assert link(os.path.join(vf, "physfn")) == "../0000:3b:00.0"
    assert sim.read(vf, "current_link_speed") == "16.0 GT/s PCIe\n"
    assert "0000:3b:00.0" not in parents and "0000:3b:00.4" in parents
    for p in parents:
        types = os.listdir(sim.path("class/mdev_bus", p, "mdev_supported_types"))
        assert len(types) == 16
    groups = {os.readlink(sim.path("bus/pci/devices", d, "iommu_group"))
              for d in os.listdir(sim.path("bus/pci/devices"))}
    assert len(groups) == 132    # every function its own group


def test_file_profile(mdevsim, tmp_path):
    prof = tmp_path / "mine.ini"
    prof.write_text("""
[mdev m]
driver=mine
device_api=vfio-pci
capacity=3
full_errno=EUSERS
types=mine-a

[type m mine-a]
name=A

[pci 0000:10:00.0]
vendor=0x1234
device=0x5678
class=0x030000
mdev=m
""")
    sim = mdevsim(str(prof))
    assert sim.avail("0000:10:00.0", "mine-a") == 3
    assert sim.read("bus/pci/devices/0000:10:00.0/vendor") == "0x1234\n"


def test_samples_match_recorded_kernel(mdevsim):
    """tests/kernel recorded the tree of a real 6.1 kernel with the sample
    drivers loaded; the same lister run on mdevsim must print the same."""
    top = os.environ.get("ND_TOP_SRCDIR") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..")
    lister = os.path.join(top, "tests", "kernel", "sysfs-tree.sh")
    expected = os.path.join(top, "tests", "kernel", "expected-samples-tree.txt")
    assert os.path.exists(lister) and os.path.exists(expected)
    sim = mdevsim("samples")
    r = subprocess.run(["sh", lister, sim.root], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    with open(expected, encoding="utf-8") as fh:
        want = fh.read()
    assert r.stdout.splitlines() == want.splitlines()
