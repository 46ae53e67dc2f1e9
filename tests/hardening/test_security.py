# SPDX-License-Identifier: LGPL-2.1-or-later
"""Security: the read-only socket and read-only connections change
nothing (every mutating procedure, through raw frames with valid
arguments, python-libvirt and virsh); client-controlled names never
become paths outside the trees; socket modes and other uids."""
import os
import socket
import stat
import subprocess

import libvirt
import pytest

from ndtest import (ERROR, OK, RawClient, decode_error, virsh, xdr_int,
                    xdr_string, xdr_uint)
from hdtest import error_of, mdev_xml

NODEDEV = libvirt.VIR_FROM_NODEDEV
ACTIVE = "1b7d7c3e-2f0a-4d6b-8a5c-3e9f0d1c2b4a"
DEFINED = "2c8e8d4f-3a1b-4e7c-9b6d-4fa01e2d3c5b"
NEW = "3d9f9e5a-4b2c-4f8d-8c7e-5ab12f3e4d6c"
ACTIVE_NAME = "mdev_1b7d7c3e_2f0a_4d6b_8a5c_3e9f0d1c2b4a_0000_41_00_0"
DEFINED_NAME = "mdev_2c8e8d4f_3a1b_4e7c_9b6d_4fa01e2d3c5b_0000_41_00_0"
NEW_XML = mdev_xml("pci_0000_41_00_0", "nvidia-256", NEW)

# every procedure that changes state, with arguments that would succeed
MUTATING = [
    (123, "virNodeDeviceCreateXML", xdr_string(NEW_XML) + xdr_uint(0)),
    (124, "virNodeDeviceDestroy", xdr_string(ACTIVE_NAME)),
    (428, "virNodeDeviceDefineXML", xdr_string(NEW_XML) + xdr_uint(0)),
    (429, "virNodeDeviceUndefine", xdr_string(DEFINED_NAME) + xdr_uint(0)),
    (430, "virNodeDeviceCreate", xdr_string(DEFINED_NAME) + xdr_uint(0)),
    (434, "virNodeDeviceSetAutostart", xdr_string(DEFINED_NAME) + xdr_int(1)),
    (434, "virNodeDeviceSetAutostart", xdr_string(ACTIVE_NAME) + xdr_int(1)),
]


def state(h):
    """What a mutation would change: sysfs mdevs and definition files."""
    files = {}
    for top, _, names in os.walk(h.config_dir):
        for n in names:
            p = os.path.join(top, n)
            with open(p, "rb") as fh:
                files[os.path.relpath(p, h.config_dir)] = fh.read()
    return h.sim_mdevs(), files


def outside(h):
    """Every path in the test's temp dir outside the simulated sysfs."""
    out = set()
    for top, dirs, names in os.walk(h.tmp):
        if top == h.tmp and "host" in dirs:
            dirs.remove("host")
        for n in dirs + names:
            out.add(os.path.relpath(os.path.join(top, n), h.tmp))
    return {p for p in out if not p.startswith("log.")}


@pytest.fixture
def populated(host):
    c = host.conn()
    c.nodeDeviceCreateXML(mdev_xml("pci_0000_41_00_0", "nvidia-256", ACTIVE), 0)
    c.nodeDeviceDefineXML(mdev_xml("pci_0000_41_00_0", "nvidia-257", DEFINED), 0)
    c.close()
    return host


@pytest.mark.parametrize("ro_socket", [True, False])
def test_read_only_raw_frames_change_nothing(populated, ro_socket):
    h = populated
    before = state(h)
    cl = RawClient(h.sock_ro if ro_socket else h.sock)
    cl.open(flags=0 if ro_socket else 1)
    for proc, api, args in MUTATING:
        status, payload = cl.call(proc, args)
        assert status == ERROR, api
        err = decode_error(payload)
        assert (err["code"], err["domain"]) == (29, 22), err
        assert err["message"] == \
            f"operation forbidden: read only access prevents {api}"
        assert state(h) == before, api
    # read-only calls still work on the same connection
    assert cl.call(113, xdr_string(ACTIVE_NAME))[0] == OK
    cl.close()
    assert h.alive()


def test_read_only_libvirt_changes_nothing(populated):
    h = populated
    before = state(h)
    for c in (libvirt.openReadOnly(h.uri), libvirt.openReadOnly(h.uri_ro),
              libvirt.open(h.uri_ro)):
        active = c.nodeDeviceLookupByName(ACTIVE_NAME)
        defined = c.nodeDeviceLookupByName(DEFINED_NAME)
        for fn in (lambda: c.nodeDeviceCreateXML(NEW_XML, 0),
                   lambda: c.nodeDeviceDefineXML(NEW_XML, 0),
                   active.destroy, defined.undefine, defined.create,
                   lambda: defined.setAutostart(1),
                   lambda: active.setAutostart(1)):
            code, domain, _ = error_of(fn)
            assert code == libvirt.VIR_ERR_OPERATION_DENIED
        c.close()
    assert state(h) == before


def test_read_only_virsh_changes_nothing(populated, tmp_path):
    h = populated
    before = state(h)
    f = tmp_path / "new.xml"
    f.write_text(NEW_XML)
    for args in (["nodedev-create", str(f)], ["nodedev-define", str(f)],
                 ["nodedev-destroy", ACTIVE_NAME],
                 ["nodedev-undefine", DEFINED_NAME],
                 ["nodedev-start", DEFINED_NAME],
                 ["nodedev-autostart", DEFINED_NAME]):
        rc, _, err = virsh(h.uri_ro, *args)
        assert rc == 1, args
        assert "read only access prevents" in err, err
    assert state(h) == before


