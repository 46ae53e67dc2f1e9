# SPDX-License-Identifier: LGPL-2.1-or-later
"""python3-libvirt 9.0 against virtmdevd on mdevsim: the node-device API,
events with virEventRegisterDefaultImpl, every driver failure with its
code, domain and message, and read-only access."""
import os
import tempfile
import threading
import time

import libvirt
import pytest

from ndtest import EXAMPLES, Daemon, validate_xml, virsh

UUID = "c6e4a9a2-5a1c-4b0e-9b8f-2d4c0e1f7a31"
MDEV = "mdev_c6e4a9a2_5a1c_4b0e_9b8f_2d4c0e1f7a31_0000_41_00_0"
UUID2 = "0b2c6c1e-3d4a-4f5b-8c7d-9e0f1a2b3c4d"
NODEDEV = libvirt.VIR_FROM_NODEDEV

# libvirt prints every error to stderr unless a handler is set
libvirt.registerErrorHandler(lambda ctx, err: None, None)


def read(name):
    with open(os.path.join(EXAMPLES, name), encoding="utf-8") as fh:
        return fh.read()


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


@pytest.fixture
def conn(daemon):
    c = libvirt.open(daemon.uri)
    yield c
    c.close()


class EventLoop:
    """libvirt's default event loop on a thread, as applications run it."""
    started = False

    @classmethod
    def start(cls):
        if cls.started:
            return
        libvirt.virEventRegisterDefaultImpl()

        def run():
            while True:
                libvirt.virEventRunDefaultImpl()
        threading.Thread(target=run, daemon=True).start()
        cls.started = True


class Recorder:
    def __init__(self):
        self.events = []
        self.cond = threading.Condition()

    def lifecycle(self, conn, dev, event, detail, opaque):
        with self.cond:
            self.events.append((opaque, dev.name(), event, detail))
            self.cond.notify_all()

    def update(self, conn, dev, opaque):
        with self.cond:
            self.events.append((opaque, dev.name(), "update"))
            self.cond.notify_all()

    def wait(self, count, timeout=30):
        with self.cond:
            self.cond.wait_for(lambda: len(self.events) >= count, timeout)
            return list(self.events)


# ---- the API ---------------------------------------------------------------

def test_list_and_lookup(conn, daemon):
    names = [d.name() for d in conn.listAllDevices(0)]
    assert sorted(names) == ["computer", "mtty_mtty", "pci_0000_00_02_0",
                             "pci_0000_41_00_0", "pci_0000_42_00_0"]
    parents = ["mtty_mtty", "pci_0000_00_02_0", "pci_0000_41_00_0",
               "pci_0000_42_00_0"]
    # the older calls virsh falls back to, in the same order
    assert conn.numOfDevices(None, 0) == 5
    assert conn.listDevices(None, 0) == names
    assert conn.numOfDevices("mdev_types", 0) == 4
    assert conn.nodeDeviceLookupByName("mtty_mtty").listCaps() == ["mdev_types"]
    assert sorted(conn.listDevices("mdev_types", 0)) == parents
    assert conn.listDevices("mdev", 0) == []
    assert sorted(d.name() for d in conn.listAllDevices(
        libvirt.VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV_TYPES)) == parents
    dev = conn.nodeDeviceLookupByName("pci_0000_41_00_0")
    assert dev.parent() == "computer"
    assert dev.listCaps() == ["pci", "mdev_types"]
    assert dev.numOfCaps() == 2
    assert conn.nodeDeviceLookupByName("computer").parent() is None
    validate_xml(dev.XMLDesc(0))
    assert conn.getURI() == daemon.uri
    assert conn.isSecure() == 1


def test_create_destroy_lifecycle(conn, daemon):
    dev = conn.nodeDeviceCreateXML(read("mdev-nvidia-uuid.xml"), 0)
    assert dev.name() == MDEV
    assert dev.parent() == "pci_0000_41_00_0"
    assert dev.listCaps() == ["mdev"]
    assert dev.isActive() == 1
    assert dev.isPersistent() == 0
    assert dev.autostart() == 0
    xml = dev.XMLDesc(0)
    validate_xml(xml)
    assert f"<uuid>{UUID}</uuid>" in xml
    assert [d.name() for d in conn.listAllDevices(
        libvirt.VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV)] == [MDEV]
    dev.destroy()
    assert conn.listAllDevices(libvirt.VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV) == []


