# SPDX-License-Identifier: LGPL-2.1-or-later
"""The real virsh 9.0 against virtmdevd on mdevsim: every node-device
command, with exact output and exit code."""
import os
import re
import select
import signal
import subprocess
import time

from ndtest import EXAMPLES, validate_xml, virsh

NVIDIA = os.path.join(EXAMPLES, "mdev-nvidia.xml")
NVIDIA_UUID = os.path.join(EXAMPLES, "mdev-nvidia-uuid.xml")
MTTY = os.path.join(EXAMPLES, "mdev-mtty.xml")
VFIO_AP = os.path.join(EXAMPLES, "mdev-vfio-ap.xml")

UUID = "c6e4a9a2-5a1c-4b0e-9b8f-2d4c0e1f7a31"
MDEV = "mdev_c6e4a9a2_5a1c_4b0e_9b8f_2d4c0e1f7a31_0000_41_00_0"
MTTY_UUID = "8a3e5f10-7c2b-4d6e-a1f9-3b5c7d9e0f21"
MTTY_MDEV = "mdev_8a3e5f10_7c2b_4d6e_a1f9_3b5c7d9e0f21_mtty"

DEMO_DEVICES = ["computer", "mtty_mtty", "pci_0000_00_02_0",
                "pci_0000_41_00_0", "pci_0000_42_00_0"]
# devices listed under --cap mdev_types: the PCI GPUs, and mtty, a virtual
# parent shown (as libvirt shows it) with a top-level mdev_types
MDEV_PARENTS = ["mtty_mtty", "pci_0000_00_02_0", "pci_0000_41_00_0",
                "pci_0000_42_00_0"]


def lines(*names):
    return "".join(n + "\n" for n in names) + "\n"


def test_list_plain(daemon):
    assert virsh(daemon.uri, "nodedev-list") == (0, lines(*DEMO_DEVICES), "")


def test_list_cap_mdev_types(daemon):
    assert virsh(daemon.uri, "nodedev-list", "--cap", "mdev_types") == \
        (0, lines(*MDEV_PARENTS), "")


def test_list_cap_mdev_empty_then_one(daemon):
    assert virsh(daemon.uri, "nodedev-list", "--cap", "mdev") == (0, "\n", "")
    virsh(daemon.uri, "nodedev-create", NVIDIA_UUID, check=0)
    assert virsh(daemon.uri, "nodedev-list", "--cap", "mdev") == \
        (0, lines(MDEV), "")
    # a cap list is an OR filter
    rc, out, _ = virsh(daemon.uri, "nodedev-list", "--cap", "mdev,system")
    assert (rc, out) == (0, lines("computer", MDEV))


def test_list_tree(daemon):
    virsh(daemon.uri, "nodedev-create", NVIDIA_UUID, check=0)
    rc, out, err = virsh(daemon.uri, "nodedev-list", "--tree")
    assert (rc, err) == (0, "")
    assert out == (
        "computer\n"
        "  |\n"
        "  +- mtty_mtty\n"
        "  +- pci_0000_00_02_0\n"
        "  +- pci_0000_41_00_0\n"
        "  |   |\n"
        f"  |   +- {MDEV}\n"
        "  |     \n"
        "  +- pci_0000_42_00_0\n"
        "    \n"
        "\n")


def test_list_all_and_inactive(daemon):
    virsh(daemon.uri, "nodedev-define", MTTY, check=0)
    assert virsh(daemon.uri, "nodedev-list", "--inactive") == \
        (0, lines(MTTY_MDEV), "")
    assert virsh(daemon.uri, "nodedev-list") == (0, lines(*DEMO_DEVICES), "")
    assert virsh(daemon.uri, "nodedev-list", "--all", "--cap", "mdev") == \
        (0, lines(MTTY_MDEV), "")
    rc, out, _ = virsh(daemon.uri, "nodedev-list", "--all")
    assert (rc, out) == (0, lines(*sorted(DEMO_DEVICES + [MTTY_MDEV])))