def test_socket_modes_and_other_uids(host):
    assert stat.S_IMODE(os.stat(host.sock).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(host.sock_ro).st_mode) == 0o666
    assert os.stat(host.sock).st_uid == os.getuid()
    if os.getuid() != 0:
        pytest.skip("needs root to connect as another uid")
    # a client as 'nobody': the rw socket refuses, the ro one serves
    os.chmod(host.tmp, 0o755)
    code = (
        "import os, socket, sys\n"
        "os.setgid(65534); os.setuid(65534)\n"
        "def try_(p):\n"
        "    s = socket.socket(socket.AF_UNIX)\n"
        "    try:\n"
        "        s.connect(p); return 'ok'\n"
        "    except PermissionError:\n"
        "        return 'denied'\n"
        "print(try_(sys.argv[1]), try_(sys.argv[2]))\n")
    p = subprocess.run(["/usr/bin/python3", "-c", code, host.sock, host.sock_ro],
                       capture_output=True, text=True, timeout=60)
    assert p.stdout.split() == ["denied", "ok"], p.stderr


# ---- path traversal through every client-controlled name -----------------

BAD_NAMES = ["..", "../..", "../../../../etc", "a/b", "/etc/passwd",
             "x/../../../outside", "nvidia-256/../nvidia-257",
             "..\\..", "x\ny", "%2e%2e", "~"]


def mdev_doc(parent="pci_0000_41_00_0", type_id="nvidia-256", uuid=NEW,
             attr=None, name="x"):
    a = f"<attr name='{attr}' value='1'/>" if attr is not None else ""
    return (f"<device><name>{name}</name><parent>{parent}</parent>"
            f"<capability type='mdev'><type id='{type_id}'/>"
            f"<uuid>{uuid}</uuid>{a}</capability></device>")


def escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace("'", "&apos;") \
            .replace("\n", "&#10;")


def docs():
    for bad in BAD_NAMES:
        e = escape(bad)
        yield "parent", bad, mdev_doc(parent=e)
        yield "type", bad, mdev_doc(type_id=e)
        yield "uuid", bad, mdev_doc(uuid=e)
        yield "attr", bad, mdev_doc(attr=e)
        yield "name", bad, mdev_doc(name=e)
    for u in ("../../../../tmp/x", NEW + "/..", NEW[:-1] + "/"):
        yield "uuid", u, mdev_doc(uuid=escape(u))


def test_traversal_in_documents(populated):
    h = populated
    os.mkdir(os.path.join(h.tmp, "outside"))
    before_state = state(h)
    before_out = outside(h)
    c = h.conn()
    for what, bad, doc in docs():
        for fn in (lambda: c.nodeDeviceCreateXML(doc, 0),
                   lambda: c.nodeDeviceDefineXML(doc, 0)):
            try:
                dev = fn()
            except libvirt.libvirtError as e:
                assert e.get_error_domain() in (NODEDEV, libvirt.VIR_FROM_XML,
                                                 libvirt.VIR_FROM_NONE), (what, doc)
                continue
            n = dev.name()
            assert "/" not in n and ".." not in n
            if what == "attr" and not dev.isActive():
                # a definition may name "folder/attr" (mdevctl allows it);
                # starting it must fail whole: the device has no such file
                assert not any(p in ("..", ".", "") for p in bad.split("/")), doc
                code, _, message = error_of(dev.create)
                assert code == libvirt.VIR_ERR_INVALID_ARG, message
                assert h.sim_mdevs() == before_state[0]
            else:
                # otherwise accepted only when the bad part was <name>
                assert what == "name", (what, doc)
            if dev.isActive():
                dev.destroy()
            else:
                dev.undefine()
        assert state(h) == before_state, doc
        assert outside(h) == before_out, doc
    c.close()
    assert h.alive()


def test_traversal_in_device_names(populated):
    h = populated
    before_state = state(h)
    before_out = outside(h)
    c = h.conn()
    names = BAD_NAMES + [
        "mdev_../../..", "mdev_" + "../" * 8 + "etc",
        ACTIVE_NAME + "/..", "../" + ACTIVE_NAME, "pci_0000_41_00_0/..",
        "mdev_1b7d7c3e_2f0a_4d6b_8a5c_3e9f0d1c2b4a_..", ""]
    for n in names:
        code, domain, _ = error_of(lambda: c.nodeDeviceLookupByName(n))
        assert code == libvirt.VIR_ERR_NO_NODE_DEVICE, n
    # the same names on the wire straight into the mutating procedures
    cl = RawClient(h.sock)
    cl.open()
    for n in names:
        for proc, extra in ((124, b""), (429, xdr_uint(0)), (430, xdr_uint(0)),
                            (434, xdr_int(1)), (114, xdr_uint(0)),
                            (115, b""), (117, xdr_int(16))):
            status, payload = cl.call(proc, xdr_string(n) + extra)
            assert status == ERROR, (proc, n)
            assert decode_error(payload)["code"] == \
                libvirt.VIR_ERR_NO_NODE_DEVICE, (proc, n)
    cl.close()
    assert state(h) == before_state
    assert outside(h) == before_out
    assert h.alive()
    c.close()


def test_list_caps_filter_names(populated):
    """A capability filter is a name too: nonsense matches nothing."""
    h = populated
    cl = RawClient(h.sock)
    cl.open()
    for cap in ("../mdev", "mdev/..", "", "x" * 5000):
        status, payload = cl.call(111, xdr_uint(1) + xdr_string(cap) + xdr_uint(0))
        if status == OK:
            assert payload == xdr_int(0), cap
    cl.close()
    assert h.alive()
