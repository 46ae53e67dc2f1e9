# SPDX-License-Identifier: LGPL-2.1-or-later
"""examples/: every node-device example parses and validates (our parser,
libvirt's schema, ours) and really creates and defines on the simulated
host it is written for; the domain example validates against libvirt's
domain schema."""
import glob
import os
import re
import subprocess
import sys

import pytest

TOP = os.environ["ND_TOP_SRCDIR"]
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
from ndtest import Daemon, virsh  # noqa: E402

XML2XML = os.environ.get("ND_NODEDEVXML2XMLTEST", "")
LIBVIRT_RNG = "/usr/share/libvirt/schemas/nodedev.rng"
LIBVIRT_DOMAIN_RNG = "/usr/share/libvirt/schemas/domain.rng"
OUR_RNG = os.path.join(TOP, "docs", "schemas", "nodedev.rng")
EXAMPLES = os.path.join(TOP, "examples")

# the mdevsim profile each node-device example is written for
PROFILE = {
    "mdev-nvidia.xml": "demo",
    "mdev-nvidia-uuid.xml": "demo",
    "mdev-mtty.xml": "samples",
    "mdev-mdpy.xml": "samples",
    "mdev-vfio-ap.xml": "s390",
    "mdev-vfio-ccw.xml": "s390",
}
DOMAINS = ["domain-vgpu.xml"]


def examples(prefix):
    return sorted(os.path.basename(p)
                  for p in glob.glob(os.path.join(EXAMPLES, prefix + "*.xml")))


def xmllint(rng, data):
    return subprocess.run(["xmllint", "--noout", "--relaxng", rng, "-"],
                          input=data, capture_output=True, text=True)


def test_every_example_is_covered():
    assert sorted(os.listdir(EXAMPLES)) == sorted(list(PROFILE) + DOMAINS)


@pytest.mark.parametrize("name", sorted(PROFILE))
def test_example_parses_and_validates(name):
    path = os.path.join(EXAMPLES, name)
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    for rng in (LIBVIRT_RNG, OUR_RNG):
        r = xmllint(rng, text)
        assert r.returncode == 0, f"{name} vs {rng}: {r.stderr}"
    if not XML2XML:
        pytest.skip("nodedevxml2xmltest not built")
    r = subprocess.run([XML2XML, "--validate", path], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("<device>"), r.stdout
    r2 = xmllint(LIBVIRT_RNG, r.stdout)
    assert r2.returncode == 0, r2.stderr + r.stdout


@pytest.mark.parametrize("name", DOMAINS)
def test_domain_example_validates(name):
    with open(os.path.join(EXAMPLES, name), encoding="utf-8") as fh:
        text = fh.read()
    r = xmllint(LIBVIRT_DOMAIN_RNG, text)
    assert r.returncode == 0, r.stderr
    # it names the UUID of an example the daemon can define
    uuids = re.findall(r"<address uuid='([0-9a-f-]{36})'/>", text)
    assert uuids
    for uuid in uuids:
        assert any(uuid in open(os.path.join(EXAMPLES, e), encoding="utf-8").read()
                   for e in PROFILE), uuid


def can_simulate():
    return (os.environ.get("ND_VIRTMDEVD") and os.geteuid() == 0
            and os.path.exists("/dev/fuse"))


needs_sim = pytest.mark.skipif(not can_simulate(),
                               reason="needs root, /dev/fuse and the daemon")


@pytest.fixture(scope="module")
def daemons():
    started = {}

    def get(profile):
        if profile not in started:
            started[profile] = Daemon(profile)
        return started[profile]
    yield get
    for d in started.values():
        assert d.stop() == 0, d.log()


@needs_sim
@pytest.mark.parametrize("name", sorted(PROFILE))
def test_example_creates(daemons, name):
    d = daemons(PROFILE[name])
    path = os.path.join(EXAMPLES, name)
    rc, out, err = virsh(d.uri, "nodedev-create", path, check=0)
    m = re.search(r"Node device (mdev_\S+) created from", out)
    assert m, out
    dev = m.group(1)
    rc, xml, err = virsh(d.uri, "nodedev-dumpxml", dev, check=0)
    assert xmllint(LIBVIRT_RNG, xml).returncode == 0, xml
    want_type = re.search(r"<type id='([^']+)'/>", open(path).read()).group(1)
    assert f"<type id='{want_type}'/>" in xml, xml
    virsh(d.uri, "nodedev-destroy", dev, check=0)
    rc, out, err = virsh(d.uri, "nodedev-list", "--cap", "mdev", check=0)
    assert dev not in out


@needs_sim
@pytest.mark.parametrize("name", [n for n in sorted(PROFILE)
                                  if "<uuid>" in open(os.path.join(EXAMPLES, n)).read()])
def test_example_defines_with_autostart(daemons, name):
    # the how-to's persistent flow: define, autostart, start, destroy, undefine
    d = daemons(PROFILE[name])
    path = os.path.join(EXAMPLES, name)
    rc, out, err = virsh(d.uri, "nodedev-define", path, check=0)
    m = re.search(r"Node device '(mdev_\S+)' defined from", out)
    assert m, out
    dev = m.group(1)
    virsh(d.uri, "nodedev-autostart", dev, check=0)
    virsh(d.uri, "nodedev-start", dev, check=0)
    rc, out, err = virsh(d.uri, "nodedev-info", dev, check=0)
    assert re.search(r"Autostart:\s+yes", out), out
    assert re.search(r"Active:\s+yes", out), out
    uuid = re.search(r"<uuid>([^<]+)</uuid>", open(path).read()).group(1)
    parent_dirs = glob.glob(os.path.join(d.config_dir, "*", uuid))
    assert len(parent_dirs) == 1, parent_dirs
    virsh(d.uri, "nodedev-destroy", dev, check=0)
    virsh(d.uri, "nodedev-undefine", dev, check=0)
    assert not glob.glob(os.path.join(d.config_dir, "*", uuid))