def test_dumpxml(daemon):
    rc, out, err = virsh(daemon.uri, "nodedev-dumpxml", "pci_0000_41_00_0")
    assert (rc, err) == (0, "")
    validate_xml(out)
    assert "<name>pci_0000_41_00_0</name>" in out
    assert "<type id='nvidia-256'>\n" \
           "        <name>GRID T4-1Q</name>\n" \
           "        <deviceAPI>vfio-pci</deviceAPI>\n" \
           "        <availableInstances>16</availableInstances>\n" in out
    virsh(daemon.uri, "nodedev-create", NVIDIA_UUID, check=0)
    rc, out, _ = virsh(daemon.uri, "nodedev-dumpxml", "pci_0000_41_00_0")
    # live: nvidia-258 costs 4 of the 16 units
    assert "<availableInstances>12</availableInstances>" in out
    rc, out, err = virsh(daemon.uri, "nodedev-dumpxml", MDEV)
    assert (rc, err) == (0, "")
    validate_xml(out)
    assert f"<uuid>{UUID}</uuid>" in out
    assert "<parent>pci_0000_41_00_0</parent>" in out


def test_dumpxml_unknown(daemon):
    assert virsh(daemon.uri, "nodedev-dumpxml", "nope") == (
        1, "\n",
        "error: Could not find matching device 'nope'\n"
        "error: Node device not found: no node device with matching name 'nope'\n")


def test_every_device_validates(daemon):
    virsh(daemon.uri, "nodedev-create", NVIDIA_UUID, check=0)
    virsh(daemon.uri, "nodedev-define", MTTY, check=0)
    _, out, _ = virsh(daemon.uri, "nodedev-list", "--all")
    for name in out.split():
        rc, xml, err = virsh(daemon.uri, "nodedev-dumpxml", name)
        assert (rc, err) == (0, "")
        if name == "mtty_mtty":
            # libvirt's own form for a virtual parent, a top-level
            # mdev_types around a nested one, is outside its schema
            assert "  <capability type='mdev_types'>\n" \
                   "    <capability type='mdev_types'>\n" \
                   "      <type id='mtty-1'>\n" in xml
            continue
        validate_xml(xml)


def test_create_with_uuid_and_destroy(daemon):
    assert virsh(daemon.uri, "nodedev-create", NVIDIA_UUID) == \
        (0, f"Node device {MDEV} created from {NVIDIA_UUID}\n\n", "")
    assert os.path.isdir(os.path.join(
        daemon.sysfs, "devices/pci0000:41/0000:41:00.0", UUID))
    assert virsh(daemon.uri, "nodedev-destroy", MDEV) == \
        (0, f"Destroyed node device '{MDEV}'\n\n", "")
    assert not os.path.exists(os.path.join(
        daemon.sysfs, "devices/pci0000:41/0000:41:00.0", UUID))
    assert virsh(daemon.uri, "nodedev-list", "--cap", "mdev") == (0, "\n", "")


def test_create_without_uuid(daemon):
    rc, out, err = virsh(daemon.uri, "nodedev-create", NVIDIA)
    assert (rc, err) == (0, "")
    m = re.fullmatch(r"Node device (mdev_([0-9a-f_]{36})_0000_41_00_0) created "
                     r"from (\S+)\n\n", out)
    assert m and m.group(3) == NVIDIA, out
    uuid = m.group(2).replace("_", "-")
    assert os.path.isdir(os.path.join(
        daemon.sysfs, "devices/pci0000:41/0000:41:00.0", uuid))
    assert virsh(daemon.uri, "nodedev-list", "--cap", "mdev") == \
        (0, lines(m.group(1)), "")


def test_create_validate(daemon, tmp_path):
    assert virsh(daemon.uri, "nodedev-create", "--validate", NVIDIA_UUID) == \
        (0, f"Node device {MDEV} created from {NVIDIA_UUID}\n\n", "")
    bad = tmp_path / "bad.xml"
    bad.write_text("<device>\n  <parent>pci_0000_41_00_0</parent>\n"
                   "  <capability type='mdev'><type id='nvidia-256'/></capability>\n"
                   "</device>\n")
    rc, out, err = virsh(daemon.uri, "nodedev-create", "--validate", str(bad))
    assert (rc, out) == (1, "\n")
    assert err.startswith(f"error: Failed to create node device from {bad}\n"
                          "error: XML document failed to validate against schema")
    assert virsh(daemon.uri, "nodedev-list", "--cap", "mdev") == \
        (0, lines(MDEV), "")


