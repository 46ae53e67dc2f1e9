# SPDX-License-Identifier: LGPL-2.1-or-later
"""Kernel faults through mdevsim's one-shot injection: create, remove and
attribute writes failing with each errno, a parent vanishing between the
daemon's checks and its write, an unreadable available_instances, a busy
device.  Each gives the precise error, leaves nothing half-made on the
simulated host, and the daemon keeps serving."""
import os
import threading
import time

import libvirt
import pytest

from hdtest import EXAMPLES_DIR, error_of, mdev_xml

NODEDEV = libvirt.VIR_FROM_NODEDEV
UUID = "5a0c3e1d-7b2f-4c6a-9e8d-1f2a3b4c5d6e"
MDEV = "mdev_5a0c3e1d_7b2f_4c6a_9e8d_1f2a3b4c5d6e_0000_41_00_0"
AP_UUID = "783e6dbb-ea0e-411f-94e2-717eaad438bf"
PARENT = "0000:41:00.0"
CREATE = f"/mdev_supported_types/nvidia-256/create'"

# errno -> (libvirt code, what the message says)
CREATE_ERRORS = {
    "EIO": (libvirt.VIR_ERR_SYSTEM_ERROR, CREATE + ": Input/output error"),
    "ENOSPC": (libvirt.VIR_ERR_OPERATION_INVALID,
               f"no instances of type 'nvidia-256' left on parent '{PARENT}'"),
    "EBUSY": (libvirt.VIR_ERR_SYSTEM_ERROR,
              CREATE + ": Device or resource busy"),
    "EINVAL": (libvirt.VIR_ERR_INVALID_ARG,
               f"parent '{PARENT}' refused mediated device '{UUID}' of type "
               "'nvidia-256'"),
    "EACCES": (libvirt.VIR_ERR_SYSTEM_ERROR, CREATE + ": Permission denied"),
}

REMOVE = f"/{UUID}/remove'"
REMOVE_ERRORS = {
    "EIO": (libvirt.VIR_ERR_SYSTEM_ERROR, REMOVE + ": Input/output error"),
    "ENOSPC": (libvirt.VIR_ERR_SYSTEM_ERROR,
               REMOVE + ": No space left on device"),
    "EBUSY": (libvirt.VIR_ERR_OPERATION_INVALID,
              f"mediated device '{UUID}' is in use"),
    "EINVAL": (libvirt.VIR_ERR_SYSTEM_ERROR, REMOVE + ": Invalid argument"),
    "EACCES": (libvirt.VIR_ERR_SYSTEM_ERROR, REMOVE + ": Permission denied"),
}

ATTR = "/assign_domain'"
ATTR_ERRORS = {
    "EIO": (libvirt.VIR_ERR_SYSTEM_ERROR, ATTR + ": Input/output error"),
    "ENOSPC": (libvirt.VIR_ERR_SYSTEM_ERROR,
               ATTR + ": No space left on device"),
    "EBUSY": (libvirt.VIR_ERR_SYSTEM_ERROR,
              ATTR + ": Device or resource busy"),
    "EINVAL": (libvirt.VIR_ERR_INVALID_ARG,
               f"mediated device '{AP_UUID}' refused value '4' for attribute "
               "'assign_domain'"),
    "EACCES": (libvirt.VIR_ERR_INVALID_ARG,
               f"attribute 'assign_domain' of mediated device '{AP_UUID}' is "
               "not writable"),
}


def assert_serving(h, conn=None):
    """A new client lists the parent; the daemon and sysfs agree."""
    c = h.conn()
    assert c.nodeDeviceLookupByName("pci_0000_41_00_0").name()
    assert h.daemon_mdevs(c) == h.sim_mdevs()
    c.close()
    assert h.alive()


@pytest.mark.parametrize("err", sorted(CREATE_ERRORS))
def test_create_fails(host, err):
    c = host.conn()
    host.inject("create " + err)
    code, domain, message = error_of(lambda: c.nodeDeviceCreateXML(
        mdev_xml("pci_0000_41_00_0", "nvidia-256", UUID), 0))
    want_code, want_text = CREATE_ERRORS[err]
    assert (code, domain) == (want_code, NODEDEV), message
    assert message.endswith(want_text), message
    assert host.sim_mdevs() == []
    assert_serving(host)
    # nothing is left reserved: the same create now works
    dev = c.nodeDeviceCreateXML(
        mdev_xml("pci_0000_41_00_0", "nvidia-256", UUID), 0)
    assert dev.name() == MDEV
    assert host.sim_mdevs() == [UUID]
    c.close()


