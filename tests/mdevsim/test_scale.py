# SPDX-License-Identifier: LGPL-2.1-or-later
"""The sriov profile at benchmark scale: 4096 active mdevs, with lookups
that stay O(1) (the last batch of creates is not much slower than the first)."""
import os
import time


def uuid(n):
    return f"5c000000-0000-4000-8000-{n:012x}"


def test_4096_mdevs(mdevsim):
    sim = mdevsim("sriov")
    parents = sorted(os.listdir(sim.path("class/mdev_bus")))
    assert len(parents) == 128
    batch_times = []
    n = 0
    for b in range(8):
        t0 = time.monotonic()
        for _ in range(512):
            parent = parents[n % 128]
            assert sim.create(parent, "nvidia-700", uuid(n)) == 0
            n += 1
        batch_times.append(time.monotonic() - t0)
    devs = os.listdir(sim.path("bus/mdev/devices"))
    assert len(devs) == 4096
    for p in parents[:4]:
        assert sim.avail(p, "nvidia-700") == 0
        assert sim.avail(p, "nvidia-715") == 0
    assert sim.create(parents[0], "nvidia-700", uuid(99999)) == 28  # ENOSPC
    # Groups are all distinct.
    groups = {os.readlink(sim.path("bus/mdev/devices", d, "iommu_group"))
              for d in devs[:256]}
    assert len(groups) == 256
    print("create batches of 512 (s):", [round(t, 3) for t in batch_times])
    # O(n^2) behaviour would make the last batch ~15x slower than the first.
    assert batch_times[-1] < 6 * batch_times[0] + 0.5
    t0 = time.monotonic()
    for i in range(2048):
        assert sim.remove(uuid(i)) == 0
    print("remove 2048 (s):", round(time.monotonic() - t0, 3))
    assert len(os.listdir(sim.path("bus/mdev/devices"))) == 2048
    assert sim.avail(parents[0], "nvidia-700") == 16