def test_create_with_attrs(make_daemon):
    d = make_daemon(profile="s390")
    name = "mdev_783e6dbb_ea0e_411f_94e2_717eaad438bf_matrix"
    assert virsh(d.uri, "nodedev-create", VFIO_AP) == \
        (0, f"Node device {name} created from {VFIO_AP}\n\n", "")
    rc, xml, _ = virsh(d.uri, "nodedev-dumpxml", name)
    validate_xml(xml)
    matrix = os.path.join(d.sysfs, "devices/vfio_ap/matrix",
                          "783e6dbb-ea0e-411f-94e2-717eaad438bf", "matrix")
    with open(matrix) as fh:
        assert fh.read() == "05.0004\n06.0004\n"


def test_create_errors(daemon, tmp_path):
    cases = [
        ("<device><name>x</name><parent>pci_0000_99_00_0</parent>"
         "<capability type='mdev'><type id='nvidia-256'/></capability></device>"),
        ("<device><name>x</name><parent>pci_0000_41_00_0</parent>"
         "<capability type='mdev'><type id='nvidia-999'/></capability></device>"),
        "<device><name>x</name>",
    ]
    for i, xml in enumerate(cases):
        f = tmp_path / f"c{i}.xml"
        f.write_text(xml)
        rc, out, err = virsh(daemon.uri, "nodedev-create", str(f))
        assert (rc, out) == (1, "\n")
        assert err.startswith(f"error: Failed to create node device from {f}\nerror: ")
    assert virsh(daemon.uri, "nodedev-list", "--cap", "mdev") == (0, "\n", "")


def test_destroy_errors(daemon):
    assert virsh(daemon.uri, "nodedev-destroy", "nope") == (
        1, "\n",
        "error: Could not find matching device 'nope'\n"
        "error: Node device not found: no node device with matching name 'nope'\n")
    virsh(daemon.uri, "nodedev-define", MTTY, check=0)
    rc, out, err = virsh(daemon.uri, "nodedev-destroy", MTTY_MDEV)
    assert (rc, out) == (1, "\n")
    assert err.startswith(f"error: Failed to destroy node device '{MTTY_MDEV}'\n"
                          "error: Requested operation is not valid: ")


def test_define_start_autostart_undefine(daemon):
    assert virsh(daemon.uri, "nodedev-define", MTTY) == \
        (0, f"Node device '{MTTY_MDEV}' defined from '{MTTY}'\n\n", "")
    assert os.path.exists(os.path.join(daemon.config_dir, "mtty", "mtty-2",
                                       MTTY_UUID)) or \
        any(MTTY_UUID in f for _, _, fs in os.walk(daemon.config_dir) for f in fs)
    assert virsh(daemon.uri, "nodedev-info", MTTY_MDEV) == (0, (
        f"Name:           {MTTY_MDEV}\n"
        "Parent:         mtty_mtty\n"
        "Active:         no\n"
        "Persistent:     yes\n"
        "Autostart:      no\n\n"), "")
    assert virsh(daemon.uri, "nodedev-start", MTTY_MDEV) == \
        (0, f"Device {MTTY_MDEV} started\n\n", "")
    rc, out, err = virsh(daemon.uri, "nodedev-start", MTTY_MDEV)
    assert (rc, out) == (1, "\n")
    assert err.startswith(f"error: Failed to start device {MTTY_MDEV}\n"
                          "error: Requested operation is not valid: ")
    assert virsh(daemon.uri, "nodedev-autostart", MTTY_MDEV) == \
        (0, f"Device {MTTY_MDEV} marked as autostarted\n\n", "")
    assert virsh(daemon.uri, "nodedev-info", MTTY_MDEV) == (0, (
        f"Name:           {MTTY_MDEV}\n"
        "Parent:         mtty_mtty\n"
        "Active:         yes\n"
        "Persistent:     yes\n"
        "Autostart:      yes\n\n"), "")
    assert virsh(daemon.uri, "nodedev-autostart", "--disable", MTTY_MDEV) == \
        (0, f"Device {MTTY_MDEV} unmarked as autostarted\n\n", "")
    assert virsh(daemon.uri, "nodedev-destroy", MTTY_MDEV) == \
        (0, f"Destroyed node device '{MTTY_MDEV}'\n\n", "")
    assert virsh(daemon.uri, "nodedev-undefine", MTTY_MDEV) == \
        (0, f"Undefined node device '{MTTY_MDEV}'\n\n", "")
    assert virsh(daemon.uri, "nodedev-list", "--all", "--cap", "mdev") == \
        (0, "\n", "")