@pytest.mark.parametrize("err", sorted(CREATE_ERRORS))
def test_start_defined_fails(host, err):
    """A defined device whose start fails stays defined and inactive."""
    c = host.conn()
    dev = c.nodeDeviceDefineXML(
        mdev_xml("pci_0000_41_00_0", "nvidia-256", UUID), 0)
    host.inject("create " + err)
    code, domain, message = error_of(dev.create)
    assert (code, domain) == (CREATE_ERRORS[err][0], NODEDEV), message
    assert host.sim_mdevs() == []
    assert dev.isActive() == 0 and dev.isPersistent() == 1
    assert os.listdir(os.path.join(host.config_dir, PARENT)) == [UUID]
    dev.create()
    assert host.sim_mdevs() == [UUID]
    c.close()


@pytest.mark.parametrize("err", sorted(REMOVE_ERRORS))
def test_remove_fails(host, err):
    c = host.conn()
    dev = c.nodeDeviceCreateXML(
        mdev_xml("pci_0000_41_00_0", "nvidia-256", UUID), 0)
    host.inject("remove " + err)
    code, domain, message = error_of(dev.destroy)
    want_code, want_text = REMOVE_ERRORS[err]
    assert (code, domain) == (want_code, NODEDEV), message
    assert message.endswith(want_text), message
    # the device is still there, and the daemon still lists it
    assert host.sim_mdevs() == [UUID]
    assert_serving(host)
    dev.destroy()
    assert host.sim_mdevs() == []
    assert_serving(host)
    c.close()


@pytest.mark.parametrize("err", sorted(ATTR_ERRORS))
def test_attr_write_fails(make_host, err):
    h = make_host(profile="s390")
    with open(os.path.join(EXAMPLES_DIR, "mdev-vfio-ap.xml"),
              encoding="utf-8") as fh:
        xml = fh.read()
    c = h.conn()
    h.inject("attr assign_domain " + err)
    code, domain, message = error_of(lambda: c.nodeDeviceCreateXML(xml, 0))
    want_code, want_text = ATTR_ERRORS[err]
    assert (code, domain) == (want_code, NODEDEV), message
    assert (
        f"attribute 3 ('assign_domain') of mediated device '{AP_UUID}' "
        "failed, the device was removed again: ") in message, message
    assert message.endswith(want_text), message
    assert h.sim_mdevs() == []
    assert c.listAllDevices(libvirt.VIR_CONNECT_LIST_NODE_DEVICES_CAP_MDEV) == []
    dev = c.nodeDeviceCreateXML(xml, 0)
    assert dev.isActive() == 1
    assert h.sim_mdevs() == [AP_UUID]
    c.close()


def test_parent_vanishes_before_write(host):
    c = host.conn()
    host.inject("parent-vanish " + PARENT)
    code, domain, message = error_of(lambda: c.nodeDeviceCreateXML(
        mdev_xml("pci_0000_41_00_0", "nvidia-256", UUID), 0))
    assert (code, domain) == (libvirt.VIR_ERR_NO_NODE_DEVICE, NODEDEV), message
    assert message.endswith(
        f"mediated device type 'nvidia-256' of parent '{PARENT}' disappeared")
    assert host.sim_mdevs() == []
    assert host.daemon_mdevs(c) == []
    # the other GPU still works
    dev = c.nodeDeviceCreateXML(
        mdev_xml("pci_0000_42_00_0", "nvidia-256", UUID), 0)
    assert dev.isActive() == 1
    assert host.sim_mdevs() == [UUID]
    c.close()


def test_parent_vanishes_with_definition(host):
    """A defined device whose parent goes away fails to start and stays
    defined."""
    c = host.conn()
    dev = c.nodeDeviceDefineXML(
        mdev_xml("pci_0000_41_00_0", "nvidia-256", UUID), 0)
    host.inject("parent-vanish " + PARENT)
    code, domain, message = error_of(dev.create)
    assert domain == NODEDEV
    assert code in (libvirt.VIR_ERR_NO_NODE_DEVICE,
                    libvirt.VIR_ERR_OPERATION_INVALID), message
    assert host.sim_mdevs() == []
    assert os.listdir(os.path.join(host.config_dir, PARENT)) == [UUID]
    assert dev.isActive() == 0
    c.close()
    assert host.alive()


