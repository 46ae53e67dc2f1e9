#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes the static sysfs trees under tests/sysfsdata/ (checked in).

The trees are data: the tests read the checked-in copies, never run this.
Run it only to change a tree, then review `git diff --stat`:

    /usr/bin/python3 tests/sysfsdata/mktrees.py tests/sysfsdata

Links are relative, as the kernel makes them.  Git cannot store empty
directories, FIFOs or file modes other than 0644/0755; tests that need
those build them in a temporary directory instead.
"""
import os
import shutil
import struct
import sys


class Tree:
    def __init__(self, root):
        self.root = root

    def _p(self, rel):
        return os.path.join(self.root, rel)

    def file(self, rel, content="", nl=True):
        path = self._p(rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        mode = "wb" if isinstance(content, bytes) else "w"
        with open(path, mode) as fh:
            if isinstance(content, bytes):
                fh.write(content)
            else:
                fh.write(content + ("\n" if nl and content else ""))

    def dir(self, rel):
        os.makedirs(self._p(rel), exist_ok=True)

    def link(self, rel, target_rel):
        """A link at REL pointing to TARGET_REL (both root-relative)."""
        path = self._p(rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        target = os.path.relpath(self._p(target_rel), os.path.dirname(path))
        if os.path.lexists(path):
            os.unlink(path)
        os.symlink(target, path)

    def rawlink(self, rel, target):
        path = self._p(rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        os.symlink(target, path)

    # ---- building blocks ------------------------------------------------

    def group(self, num, members):
        self.dir(f"kernel/iommu_groups/{num}/devices")
        for dev_rel in members:
            name = os.path.basename(dev_rel)
            self.link(f"kernel/iommu_groups/{num}/devices/{name}", dev_rel)

    def pci(self, rel, cls, vendor, device, driver=None, group=None,
            numa=None, config=None, extra=None):
        name = os.path.basename(rel)
        self.file(f"{rel}/class", "0x%06x" % cls)
        self.file(f"{rel}/vendor", "0x%04x" % vendor)
        self.file(f"{rel}/device", "0x%04x" % device)
        if numa is not None:
            self.file(f"{rel}/numa_node", str(numa))
        self.file(f"{rel}/uevent", f"PCI_SLOT_NAME={name}")
        self.link(f"{rel}/subsystem", "bus/pci")
        self.link(f"bus/pci/devices/{name}", rel)
        if driver:
            self.dir(f"bus/pci/drivers/{driver}")
            self.link(f"{rel}/driver", f"bus/pci/drivers/{driver}")
            self.link(f"bus/pci/drivers/{driver}/{name}", rel)
        if group is not None:
            self.link(f"{rel}/iommu_group", f"kernel/iommu_groups/{group}")
        if config is not None:
            self.file(f"{rel}/config", config)
        for k, v in (extra or {}).items():
            self.file(f"{rel}/{k}", v)

    def mdev_type(self, parent_rel, tid, api, avail, name=None, desc=None):
        t = f"{parent_rel}/mdev_supported_types/{tid}"
        self.file(f"{t}/create", "")
        self.file(f"{t}/device_api", api)
        self.file(f"{t}/available_instances", str(avail))
        if name is not None:
            self.file(f"{t}/name", name)
        if desc is not None:
            self.file(f"{t}/description", desc)
        return t

    def mdev_parent(self, name, rel):
        self.link(f"class/mdev_bus/{name}", rel)

    def mdev(self, parent_rel, uuid, tid, group, driver, attrs=None):
        d = f"{parent_rel}/{uuid}"
        t = f"{parent_rel}/mdev_supported_types/{tid}"
        self.link(f"{d}/mdev_type", t)
        self.link(f"{t}/devices/{uuid}", d)
        self.group(group, [d])
        self.link(f"{d}/iommu_group", f"kernel/iommu_groups/{group}")
        self.dir(f"bus/mdev/drivers/{driver}")
        self.link(f"{d}/driver", f"bus/mdev/drivers/{driver}")
        self.link(f"{d}/subsystem", "bus/mdev")
        self.file(f"{d}/remove", "")
        self.file(f"{d}/uevent", f"MDEV_TYPE={tid}\nDRIVER={driver}", nl=True)
        self.link(f"bus/mdev/devices/{uuid}", d)
        for k, v in (attrs or {}).items():
            self.file(f"{d}/{k}", v)

    def dmi(self, **fields):
        for k, v in fields.items():
            self.file(f"devices/virtual/dmi/id/{k}", v)


def pcie_config(hdr_type=0, port=0, cap_speed=3, cap_width=16,
                sta_speed=1, sta_width=16, exp_type=0):
    """256 bytes of config space with a PCI Express capability at 0x40."""
    cfg = bytearray(256)
    struct.pack_into("<HH", cfg, 0, 0x10de, 0x1eb8)
    struct.pack_into("<H", cfg, 0x06, 0x0010)        # status: cap list
    cfg[0x0e] = hdr_type
    cfg[0x34] = 0x60                                  # first: PM at 0x60
    cfg[0x60] = 0x01                                  # PM cap
    cfg[0x61] = 0x40                                  # next: PCIe at 0x40
    cfg[0x40] = 0x10                                  # PCIe cap id
    cfg[0x41] = 0x00                                  # end of list
    struct.pack_into("<H", cfg, 0x42, (exp_type << 4) | 2)
    struct.pack_into("<I", cfg, 0x4c,
                     (port << 24) | (cap_width << 4) | cap_speed)
    struct.pack_into("<H", cfg, 0x52, (sta_width << 4) | sta_speed)
    return bytes(cfg)


NVIDIA_DESC = ("num_heads=4, frl_config=60, framebuffer=1024M, "
               "max_resolution=5120x2880, max_instance=16")

MDEV_GPU = "c8a5b7e0-4d7f-4f0e-9b1a-2c3d4e5f6a7b"
MDEV_GVT = "0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"
MDEV_MTTY = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001"
MDEV_AP = "7ab7d5a4-1c3b-4e1e-9f6a-2b2f1c0d9e8f"
MDEV_CCW = "3a7c1e52-8d2b-4c1f-a0e6-5f4b3c2d1e0f"


def gpu(t):
    t.dmi(sys_vendor="Example Computers Inc.",
          product_name="Server X1", product_version="1.0",
          product_serial="SN-0001",
          product_uuid="4c4c4544-0047-3610-8039-b4c04f4e3632",
          bios_vendor="Example BIOS", bios_version="2.3.4",
          bios_date="01/02/2023")
    host = "devices/pci0000:00/0000:00:00.0"
    t.pci(host, 0x060000, 0x8086, 0x3e30, numa=-1)
    # Intel GVT-g: types without a name file
    igd = "devices/pci0000:00/0000:00:02.0"
    t.pci(igd, 0x030000, 0x8086, 0x3e92, driver="i915", group=1, numa=-1)
    t.group(1, [igd])
    gvt_desc = ("low_gm_size: 128MB\nhigh_gm_size: 512MB\nfence: 4\n"
                "resolution: 1920x1200\nweight: 4")
    t.mdev_type(igd, "i915-GVTg_V5_4", "vfio-pci", 1, desc=gvt_desc)
    t.mdev_type(igd, "i915-GVTg_V5_8", "vfio-pci", 2,
                desc=gvt_desc.replace("512MB", "256MB"))
    t.mdev_parent("0000:00:02.0", igd)
    t.mdev(igd, MDEV_GVT, "i915-GVTg_V5_8", 100, "vfio_mdev")

    # A bridge with only 64 bytes of config (as unprivileged readers see it)
    bridge = "devices/pci0000:40/0000:40:01.1"
    bcfg = bytearray(64)
    bcfg[0x0e] = 0x01
    t.pci(bridge, 0x060400, 0x1022, 0x1483, driver="pcieport", group=10,
          numa=0, config=bytes(bcfg))
    # NVIDIA T4 behind it, full config space with PCIe link
    gpu0 = f"{bridge}/0000:41:00.0"
    t.pci(gpu0, 0x030200, 0x10de, 0x1eb8, driver="nvidia", group=20, numa=0,
          config=pcie_config(port=0, cap_speed=3, cap_width=16,
                             sta_speed=1, sta_width=16),
          extra={"power_state": "D0"})
    t.file(f"{gpu0}/not_an_attr_dir/x", "1")
    t.group(10, [bridge])
    t.group(20, [gpu0, f"{bridge}/0000:41:00.1"])
    t.pci(f"{bridge}/0000:41:00.1", 0x040300, 0x10de, 0x10f8, group=20,
          numa=0)
    for tid, nm, avail in (("nvidia-222", "GRID T4-1B", 15),
                           ("nvidia-223", "GRID T4-2B", 8),
                           ("nvidia-224", "GRID T4-16Q", 0)):
        t.mdev_type(gpu0, tid, "vfio-pci", avail, name=nm, desc=NVIDIA_DESC)
    t.mdev_parent("0000:41:00.0", gpu0)
    t.mdev(gpu0, MDEV_GPU, "nvidia-222", 30, "nvidia-vgpu-vfio")
    # the type's devices/ of the unused ones is empty: git can't keep it

    # Second GPU: link from sysfs attributes instead of config space
    gpu1 = "devices/pci0000:80/0000:80:03.0/0000:86:00.0"
    t.pci("devices/pci0000:80/0000:80:03.0", 0x060400, 0x8086, 0x2030,
          group=40, numa=1)
    # In D3cold: reading its config space would wake it up, so util must
    # not (the config here says port 7, which must not show).
    t.pci(gpu1, 0x030200, 0x10de, 0x1eb8, driver="nvidia", group=41, numa=1,
          config=pcie_config(port=7),
          extra={"power_state": "D3cold",
                 "max_link_speed": "16.0 GT/s PCIe",
                 "max_link_width": "16",
                 "current_link_speed": "8.0 GT/s PCIe",
                 "current_link_width": "8"})
    t.group(40, ["devices/pci0000:80/0000:80:03.0"])
    t.group(41, [gpu1])
    t.mdev_type(gpu1, "nvidia-222", "vfio-pci", 16, name="GRID T4-1B",
                desc=NVIDIA_DESC)
    t.mdev_parent("0000:86:00.0", gpu1)

    # mtty: a virtual parent
    mtty = "devices/virtual/mtty/mtty"
    t.dir("class/mtty")
    t.link(f"{mtty}/subsystem", "class/mtty")
    t.link("class/mtty/mtty", mtty)
    t.mdev_type(mtty, "mtty-1", "vfio-pci", 23, name="Single port serial")
    t.mdev_type(mtty, "mtty-2", "vfio-pci", 11, name="Dual port serial")
    t.mdev_parent("mtty", mtty)
    t.mdev(mtty, MDEV_MTTY, "mtty-1", 101, "mtty")
    t.dir("bus/mdev/devices")


def sriov(t):
    pf = "devices/pci0000:3a/0000:3a:00.0/0000:3b:00.0"
    t.pci("devices/pci0000:3a/0000:3a:00.0", 0x060400, 0x8086, 0x2030,
          group=5)
    t.group(5, ["devices/pci0000:3a/0000:3a:00.0"])
    t.pci(pf, 0x030200, 0x10de, 0x20b5, driver="nvidia", group=6, numa=0,
          extra={"sriov_totalvfs": "4", "sriov_numvfs": "4"})
    t.group(6, [pf])
    # virtfn names sort as strings (virtfn10 < virtfn2): the index orders
    for i in range(4):
        vf = f"devices/pci0000:3a/0000:3a:00.0/0000:3b:00.{4 + i}"
        t.pci(vf, 0x030200, 0x10de, 0x20b5, driver="nvidia", group=7 + i,
              numa=0)
        t.group(7 + i, [vf])
        t.link(f"{vf}/physfn", pf)
        t.link(f"{pf}/virtfn{i}", vf)
        for j, avail in ((0, 1), (1, 0)):
            t.mdev_type(vf, f"nvidia-{500 + j}", "vfio-pci", avail,
                        name=f"NVIDIA A100-{4 * (j + 1)}C", desc=NVIDIA_DESC)
        t.mdev_parent(os.path.basename(vf), vf)
    t.dir("bus/mdev/devices")


def s390(t):
    css = "devices/css0"
    sch = f"{css}/0.0.0052"
    t.dir("bus/css/drivers/vfio_ccw")
    t.link(f"{sch}/driver", "bus/css/drivers/vfio_ccw")
    t.link(f"{sch}/subsystem", "bus/css")
    t.link("bus/css/devices/0.0.0052", sch)
    t.mdev_type(sch, "vfio_ccw-io", "vfio-ccw", 0, name="I/O subchannel (Non-QDIO)")
    t.mdev_parent("0.0.0052", sch)
    t.mdev(sch, MDEV_CCW, "vfio_ccw-io", 200, "vfio_ccw_mdev")
    # an I/O subchannel with its ccw device child
    sch2 = f"{css}/0.0.0053"
    t.dir("bus/css/drivers/io_subchannel")
    t.link(f"{sch2}/driver", "bus/css/drivers/io_subchannel")
    t.link(f"{sch2}/subsystem", "bus/css")
    t.file(f"{sch2}/0.0.1234/online", "1")
    t.link("bus/css/devices/0.0.0053", sch2)
    t.dir("bus/css/devices")
    t.file("bus/css/devices/defunct", "")   # not a subchannel: skipped

    ap = "devices/ap"
    t.dir("bus/ap/drivers/vfio_ap")
    for card, domains in (("01", ["0004", "0005"]), ("0a", ["0004"])):
        c = f"{ap}/card{card}"
        t.file(f"{c}/type", "CEX7C")
        t.link(f"bus/ap/devices/card{card}", c)
        for d in domains:
            q = f"{c}/{card}.{d}"
            t.link(f"{q}/driver", "bus/ap/drivers/vfio_ap")
            t.link(f"bus/ap/devices/{card}.{d}", q)
    t.file("bus/ap/ap_domain", "4")     # not a device entry

    matrix = "devices/vfio_ap/matrix"
    t.dir("bus/matrix")
    t.link(f"{matrix}/subsystem", "bus/matrix")
    t.mdev_type(matrix, "vfio_ap-passthrough", "vfio-ap", 65534,
                name="VFIO AP Passthrough Device")
    t.mdev_parent("matrix", matrix)
    t.mdev(matrix, MDEV_AP, "vfio_ap-passthrough", 201, "vfio_ap_mdev",
           attrs={"assign_adapter": "", "assign_domain": "",
                  "assign_control_domain": "", "matrix": ""})


def malformed(t):
    # a parent with one good type and several broken ones
    p = "devices/virtual/bad/bad0"
    t.mdev_parent("bad0", p)
    t.mdev_type(p, "bad-good", "vfio-pci", 3, name="Good")
    t.mdev_type(p, "bad-garbage", "vfio-pci", "lots", name="Garbage count")
    t.mdev_type(p, "bad-negative", "vfio-pci", -1, name="Negative count")
    tnoapi = t.mdev_type(p, "bad-noapi", "vfio-pci", 2)
    os.unlink(t._p(f"{tnoapi}/device_api"))
    tnoavail = t.mdev_type(p, "bad-noavail", "vfio-pci", 2)
    os.unlink(t._p(f"{tnoavail}/available_instances"))
    t.mdev_type(p, "bad-huge", "vfio-pci", 1, desc="x" * (70 * 1024))
    t.mdev_type(p, "bad-empty-api", "vfio-pci", 1)
    t.file(f"{p}/mdev_supported_types/bad-empty-api/device_api", "")
    t.mdev_type(p, "bad-nul", "vfio-pci", 1)
    t.file(f"{p}/mdev_supported_types/bad-nul/name", b"a\0b\n")
    t.file(f"{p}/mdev_supported_types/not-a-dir", "x")
    # a type whose available_instances is a directory
    tdir = t.mdev_type(p, "bad-dirfile", "vfio-pci", 1)
    os.unlink(t._p(f"{tdir}/available_instances"))
    t.dir(f"{tdir}/available_instances")
    t.file(f"{tdir}/available_instances/x", "1")
    # a huge file named like a number
    t.file("devices/huge", "1" * (ND_READ_MAX + 1), nl=False)
    t.file("devices/exact", "2" * ND_READ_MAX, nl=False)

    # broken parent links
    t.link("class/mdev_bus/dangling", "devices/nowhere")
    t.rawlink("class/mdev_bus/loop", "loop")
    t.rawlink("class/mdev_bus/escape", "../../../../../../../../../../tmp")
    t.rawlink("class/mdev_bus/absolute", "/tmp")
    t.file("class/mdev_bus/plainfile", "x")
    # a two-link loop
    t.rawlink("devices/loop-a", "loop-b")
    t.rawlink("devices/loop-b", "loop-a")

    # mdevs: one complete, one without mdev_type (as right after 'add'),
    # a link leading out of the root, a non-UUID entry
    good = "c0ffee00-0000-4000-8000-000000000001"
    t.mdev(p, good, "bad-good", 300, "vfio_mdev")
    inc = "c0ffee00-0000-4000-8000-000000000002"
    t.file(f"{p}/{inc}/remove", "")
    t.link(f"bus/mdev/devices/{inc}", f"{p}/{inc}")
    t.rawlink("bus/mdev/devices/c0ffee00-0000-4000-8000-000000000003",
              "../../../../../../../../../../tmp")
    t.link("bus/mdev/devices/not-a-uuid", p)
    # a device attribute that is a symlink to another file of the device
    t.file(f"{p}/{good}/real_attr", "")
    t.rawlink(f"{p}/{good}/link_attr", "real_attr")
    t.dir(f"{p}/{good}/vendor")
    t.file(f"{p}/{good}/vendor/param", "")
    t.rawlink(f"{p}/{good}/vendor_link", "vendor")

    # PCI: junk name, garbage class, escaping device link
    t.pci("devices/pci0000:00/0000:00:1f.0", 0x060100, 0x8086, 0xa30e)
    t.file("devices/pci0000:00/0000:00:1f.0/class", "banana")
    t.file("devices/pci0000:00/0000:00:1f.0/numa_node", "-7")
    t.rawlink("bus/pci/devices/garbage", "../../../devices/pci0000:00")
    t.rawlink("bus/pci/devices/0000:00:1e.0", "../../../../../../../../tmp")
    t.link("bus/pci/devices/0000:00:1d.0", "devices/pci0000:00/gone")
    t.group(50, ["devices/pci0000:00/0000:00:1f.0"])
    t.link("devices/pci0000:00/0000:00:1f.0/iommu_group",
           "kernel/iommu_groups/50")
    t.file("kernel/iommu_groups/50/devices/junk", "")


ND_READ_MAX = 64 * 1024

SCENARIOS = {
    "gpu": gpu,
    "sriov": sriov,
    "s390": s390,
    "malformed": malformed,
}


def main(outdir):
    for name, fn in SCENARIOS.items():
        root = os.path.join(outdir, name)
        if os.path.isdir(root):
            shutil.rmtree(root)
        os.makedirs(root)
        fn(Tree(root))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else
                  os.path.dirname(os.path.abspath(__file__))))