def test_create_validate_flag(conn):
    dev = conn.nodeDeviceCreateXML(read("mdev-nvidia-uuid.xml"),
                                   libvirt.VIR_NODE_DEVICE_CREATE_XML_VALIDATE)
    assert dev.name() == MDEV


def test_define_start_autostart_undefine(conn):
    dev = conn.nodeDeviceDefineXML(read("mdev-mtty.xml"), 0)
    name = "mdev_8a3e5f10_7c2b_4d6e_a1f9_3b5c7d9e0f21_mtty"
    assert dev.name() == name
    assert (dev.isActive(), dev.isPersistent(), dev.autostart()) == (0, 1, 0)
    validate_xml(dev.XMLDesc(0))
    # VIR_NODE_DEVICE_XML_INACTIVE (10.1+; the 9.0 binding lacks the name)
    validate_xml(dev.XMLDesc(1))
    assert [d.name() for d in conn.listAllDevices(
        libvirt.VIR_CONNECT_LIST_NODE_DEVICES_INACTIVE)] == [name]
    dev.create()
    assert dev.isActive() == 1
    dev.setAutostart(1)
    assert dev.autostart() == 1
    dev.setAutostart(0)
    assert dev.autostart() == 0
    dev.destroy()
    assert dev.isActive() == 0
    dev.undefine()
    assert error_of(lambda: conn.nodeDeviceLookupByName(name)) == (
        libvirt.VIR_ERR_NO_NODE_DEVICE, NODEDEV,
        f"Node device not found: no node device with matching name '{name}'")


def test_attrs_applied_in_order(make_daemon):
    d = make_daemon(profile="s390")
    c = libvirt.open(d.uri)
    dev = c.nodeDeviceCreateXML(read("mdev-vfio-ap.xml"), 0)
    assert dev.name() == "mdev_783e6dbb_ea0e_411f_94e2_717eaad438bf_matrix"
    xml = dev.XMLDesc(0)
    validate_xml(xml)
    c.close()


# ---- every failure of the driver, as the client sees it ---------------------

def test_errors(conn, daemon):
    cases = [
        (lambda: conn.nodeDeviceLookupByName("nope"),
         libvirt.VIR_ERR_NO_NODE_DEVICE,
         "Node device not found: no node device with matching name 'nope'"),
        (lambda: conn.nodeDeviceCreateXML(mdev_xml("pci_0000_99_00_0", "nvidia-256"), 0),
         libvirt.VIR_ERR_CONFIG_UNSUPPORTED,
         "unsupported configuration: invalid parent device 'pci_0000_99_00_0'"),
        (lambda: conn.nodeDeviceCreateXML(mdev_xml("computer", "nvidia-256"), 0),
         libvirt.VIR_ERR_PARSE_FAILED,
         "failed to parse configuration file Unable to find address for parent "
         "device 'computer'"),
        (lambda: conn.nodeDeviceCreateXML(mdev_xml("pci_0000_41_00_0", "nvidia-999"), 0),
         libvirt.VIR_ERR_CONFIG_UNSUPPORTED,
         "unsupported configuration: mediated device type 'nvidia-999' is not "
         "supported by parent device 'pci_0000_41_00_0'"),
        (lambda: conn.nodeDeviceCreateXML(mdev_xml("pci_0000_42_00_0", "nvidia-256", None,
                                                   "<attr name='../x' value='1'/>"), 0),
         libvirt.VIR_ERR_CONFIG_UNSUPPORTED,
         "unsupported configuration: invalid mdev attribute name '../x' for 'new device'"),
        (lambda: conn.nodeDeviceCreateXML(mdev_xml("pci_0000_42_00_0", "nvidia-256", "zzz"), 0),
         libvirt.VIR_ERR_INTERNAL_ERROR,
         "internal error: invalid uuid 'zzz' for mediated device 'new device'"),
        (lambda: conn.nodeDeviceLookupByName("pci_0000_41_00_0").destroy(),
         libvirt.VIR_ERR_CONFIG_UNSUPPORTED,
         "unsupported configuration: Unsupported device type"),
        (lambda: conn.nodeDeviceLookupByName("pci_0000_41_00_0").undefine(),
         libvirt.VIR_ERR_CONFIG_UNSUPPORTED,
         "unsupported configuration: Unsupported device type"),
        (lambda: conn.nodeDeviceLookupByName("pci_0000_41_00_0").setAutostart(0),
         libvirt.VIR_ERR_OPERATION_UNSUPPORTED,
         "Operation not supported: Unsupported device type"),
        # libvirtd 9.0 sets no error here ("An error occurred, but the
        # cause is unknown"); an mdev host has no SCSI hosts
        (lambda: conn.nodeDeviceLookupSCSIHostByWWN("20000000c9831b4b",
                                                    "10000000c9831b4b", 0),
         libvirt.VIR_ERR_NO_NODE_DEVICE,
         "Node device not found: no SCSI host with world wide node name "
         "'20000000c9831b4b' and port name '10000000c9831b4b'"),
    ]
    for fn, code, message in cases:
        assert error_of(fn) == (code, NODEDEV, message)
    code, domain, message = error_of(lambda: conn.nodeDeviceCreateXML("<device>", 0))
    assert domain == NODEDEV
    assert (code, message) == (
        libvirt.VIR_ERR_XML_DETAIL,
        "(node_device_definition):1: Premature end of data in tag device line 1\n"
        "<device>\n--------^")
    code, domain, message = error_of(
        lambda: conn.nodeDeviceCreateXML(read("mdev-nvidia.xml"), 8))
    assert (code, domain) == (libvirt.VIR_ERR_INVALID_ARG, NODEDEV)
    assert message == "unsupported flags (0x8) in function nodeDeviceCreateXML"
    assert conn.listAllDevices(libvirt.VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV) == []