def test_undefine_transient(daemon):
    virsh(daemon.uri, "nodedev-create", NVIDIA_UUID, check=0)
    rc, out, err = virsh(daemon.uri, "nodedev-undefine", MDEV)
    assert (rc, out) == (1, "\n")
    assert err.startswith(f"error: Failed to undefine node device '{MDEV}'\n"
                          "error: Requested operation is not valid: ")


def test_info(daemon):
    # as libvirt: devices other than mdevs are active, persistent, autostart
    assert virsh(daemon.uri, "nodedev-info", "pci_0000_41_00_0") == (0, (
        "Name:           pci_0000_41_00_0\n"
        "Parent:         computer\n"
        "Active:         yes\n"
        "Persistent:     yes\n"
        "Autostart:      yes\n\n"), "")
    virsh(daemon.uri, "nodedev-create", NVIDIA_UUID, check=0)
    assert virsh(daemon.uri, "nodedev-info", MDEV) == (0, (
        f"Name:           {MDEV}\n"
        "Parent:         pci_0000_41_00_0\n"
        "Active:         yes\n"
        "Persistent:     no\n"
        "Autostart:      no\n\n"), "")
    assert virsh(daemon.uri, "nodedev-info", "nope") == (
        1, "\n",
        "error: Could not find matching device 'nope'\n"
        "error: Node device not found: no node device with matching name 'nope'\n")


def test_read_only_socket(daemon):
    for args in (["nodedev-create", NVIDIA_UUID],
                 ["nodedev-define", MTTY],
                 ["nodedev-destroy", "pci_0000_41_00_0"],
                 ["nodedev-undefine", "pci_0000_41_00_0"],
                 ["nodedev-start", "pci_0000_41_00_0"],
                 ["nodedev-autostart", "pci_0000_41_00_0"]):
        rc, out, err = virsh(daemon.uri_ro, *args)
        assert (rc, out) == (1, "\n"), args
        assert "error: operation forbidden: read only access prevents virNodeDevice" \
            in err, err
    assert virsh(daemon.uri_ro, "nodedev-list") == (0, lines(*DEMO_DEVICES), "")


def test_uri_any_scheme(daemon):
    for scheme in ("qemu:///system", "test+unix:///default"):
        uri = f"{scheme}?socket={daemon.sock}"
        assert virsh(uri, "nodedev-list", "--cap", "mdev_types") == \
            (0, lines(*MDEV_PARENTS), "")


class LineReader:
    """Lines from a pipe with a deadline, without Python's buffering."""

    def __init__(self, pipe):
        self.fd = pipe.fileno()
        self.buf = b""

    def readline(self, timeout=30):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                chunk = os.read(self.fd, 4096)
                if not chunk:
                    return None
                self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()