def test_available_instances_unreadable(host):
    """One failing read of available_instances: a dump that hits it
    leaves out that one type (util skips a type it cannot read, logged at
    debug level) and keeps every other; the next dump has it again.  A
    create that hits it reads the type again and goes through whole."""
    c = host.conn()
    parent = c.nodeDeviceLookupByName("pci_0000_41_00_0")
    assert parent.XMLDesc(0).count("<type id='nvidia-") == 5
    host.inject("available_instances EIO")
    xml = parent.XMLDesc(0)
    # the daemon's background rescan may be the reader that gets the
    # error; either way the dump is whole but for that one type
    assert xml.count("<type id='nvidia-") in (4, 5), xml
    with open(host.control("inject"), encoding="utf-8") as fh:
        assert fh.read() == ""
    assert parent.XMLDesc(0).count("<type id='nvidia-") == 5
    host.inject("available_instances EIO")
    dev = c.nodeDeviceCreateXML(
        mdev_xml("pci_0000_41_00_0", "nvidia-256", UUID), 0)
    assert dev.name() == MDEV
    assert host.sim_mdevs() == [UUID]
    assert_serving(host)
    assert "<availableInstances>15</availableInstances>" in parent.XMLDesc(0)
    c.close()


def test_destroy_busy_is_refused_quickly(host):
    c = host.conn()
    dev = c.nodeDeviceCreateXML(
        mdev_xml("pci_0000_41_00_0", "nvidia-256", UUID), 0)
    host.busy(UUID)
    other = host.conn()
    t0 = time.monotonic()
    code, domain, message = error_of(dev.destroy)
    took = time.monotonic() - t0
    assert (domain, message) == (
        NODEDEV, f"internal error: Unable to destroy '{MDEV}': device in use")
    assert took < 5, took
    # the daemon does not wait on the device: other calls are answered
    t0 = time.monotonic()
    assert len(other.listAllDevices(0)) > 3
    assert time.monotonic() - t0 < 5
    assert host.sim_mdevs() == [UUID]
    host.busy(UUID, on=False)
    dev.destroy()
    assert host.sim_mdevs() == []
    other.close()
    c.close()


_loop_started = []


def start_event_loop():
    """libvirt's default event loop on a thread (once per process)."""
    if _loop_started:
        return
    libvirt.virEventRegisterDefaultImpl()

    def run():
        while True:
            libvirt.virEventRunDefaultImpl()
    threading.Thread(target=run, daemon=True).start()
    _loop_started.append(True)


def test_failed_create_leaves_no_phantom(make_host):
    """A create whose attribute fails makes the device and removes it
    again; a rescan reading sysfs meanwhile must not bring it back into
    the list (no CREATED event, nothing listed) once the call failed."""
    start_event_loop()
    h = make_host(profile="s390")
    with open(os.path.join(EXAMPLES_DIR, "mdev-vfio-ap.xml"),
              encoding="utf-8") as fh:
        xml = fh.read()
    c = h.conn()
    created = []
    c.nodeDeviceEventRegisterAny(
        None, libvirt.VIR_NODE_DEVICE_EVENT_ID_LIFECYCLE,
        lambda conn, dev, event, detail, opaque: created.append(dev.name())
        if event == libvirt.VIR_NODE_DEVICE_EVENT_CREATED else None, None)
    stop = threading.Event()

    def rescans():
        # every change in the definitions directory makes the daemon
        # rescan sysfs (after a 50 ms debounce)
        p = os.path.join(h.config_dir, "nd-rescan-trigger")
        while not stop.is_set():
            with open(p, "w", encoding="utf-8") as fh:
                fh.write("x")
            os.unlink(p)
            stop.wait(0.005)
    t = threading.Thread(target=rescans, daemon=True)
    t.start()
    rounds = 600 if os.environ.get("ND_HARDENING_LONG") else 150
    try:
        for _ in range(rounds):
            h.inject("attr assign_domain EIO")
            error_of(lambda: c.nodeDeviceCreateXML(xml, 0))
            assert h.sim_mdevs() == []
    finally:
        stop.set()
        t.join()
    # one more rescan after the last failure, seen through a real change
    dev = c.nodeDeviceCreateXML(xml, 0)
    deadline = time.monotonic() + 30
    while AP_UUID and "mdev_%s_matrix" % AP_UUID.replace("-", "_") not in created \
            and time.monotonic() < deadline:
        threading.Event().wait(0.05)
    dev.destroy()
    assert created == ["mdev_%s_matrix" % AP_UUID.replace("-", "_")], created
    c.close()