def test_errors_with_devices(conn, daemon):
    dev = conn.nodeDeviceCreateXML(mdev_xml("pci_0000_41_00_0", "nvidia-260", UUID), 0)
    assert error_of(lambda: conn.nodeDeviceCreateXML(
        mdev_xml("pci_0000_41_00_0", "nvidia-256"), 0)) == (
        libvirt.VIR_ERR_OPERATION_INVALID, NODEDEV,
        "Requested operation is not valid: no instances of mediated device type "
        "'nvidia-256' left on parent device 'pci_0000_41_00_0'")
    assert error_of(lambda: conn.nodeDeviceCreateXML(
        mdev_xml("pci_0000_42_00_0", "nvidia-256", UUID), 0)) == (
        libvirt.VIR_ERR_OPERATION_INVALID, NODEDEV,
        f"Requested operation is not valid: UUID '{UUID}' is already used by "
        f"node device '{MDEV}'")
    assert error_of(dev.undefine) == (
        libvirt.VIR_ERR_OPERATION_INVALID, NODEDEV,
        f"Requested operation is not valid: Node device '{MDEV}' is not defined")
    assert error_of(dev.create) == (
        libvirt.VIR_ERR_OPERATION_INVALID, NODEDEV,
        "Requested operation is not valid: Device is already active")
    assert error_of(lambda: dev.setAutostart(1)) == (
        libvirt.VIR_ERR_OPERATION_INVALID, NODEDEV,
        "Requested operation is not valid: cannot set autostart for transient device")

    # in use: the kernel would block, the daemon refuses
    with open(daemon.control("busy"), "w") as fh:
        fh.write(f"+{UUID}\n")
    code, domain, message = error_of(dev.destroy)
    assert (domain, message) == (
        NODEDEV, f"internal error: Unable to destroy '{MDEV}': device in use")
    with open(daemon.control("busy"), "w") as fh:
        fh.write(f"-{UUID}\n")

    # a sysfs write failing: the kernel's errno reaches the client
    with open(daemon.control("inject"), "w") as fh:
        fh.write("remove EIO\n")
    code, domain, message = error_of(dev.destroy)
    assert (code, domain) == (libvirt.VIR_ERR_SYSTEM_ERROR, NODEDEV)
    assert message.endswith("/remove': Input/output error")
    dev.destroy()
    assert error_of(dev.destroy) == (
        libvirt.VIR_ERR_NO_NODE_DEVICE, NODEDEV,
        f"Node device not found: no node device with matching name '{MDEV}'")

    # a defined, inactive device
    dev = conn.nodeDeviceDefineXML(mdev_xml("pci_0000_41_00_0", "nvidia-257", UUID), 0)
    assert error_of(dev.destroy) == (
        libvirt.VIR_ERR_OPERATION_INVALID, NODEDEV,
        f"Requested operation is not valid: Device '{MDEV}' is not active")
    with open(daemon.control("inject"), "w") as fh:
        fh.write("create EIO\n")
    code, domain, message = error_of(dev.create)
    assert (code, domain) == (libvirt.VIR_ERR_SYSTEM_ERROR, NODEDEV)
    assert message.endswith("/nvidia-257/create': Input/output error")
    dev.create()
    assert dev.isActive() == 1