def _wait_registered(daemon, count):
    """Until the daemon logged @count event registrations (bounded)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if daemon.log().count("registered event callback") >= count:
            return
        time.sleep(0.05)
    raise AssertionError("virsh did not register for events")


def test_event_loop(make_daemon):
    d = make_daemon(extra_args=["--verbose"])
    env = dict(os.environ, LC_ALL="C")
    ev = subprocess.Popen(["virsh", "-c", d.uri, "nodedev-event", "--loop",
                           "--event", "lifecycle"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=env)
    try:
        _wait_registered(d, 1)
        virsh(d.uri, "nodedev-create", NVIDIA_UUID, check=0)
        virsh(d.uri, "nodedev-destroy", MDEV, check=0)
        virsh(d.uri, "nodedev-define", MTTY, check=0)
        virsh(d.uri, "nodedev-undefine", MTTY_MDEV, check=0)
        want = [f"event 'lifecycle' for node device {MDEV}: Created",
                f"event 'lifecycle' for node device {MDEV}: Deleted",
                f"event 'lifecycle' for node device {MTTY_MDEV}: Defined",
                f"event 'lifecycle' for node device {MTTY_MDEV}: Undefined"]
        reader = LineReader(ev.stdout)
        got = [reader.readline() for _ in want]
        assert got == want
        ev.send_signal(signal.SIGINT)
        out, err = ev.communicate(timeout=30)
        assert (ev.returncode, reader.buf + out, err) == (0, b"event loop interrupted\nevents received: 4\n\n", b"")
    finally:
        if ev.poll() is None:
            ev.kill()
            ev.wait()


def test_event_device_filter(make_daemon):
    d = make_daemon(extra_args=["--verbose"])
    virsh(d.uri, "nodedev-define", MTTY, check=0)
    ev = subprocess.Popen(["virsh", "-c", d.uri, "nodedev-event", "--loop",
                           "--event", "lifecycle", "--device", MTTY_MDEV],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=dict(os.environ, LC_ALL="C"))
    try:
        _wait_registered(d, 1)
        # another device's events are not delivered
        virsh(d.uri, "nodedev-create", NVIDIA_UUID, check=0)
        virsh(d.uri, "nodedev-start", MTTY_MDEV, check=0)
        reader = LineReader(ev.stdout)
        assert reader.readline() == \
            f"event 'lifecycle' for node device {MTTY_MDEV}: Created"
    finally:
        ev.kill()
        ev.wait()


def test_keepalive_with_real_virsh(make_daemon):
    """The daemon pings an idle virsh every second; virsh answers, so it
    stays connected until its own timeout."""
    d = make_daemon(config="keepalive_interval=1\nkeepalive_count=2\n")
    rc, out, err = virsh(d.uri, "nodedev-event", "--event", "lifecycle",
                         "--timeout", "5")
    # virsh exits 1 when the loop times out; no error means no disconnect
    assert (rc, out, err) == (1, "event loop timed out\nevents received: 0\n\n", "")


def test_many_devices(make_daemon):
    d = make_daemon(profile="sriov")
    rc, out, err = virsh(d.uri, "nodedev-list", "--cap", "mdev_types")
    assert (rc, err) == (0, "")
    assert len(out.split()) == 128
    rc, out, err = virsh(d.uri, "nodedev-list", "--tree")
    assert (rc, err) == (0, "")
    assert out.count("+- pci_") >= 128


def test_readme_commands_work_as_written(daemon):
    """Every virsh command of the README's 'Using it with virsh' section,
    run from the source tree against a daemon on the default demo host."""
    from ndtest import TOP_SRCDIR
    with open(os.path.join(TOP_SRCDIR, "README.md"), encoding="utf-8") as fh:
        readme = fh.read()
    section = readme.split("## Using it with virsh", 1)[1].split("\n## ", 1)[0]
    commands = [l.strip() for l in section.splitlines()
                if l.strip().startswith('virsh -c "$URI"')]
    assert len(commands) >= 10
    created = None
    for cmd in commands:
        args = cmd.split()[3:]
        if "#" in args:
            args = args[:args.index("#")]
        if args[0] == "nodedev-event":
            args += ["--timeout", "1"]
        args = [a.replace("<uuid>", created or "") for a in args]
        p = subprocess.run(["virsh", "-c", daemon.uri] + args, cwd=TOP_SRCDIR,
                           capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, LC_ALL="C"))
        if args[0] == "nodedev-event":
            assert p.stdout.endswith("events received: 0\n\n"), p.stdout
        else:
            assert (p.returncode, p.stderr) == (0, ""), cmd
        if args[0] == "nodedev-create":
            m = re.match(r"Node device mdev_([0-9a-f_]{36})_0000_41_00_0 created", p.stdout)
            created = m.group(1)
