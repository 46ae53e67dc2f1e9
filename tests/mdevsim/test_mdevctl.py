# SPDX-License-Identifier: LGPL-2.1-or-later
"""The real mdevctl 1.2 reads the simulated host as a kernel: /sys and
/etc/mdevctl.d are bind-mounted in a private mount namespace."""
import json
import os
import shutil
import subprocess

import pytest

U = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
U2 = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f2"


@pytest.fixture
def confdir(tmp_path):
    d = tmp_path / "mdevctl.d"
    (d / "scripts.d" / "callouts").mkdir(parents=True)
    (d / "scripts.d" / "notifiers").mkdir(parents=True)
    return str(d)


def mdevctl(sim, confdir, *args):
    if not shutil.which("mdevctl") or not shutil.which("unshare"):
        pytest.fail("mdevctl and unshare are required (scripts/install-deps)")
    script = ('mount --bind "$1" /sys && mount --bind "$2" /etc/mdevctl.d && '
              'shift 2 && exec mdevctl "$@"')
    r = subprocess.run(["unshare", "-m", "--propagation", "private",
                        "sh", "-c", script, "sh", sim.root, confdir, *args],
                       capture_output=True, text=True, timeout=60)
    return r


def test_mdevctl_types(demo, confdir):
    r = mdevctl(demo, confdir, "types", "--dumpjson")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    parents = {k: v for entry in data for k, v in entry.items()}
    assert sorted(parents) == ["0000:00:02.0", "0000:41:00.0", "0000:42:00.0", "mtty"]
    types = {k: v for t in parents["0000:41:00.0"] for k, v in t.items()}
    assert sorted(types) == ["nvidia-256", "nvidia-257", "nvidia-258",
                             "nvidia-259", "nvidia-260"]
    assert types["nvidia-256"]["available_instances"] == 16
    assert types["nvidia-256"]["device_api"] == "vfio-pci"
    assert types["nvidia-256"]["name"] == "GRID T4-1Q"
    gvt = {k: v for t in parents["0000:00:02.0"] for k, v in t.items()}
    assert "name" not in gvt["i915-GVTg_V5_4"]
    r = mdevctl(demo, confdir, "types")
    assert r.returncode == 0 and "Dual port serial" in r.stdout


def test_mdevctl_list_sees_created(demo, confdir):
    assert demo.create("mtty", "mtty-2", U) == 0
    r = mdevctl(demo, confdir, "list")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[0] == f"{U} mtty mtty-2 manual"
    r = mdevctl(demo, confdir, "list", "--dumpjson")
    assert json.loads(r.stdout) == [
        {"mtty": [{U: {"mdev_type": "mtty-2", "start": "manual", "attrs": []}}]}]
    # mdevctl's own create and remove go through the simulated kernel.
    r = mdevctl(demo, confdir, "start", "-u", U2, "-p", "0000:41:00.0",
                "-t", "nvidia-257")
    assert r.returncode == 0, r.stderr
    assert demo.avail("0000:41:00.0", "nvidia-256") == 14
    assert f"{U2} 0000:41:00.0 nvidia-257 manual" in \
        mdevctl(demo, confdir, "list").stdout
    r = mdevctl(demo, confdir, "stop", "-u", U)
    assert r.returncode == 0, r.stderr
    assert os.listdir(demo.path("bus/mdev/devices")) == [U2]


def test_mdevctl_s390(mdevsim, confdir):
    sim = mdevsim("s390")
    assert sim.create("0.0.0023", "vfio_ccw-io", U) == 0
    r = mdevctl(sim, confdir, "types", "--dumpjson")
    assert r.returncode == 0, r.stderr
    parents = {k for entry in json.loads(r.stdout) for k in entry}
    assert parents == {"0.0.0023", "0.0.0024", "matrix"}
    r = mdevctl(sim, confdir, "list")
    assert r.stdout.strip() == f"{U} 0.0.0023 vfio_ccw-io manual"


def test_mdevctl_start_with_attributes(mdevsim, confdir, tmp_path):
    """mdevctl writes a device's attributes after create, as on a real s390
    host; a bad value makes it remove the device again."""
    sim = mdevsim("s390")
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"mdev_type": "vfio_ap-passthrough", "start": "manual",
                                "attrs": [{"assign_adapter": "5"},
                                          {"assign_domain": "4"}]}))
    r = mdevctl(sim, confdir, "start", "-u", U, "-p", "matrix", "--jsonfile", str(good))
    assert r.returncode == 0, r.stderr
    assert sim.read("bus/mdev/devices", U, "matrix") == "05.0004\n"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"mdev_type": "vfio_ap-passthrough", "start": "manual",
                               "attrs": [{"assign_adapter": "300"}]}))
    r = mdevctl(sim, confdir, "start", "-u", U2, "-p", "matrix", "--jsonfile", str(bad))
    assert r.returncode != 0
    assert os.listdir(sim.path("bus/mdev/devices")) == [U]