def test_attribute_failure_rolls_back(make_daemon):
    d = make_daemon(profile="s390")
    c = libvirt.open(d.uri)
    xml = read("mdev-vfio-ap.xml").replace(
        "<attr name='assign_domain' value='4'/>",
        "<attr name='assign_domain' value='4'/><attr name='nope' value='1'/>")
    code, domain, message = error_of(lambda: c.nodeDeviceCreateXML(xml, 0))
    assert (code, domain) == (libvirt.VIR_ERR_INVALID_ARG, NODEDEV)
    assert "the device was removed again" in message
    assert "'nope'" in message
    assert not os.path.exists(os.path.join(
        d.sysfs, "devices/vfio_ap/matrix/783e6dbb-ea0e-411f-94e2-717eaad438bf"))
    assert c.listAllDevices(libvirt.VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV) == []
    c.close()


# ---- read-only ----------------------------------------------------------------

MUTATIONS = [
    ("virNodeDeviceCreateXML", lambda c: c.nodeDeviceCreateXML(read("mdev-nvidia.xml"), 0)),
    ("virNodeDeviceDefineXML", lambda c: c.nodeDeviceDefineXML(read("mdev-mtty.xml"), 0)),
    ("virNodeDeviceDestroy", lambda c: c.nodeDeviceLookupByName(MDEV).destroy()),
    ("virNodeDeviceUndefine", lambda c: c.nodeDeviceLookupByName(MDEV).undefine()),
    ("virNodeDeviceCreate", lambda c: c.nodeDeviceLookupByName(MDEV).create()),
    ("virNodeDeviceSetAutostart", lambda c: c.nodeDeviceLookupByName(MDEV).setAutostart(1)),
]


@pytest.mark.parametrize("api,fn", MUTATIONS)
def test_read_only_socket(daemon, api, fn):
    rw = libvirt.open(daemon.uri)
    rw.nodeDeviceDefineXML(read("mdev-nvidia-uuid.xml"), 0)
    # the client believes it may write: the daemon refuses
    ro = libvirt.open(daemon.uri_ro)
    assert error_of(lambda: fn(ro)) == (
        libvirt.VIR_ERR_OPERATION_DENIED, NODEDEV,
        f"operation forbidden: read only access prevents {api}")
    # reads are fine
    assert ro.nodeDeviceLookupByName(MDEV).isPersistent() == 1
    # and nothing changed
    assert rw.nodeDeviceLookupByName(MDEV).isActive() == 0
    ro.close()
    rw.close()


@pytest.mark.parametrize("api,fn", MUTATIONS)
def test_read_only_flag(daemon, api, fn):
    rw = libvirt.open(daemon.uri)
    rw.nodeDeviceDefineXML(read("mdev-nvidia-uuid.xml"), 0)
    ro = libvirt.openReadOnly(daemon.uri)
    code, domain, message = error_of(lambda: fn(ro))
    assert code == libvirt.VIR_ERR_OPERATION_DENIED
    assert message == f"operation forbidden: read only access prevents {api}"
    assert rw.nodeDeviceLookupByName(MDEV).isActive() == 0
    ro.close()
    rw.close()


# ---- events ------------------------------------------------------------------

def test_lifecycle_events(daemon):
    EventLoop.start()
    c = libvirt.open(daemon.uri)
    rec = Recorder()
    cb_all = c.nodeDeviceEventRegisterAny(
        None, libvirt.VIR_NODE_DEVICE_EVENT_ID_LIFECYCLE, rec.lifecycle, "all")
    dev = c.nodeDeviceDefineXML(read("mdev-nvidia-uuid.xml"), 0)
    cb_one = c.nodeDeviceEventRegisterAny(
        dev, libvirt.VIR_NODE_DEVICE_EVENT_ID_LIFECYCLE, rec.lifecycle, "one")
    other = c.nodeDeviceCreateXML(mdev_xml("pci_0000_42_00_0", "nvidia-256", UUID2), 0)
    dev.create()
    dev.destroy()
    dev.undefine()
    other.destroy()
    other_name = "mdev_0b2c6c1e_3d4a_4f5b_8c7d_9e0f1a2b3c4d_0000_42_00_0"
    E = libvirt
    want = [
        ("all", MDEV, E.VIR_NODE_DEVICE_EVENT_DEFINED, 0),
        ("all", other_name, E.VIR_NODE_DEVICE_EVENT_CREATED, 0),
        ("all", MDEV, E.VIR_NODE_DEVICE_EVENT_CREATED, 0),
        ("one", MDEV, E.VIR_NODE_DEVICE_EVENT_CREATED, 0),
        ("all", MDEV, E.VIR_NODE_DEVICE_EVENT_DELETED, 0),
        ("one", MDEV, E.VIR_NODE_DEVICE_EVENT_DELETED, 0),
        ("all", MDEV, E.VIR_NODE_DEVICE_EVENT_UNDEFINED, 0),
        ("one", MDEV, E.VIR_NODE_DEVICE_EVENT_UNDEFINED, 0),
        ("all", other_name, E.VIR_NODE_DEVICE_EVENT_DELETED, 0),
    ]
    got = rec.wait(len(want))
    # per device and callback, the order is the order of the changes
    assert sorted(got) == sorted(want)
    for key in {(w[0], w[1]) for w in want}:
        assert [g for g in got if (g[0], g[1]) == key] == \
            [w for w in want if (w[0], w[1]) == key]
    c.nodeDeviceEventDeregisterAny(cb_one)
    c.nodeDeviceEventDeregisterAny(cb_all)
    c.close()


def test_events_for_changes_behind_our_back(daemon):
    EventLoop.start()
    c = libvirt.open(daemon.uri)
    rec = Recorder()
    c.nodeDeviceEventRegisterAny(None, libvirt.VIR_NODE_DEVICE_EVENT_ID_LIFECYCLE,
                                 rec.lifecycle, None)
    create = os.path.join(daemon.sysfs, "class/mdev_bus/0000:41:00.0",
                          "mdev_supported_types/nvidia-256/create")
    with open(create, "w") as fh:
        fh.write(UUID)
    got = rec.wait(1)
    assert got == [(None, MDEV, libvirt.VIR_NODE_DEVICE_EVENT_CREATED, 0)]
    assert c.nodeDeviceLookupByName(MDEV).isActive() == 1
    with open(os.path.join(daemon.sysfs, "bus/mdev/devices", UUID, "remove"),
              "w") as fh:
        fh.write("1")
    got = rec.wait(2)
    assert got[1] == (None, MDEV, libvirt.VIR_NODE_DEVICE_EVENT_DELETED, 0)
    c.close()


def test_update_events(daemon):
    EventLoop.start()
    c = libvirt.open(daemon.uri)
    rec = Recorder()
    parent = c.nodeDeviceLookupByName("pci_0000_41_00_0")
    c.nodeDeviceEventRegisterAny(parent, libvirt.VIR_NODE_DEVICE_EVENT_ID_UPDATE,
                                 rec.update, "parent")
    c.nodeDeviceCreateXML(read("mdev-nvidia-uuid.xml"), 0)
    got = rec.wait(1)
    assert got and got[0] == ("parent", "pci_0000_41_00_0", "update")
    c.close()


def test_close_callback():
    EventLoop.start()
    daemon = Daemon()
    c = libvirt.open(daemon.uri)
    closed = threading.Event()
    c.registerCloseCallback(lambda conn, reason, opaque: closed.set(), None)
    assert [d.name() for d in c.listAllDevices(0)][0] == "computer"
    # the daemon going away is reported to the application
    daemon.proc.terminate()
    assert closed.wait(30)
    assert daemon.stop() == 0


def test_concurrent_clients(daemon):
    """16 clients creating and destroying at once: every call succeeds, no
    device is lost or made twice (with the driver's watch rescanning)."""
    errors = []
    made = []
    lock = threading.Lock()

    def worker(i):
        try:
            c = libvirt.open(daemon.uri)
            parent = "pci_0000_41_00_0" if i % 2 else "pci_0000_42_00_0"
            step = "open"
            for _ in range(4):
                step = "create"
                dev = c.nodeDeviceCreateXML(mdev_xml(parent, "nvidia-256"), 0)
                with lock:
                    made.append(dev.name())
                step = "is-active " + dev.name()
                assert dev.isActive() == 1
                step = "destroy " + dev.name()
                dev.destroy()
            c.close()
        except Exception as e:  # noqa: BLE001 (reported below)
            with lock:
                errors.append(f"{step}: {e!r}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == [], "\n".join(errors)
    assert len(made) == 64 and len(set(made)) == 64
    c = libvirt.open(daemon.uri)
    assert c.listAllDevices(libvirt.VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV) == []
    assert c.nodeDeviceLookupByName("pci_0000_41_00_0").XMLDesc(0).count(
        "<availableInstances>16</availableInstances>") == 1
    c.close()



def test_attribute_write_failure_rolls_back(make_daemon):
    """The kernel refusing the third <attr> write: the client gets that
    errno and the device is removed again."""
    d = make_daemon(profile="s390")
    c = libvirt.open(d.uri)
    with open(d.control("inject"), "w") as fh:
        fh.write("attr assign_domain EIO\n")
    code, domain, message = error_of(
        lambda: c.nodeDeviceCreateXML(read("mdev-vfio-ap.xml"), 0))
    assert domain == NODEDEV
    assert "assign_domain" in message
    assert "Input/output error" in message
    assert not os.path.exists(os.path.join(
        d.sysfs, "devices/vfio_ap/matrix/783e6dbb-ea0e-411f-94e2-717eaad438bf"))
    assert c.listAllDevices(libvirt.VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV) == []
    # nothing half-made blocks a second attempt
    dev = c.nodeDeviceCreateXML(read("mdev-vfio-ap.xml"), 0)
    assert dev.isActive() == 1
    c.close()


# Failures that do not depend on the host's devices, each answered by the
# real libvirtd 9.0 (on this machine's /sys) and by us (on mdevsim).
# SAME: code, domain and message are libvirt's, byte for byte.
# CODE: code and domain are libvirt's; our message is kept because it
# names the device and the value, where libvirt's does not.
SAME, CODE = "same", "code"
P = "<device><parent>{}</parent><capability type='mdev'><type id='nvidia-11'/></capability></device>"
MISMATCH = "<device>\n  <name>x</name>\n  <capability type='mdev'>\n  </capabilit>\n</device>\n"
NOT_WELL_FORMED = ["hello", "", "   ", "\n\n", "<device><name>x</nam></device>", MISMATCH,
                   "<device>\n\t<name>x</nam>\n</device>", "<device><name>x</name>",
                   "<device/>junk", "<device/><device/>", "<device>\n<name>&nope;</name>\n</device>",
                   "<device><name>" + "x" * 200 + "</nam></device>"]
CASES = [
    ("lookup of a missing name", SAME, lambda c: c.nodeDeviceLookupByName("nope")),
    ("destroy of computer", SAME, lambda c: c.nodeDeviceLookupByName("computer").destroy()),
    ("undefine of computer", SAME, lambda c: c.nodeDeviceLookupByName("computer").undefine()),
    ("start of computer", SAME, lambda c: c.nodeDeviceLookupByName("computer").create()),
    ("autostart of computer", SAME,
     lambda c: c.nodeDeviceLookupByName("computer").setAutostart(1)),
    ("wrong root", SAME, lambda c: c.nodeDeviceCreateXML("<domain/>", 0)),
    ("no capability", SAME, lambda c: c.nodeDeviceCreateXML("<device><name>x</name></device>", 0)),
    ("no type id", SAME, lambda c: c.nodeDeviceCreateXML(
        "<device><parent>computer</parent><capability type='mdev'/></device>", 0)),
    ("unknown parent", SAME, lambda c: c.nodeDeviceCreateXML(P.format("nope"), 0)),
    ("define, unknown parent", SAME, lambda c: c.nodeDeviceDefineXML(P.format("nope"), 0)),
    ("parent without an address", SAME, lambda c: c.nodeDeviceCreateXML(P.format("computer"), 0)),
    ("no parent", SAME, lambda c: c.nodeDeviceCreateXML(
        "<device><capability type='mdev'><type id='x'/></capability></device>", 0)),
    ("pci without vendor", SAME, lambda c: c.nodeDeviceCreateXML(
        "<device><capability type='pci'><domain>0</domain><bus>0</bus><slot>0</slot>"
        "<function>0</function></capability></device>", 0)),
    ("createXML flags", SAME, lambda c: c.nodeDeviceCreateXML(P.format("computer"), 1 << 20)),
    ("defineXML flags", SAME, lambda c: c.nodeDeviceDefineXML(P.format("computer"), 1 << 20)),
    ("XMLDesc flags", SAME, lambda c: c.nodeDeviceLookupByName("computer").XMLDesc(1 << 20)),
    ("start flags", SAME, lambda c: c.nodeDeviceLookupByName("computer").create(1)),
    ("undefine flags", SAME, lambda c: c.nodeDeviceLookupByName("computer").undefine(1)),
    ("numOfDevices flags", SAME, lambda c: c.numOfDevices(None, 1)),
    ("listDevices flags", SAME, lambda c: c.listDevices(None, 2)),
    ("listAllDevices flags", SAME, lambda c: c.listAllDevices(1 << 25)),
    ("detach", SAME, lambda c: c.nodeDeviceLookupByName("computer").dettach()),
    ("detach with flags", SAME,
     lambda c: c.nodeDeviceLookupByName("computer").detachFlags("vfio", 0)),
    ("re-attach", SAME, lambda c: c.nodeDeviceLookupByName("computer").reAttach()),
    ("reset", SAME, lambda c: c.nodeDeviceLookupByName("computer").reset()),
    ("SCSI host lookup flags", SAME,
     lambda c: c.nodeDeviceLookupSCSIHostByWWN("20000000c9831b4b", "10000000c9831b4b", 1)),
    ("unknown capability", CODE, lambda c: c.nodeDeviceCreateXML(
        "<device><capability type='bogus'/></device>", 0)),
    ("capability without type", CODE, lambda c: c.nodeDeviceCreateXML(
        "<device><parent>computer</parent><capability/></device>", 0)),
    ("bad uuid", CODE, lambda c: c.nodeDeviceCreateXML(
        "<device><parent>computer</parent><capability type='mdev'><type id='x'/>"
        "<uuid>zz</uuid></capability></device>", 0)),
    ("bad iommuGroup", CODE, lambda c: c.nodeDeviceCreateXML(
        "<device><parent>computer</parent><capability type='mdev'><type id='x'/>"
        "<iommuGroup number='zz'/></capability></device>", 0)),
    ("bad pci domain", CODE, lambda c: c.nodeDeviceCreateXML(
        "<device><parent>computer</parent><capability type='pci'><domain>zz</domain>"
        "<bus>0</bus><slot>0</slot><function>0</function></capability></device>", 0)),
    ("network capability", CODE, lambda c: c.nodeDeviceCreateXML(
        "<device><parent>computer</parent><capability type='net'>"
        "<interface>eth0</interface></capability></device>", 0)),
] + [("not well-formed #%d" % i, SAME, (lambda x: lambda c: c.nodeDeviceCreateXML(x, 0))(x))
     for i, x in enumerate(NOT_WELL_FORMED)] + [
    ("define, not well-formed", SAME, lambda c: c.nodeDeviceDefineXML(MISMATCH, 0)),
]


def test_same_errors_as_real_libvirt(daemon, real_libvirtd):
    """The real libvirtd and virtmdevd, side by side: every failure above
    gets the same code and domain, and (SAME) the same message."""
    real = libvirt.open(real_libvirtd.uri)
    ours = libvirt.open(daemon.uri)
    differ = []
    for what, mode, fn in CASES:
        theirs = error_of(lambda: fn(real))
        mine = error_of(lambda: fn(ours))
        if (mode == SAME and mine != theirs) or mine[:2] != theirs[:2]:
            differ.append(f"{what}:\n  libvirtd:  {theirs}\n  virtmdevd: {mine}")
    real.close()
    ours.close()
    assert not differ, "\n".join(differ)


def test_same_errors_through_virsh(daemon, real_libvirtd):
    """virsh prints the same lines for a broken document and for detach."""
    with tempfile.TemporaryDirectory() as tmp:
        bad = os.path.join(tmp, "bad.xml")
        with open(bad, "w", encoding="utf-8") as fh:
            fh.write(MISMATCH)
        for args in (["nodedev-create", bad], ["nodedev-define", bad],
                     ["nodedev-detach", "computer"], ["nodedev-list", "--cap", "bogus"]):
            t_rc, _, t_err = virsh(real_libvirtd.uri, *args)
            m_rc, _, m_err = virsh(daemon.uri, *args)
            assert (m_rc, m_err) == (t_rc, t_err), args
            assert m_rc != 0
