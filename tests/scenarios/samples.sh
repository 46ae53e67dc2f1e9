#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The shared scenario list for the kernel's mdev sample drivers (mtty, mdpy,
# mbochs). The same cases run in two places:
#   - tests/kernel/run: in a qemu guest, against the real kernel's /sys;
#   - tests/kernel/sim-run (meson suite 'kernel-sim'): against mdevsim's
#     `samples` profile.
# so a difference between mdevsim and the kernel fails a case on one side.
#
# POSIX sh (busybox ash in the guest, dash on the host). Prints TAP
# ("ok N - ..." / "not ok N - ..."), then "1..N" and "# N passed, N failed".
#
# Environment:
#   ND_SYSFS        sysfs root holding class/mdev_bus (required)
#   ND_KTOOL        path of tests/kernel/ndktool (required)
#   ND_GROUPS       which groups to run: "sysfs daemon" (default both)
#   ND_VIRSH        virsh program (default "virsh")
#   ND_URI          URI of the daemon's read-write socket; the daemon group
#                   is skipped when empty
#   ND_URI_RO       URI of the read-only socket (optional)
#   ND_CONFIG_DIR   the daemon's --config-dir (mdevctl's definitions)
#   ND_DEV_ROOT     where vfio/<group> lives (default /dev)
#   ND_VFIO         how a device is held in use: "1" real VFIO (the kernel:
#                   ndktool hold opens ND_DEV_ROOT/vfio/<group>), "sim"
#                   mdevsim's control file ND_SYSFS/.mdevsim/busy; the
#                   /dev/vfio and in-use cases are skipped otherwise
#   ND_WAIT         seconds to wait for an asynchronous change (default 15)
#   ND_TMP          scratch directory (default: mktemp -d)
#   ND_MDEVCTL      command running mdevctl 1.2 on ND_SYSFS and
#                   ND_CONFIG_DIR ("mdevctl" in the guest; an unshare
#                   wrapper on mdevsim); the mdevctl cases are skipped
#                   when empty
#   ND_PARENT_CTL   command "down PARENT" / "up PARENT" unregistering and
#                   registering a parent again (rmmod/insmod on the kernel,
#                   .mdevsim/parents on mdevsim); skipped when empty
#   ND_RNG          libvirt's nodedev.rng: every device's XML is validated
#                   with xmllint (skipped when empty)
#   ND_SEEDED       1 when samples-seed.sh wrote definitions into
#                   ND_CONFIG_DIR before the daemon started
#   ND_TAP_BASE     number of cases already printed (TAP numbering goes on
#                   from there, and the plan "1..N" counts them)
set -u
export LC_ALL=C

: "${ND_SYSFS:?ND_SYSFS must name the sysfs root}"
: "${ND_KTOOL:?ND_KTOOL must name ndktool}"
ND_GROUPS=${ND_GROUPS:-sysfs daemon}
ND_VIRSH=${ND_VIRSH:-virsh}
ND_URI=${ND_URI:-}
ND_URI_RO=${ND_URI_RO:-}
ND_CONFIG_DIR=${ND_CONFIG_DIR:-}
ND_DEV_ROOT=${ND_DEV_ROOT:-/dev}
ND_VFIO=${ND_VFIO:-0}
ND_WAIT=${ND_WAIT:-15}
ND_MDEVCTL=${ND_MDEVCTL:-}
if [ -z "${ND_TMP:-}" ]; then
    ND_TMP=$(mktemp -d)
fi

n_case=${ND_TAP_BASE:-0}
n_pass=0
n_fail=0

ok() {
    n_case=$((n_case + 1))
    n_pass=$((n_pass + 1))
    echo "ok $n_case - $1"
}

not_ok() {
    n_case=$((n_case + 1))
    n_fail=$((n_fail + 1))
    echo "not ok $n_case - $1"
    shift
    for line in "$@"; do
        printf '%s\n' "$line" | sed -e 's/^/#   /'
    done
}

skip() {
    n_case=$((n_case + 1))
    n_pass=$((n_pass + 1))
    echo "ok $n_case - $1 # SKIP $2"
}

# check NAME EXPECTED ACTUAL
check() {
    if [ "$2" = "$3" ]; then
        ok "$1"
    else
        not_ok "$1" "expected: $2" "got:      $3"
    fi
}

# check_match NAME PATTERN(grep -E) TEXT
check_match() {
    if printf '%s\n' "$3" | grep -Eq -- "$2"; then
        ok "$1"
    else
        not_ok "$1" "expected to match: $2" "got: $3"
    fi
}

# wait_for SECONDS COMMAND...: polls COMMAND (quietly) every 0.1 s until it
# succeeds or the deadline passes; for changes that arrive asynchronously
# (uevents, rescans). Returns COMMAND's last status.
wait_for() {
    limit=$(($1 * 10))
    shift
    i=0
    while ! "$@" >/dev/null 2>&1; do
        i=$((i + 1))
        if [ "$i" -ge "$limit" ]; then
            return 1
        fi
        sleep 0.1
    done
    return 0
}

# uuid N: a fixed, valid, lower-case UUID numbered N.
uuid() {
    printf 'cafe%04d-0000-4000-8000-%012d' "$(( $1 / 10000 ))" "$1"
}

pdir() {
    (cd -P "$ND_SYSFS/class/mdev_bus/$1" 2>/dev/null && pwd)
}

tdir() {
    echo "$(pdir "$1")/mdev_supported_types/$2"
}

avail() {
    cat "$(tdir "$1" "$2")/available_instances" 2>/dev/null
}

# kwrite FILE VALUE: OK or the errno name
kwrite() {
    "$ND_KTOOL" write "$1" "$2"
}

# kcreate PARENT TYPE VALUE
kcreate() {
    kwrite "$(tdir "$1" "$2")/create" "$3"
}

# kremove UUID: removes through bus/mdev/devices, quietly
kremove() {
    if [ -e "$ND_SYSFS/bus/mdev/devices/$1" ]; then
        kwrite "$ND_SYSFS/bus/mdev/devices/$1/remove" 1 >/dev/null
    fi
}

# remove every mdev whose UUID starts with our prefix (left by a failed case)
cleanup_all() {
    for d in "$ND_SYSFS"/bus/mdev/devices/cafe*; do
        [ -e "$d" ] || continue
        kremove "$(basename "$d")"
    done
}

exists() {
    [ -e "$ND_SYSFS/bus/mdev/devices/$1" ]
}

present() {
    if exists "$1"; then echo yes; else echo no; fi
}

# The kernel's samples, as Debian 12's 6.1 kernel shows them.
PARENTS="mbochs mdpy mtty"
types_of() {
    case "$1" in
        mtty) echo "mtty-1 mtty-2" ;;
        mdpy) echo "mdpy-hd mdpy-vga mdpy-xga" ;;
        mbochs) echo "mbochs-large mbochs-medium mbochs-small" ;;
    esac
}

# "TYPE NAME|API|INSTANCES" for every type of every parent
EXPECTED_TYPES="mtty-1 Single port serial|vfio-pci|24
mtty-2 Dual port serial|vfio-pci|12
mdpy-vga mdpy-vga|vfio-pci|4
mdpy-xga mdpy-xga|vfio-pci|4
mdpy-hd mdpy-hd|vfio-pci|4
mbochs-small mbochs-small|vfio-pci|64
mbochs-medium mbochs-medium|vfio-pci|16
mbochs-large mbochs-large|vfio-pci|4"

parent_of_type() {
    echo "${1%%-*}"
}

# ---------------------------------------------------------------------------
# sysfs group: the kernel ABI itself, with raw writes

sysfs_group() {
    echo "# sysfs group: raw sysfs against $ND_SYSFS"
    cleanup_all

    check "sysfs: parents under class/mdev_bus" "$PARENTS" \
        "$(ls "$ND_SYSFS/class/mdev_bus" 2>&1 | sort | tr '\n' ' ' | sed 's/ $//')"

    for p in $PARENTS; do
        check "sysfs: types of $p" "$(types_of "$p")" \
            "$(ls "$(pdir "$p")/mdev_supported_types" 2>&1 | sort | tr '\n' ' ' | sed 's/ $//')"
    done

    while read -r t rest; do
        p=$(parent_of_type "$t")
        d=$(tdir "$p" "$t")
        got="$(cat "$d/name" 2>&1)|$(cat "$d/device_api" 2>&1)|$(cat "$d/available_instances" 2>&1)"
        check "sysfs: $t name, device_api, available_instances" "$rest" "$got"
    done <<EOF
$EXPECTED_TYPES
EOF

    d=$(tdir mtty mtty-1)
    check "sysfs: create is write-only (0200)" "200" "$(stat -c %a "$d/create")"
    check "sysfs: reading create gives EACCES" "EACCES" \
        "$("$ND_KTOOL" read "$d/create" | head -n 1)"
    check "sysfs: writing available_instances gives EACCES" "EACCES" \
        "$(kwrite "$d/available_instances" 1)"
    check "sysfs: devices/ of an unused type is empty" "" "$(ls "$d/devices")"
    check "sysfs: writing name gives EACCES" "EACCES" "$(kwrite "$d/name" x)"
    check "sysfs: writing device_api gives EACCES" "EACCES" "$(kwrite "$d/device_api" x)"
    # write(fd, "", 0) never reaches the attribute: 0, nothing created
    check "sysfs: an empty write to create is a no-op" "OK" "$(kcreate mtty mtty-1 "")"
    check "sysfs: a newline alone gives EINVAL" "EINVAL" "$(kcreate mtty mtty-1 "
")"

    u=$(uuid 1)
    check "sysfs: 35 characters give EINVAL" "EINVAL" \
        "$(kcreate mtty mtty-1 "$(echo "$u" | cut -c1-35)")"
    check "sysfs: 38 characters give EINVAL" "EINVAL" \
        "$(kcreate mtty mtty-1 "${u}ab")"
    check "sysfs: braces give EINVAL" "EINVAL" \
        "$(kcreate mtty mtty-1 "{$u}")"
    check "sysfs: malformed hex gives EINVAL" "EINVAL" \
        "$(kcreate mtty mtty-1 "cafeg000-0000-4000-8000-000000000001")"
    check "sysfs: no dashes give EINVAL" "EINVAL" \
        "$(kcreate mtty mtty-1 "cafe0000x0000x4000x8000x000000000001")"
    check "sysfs: nothing was created by invalid writes" "" \
        "$(ls "$ND_SYSFS/bus/mdev/devices")"

    upper=$(echo "$u" | tr 'a-f' 'A-F')
    check "sysfs: upper-case UUID with newline accepted" "OK" \
        "$(kcreate mtty mtty-1 "$upper
")"
    check "sysfs: device directory is lower case" "yes" "$(present "$u")"
    check "sysfs: device under the parent directory" "yes" \
        "$([ -d "$(pdir mtty)/$u" ] && echo yes || echo no)"
    check "sysfs: mdev_type link names the type" "mtty-1" \
        "$(basename "$(readlink "$ND_SYSFS/bus/mdev/devices/$u/mdev_type")")"
    check "sysfs: type devices/ links the device" "$u" \
        "$(ls "$(tdir mtty mtty-1)/devices")"
    check "sysfs: device has an iommu_group link" "yes" \
        "$([ -L "$ND_SYSFS/bus/mdev/devices/$u/iommu_group" ] && echo yes || echo no)"
    group=$(basename "$(readlink "$ND_SYSFS/bus/mdev/devices/$u/iommu_group")")
    if [ "$ND_VFIO" = 1 ] || [ "$ND_VFIO" = sim ]; then
        check "sysfs: /dev/vfio/<group> exists" "yes" \
            "$([ -e "$ND_DEV_ROOT/vfio/$group" ] && echo yes || echo no)"
    else
        skip "sysfs: /dev/vfio/<group> exists" "no VFIO here"
    fi
    check "sysfs: shared pool, mtty-1 after one single port" "23" "$(avail mtty mtty-1)"
    check "sysfs: shared pool, mtty-2 after one single port" "11" "$(avail mtty mtty-2)"

    check "sysfs: the same UUID on the same type gives EEXIST" "EEXIST" \
        "$(kcreate mtty mtty-1 "$u")"
    check "sysfs: the same UUID on another parent gives EEXIST" "EEXIST" \
        "$(kcreate mdpy mdpy-vga "$u")"
    check "sysfs: no mdpy device after EEXIST" "" "$(ls "$(tdir mdpy mdpy-vga)/devices")"

    r="$ND_SYSFS/bus/mdev/devices/$u/remove"
    check "sysfs: remove is write-only (0200)" "200" "$(stat -c %a "$r")"
    check "sysfs: reading remove gives EACCES" "EACCES" "$("$ND_KTOOL" read "$r" | head -n 1)"
    check "sysfs: remove 0 is accepted" "OK" "$(kwrite "$r" 0)"
    check "sysfs: remove 0 leaves the device" "yes" "$(present "$u")"
    check "sysfs: remove x gives EINVAL" "EINVAL" "$(kwrite "$r" x)"
    check "sysfs: remove -1 gives EINVAL" "EINVAL" "$(kwrite "$r" -1)"
    check "sysfs: remove 1x gives EINVAL" "EINVAL" "$(kwrite "$r" 1x)"
    check "sysfs: refused removes leave the device" "yes" "$(present "$u")"
    check "sysfs: remove 0x1 removes" "OK" "$(kwrite "$r" 0x1)"
    check "sysfs: device gone after remove" "no" "$(present "$u")"
    check "sysfs: mtty-1 pool restored" "24" "$(avail mtty mtty-1)"

    # A 37th byte is ignored whatever it is.
    check "sysfs: a 37th byte is ignored" "OK" "$(kcreate mtty mtty-2 "${u}x")"
    check "sysfs: device created despite 37th byte" "yes" "$(present "$u")"
    check "sysfs: remove with newline" "OK" \
        "$(kwrite "$ND_SYSFS/bus/mdev/devices/$u/remove" "1
")"
    check "sysfs: device gone after remove with newline" "no" "$(present "$u")"
    # remove parses an unsigned number: any non-zero value removes.
    kcreate mtty mtty-1 "$u" >/dev/null
    check "sysfs: remove 2 removes too" "OK" \
        "$(kwrite "$ND_SYSFS/bus/mdev/devices/$u/remove" 2)"
    check "sysfs: device gone after remove 2" "no" "$(present "$u")"

    # mtty: 24 ports shared by mtty-1 (1 port) and mtty-2 (2 ports).
    i=100
    res=""
    while [ $i -lt 112 ]; do
        res="$res$(kcreate mtty mtty-2 "$(uuid $i)") "
        i=$((i + 1))
    done
    check "sysfs: twelve mtty-2 fit" \
        "OK OK OK OK OK OK OK OK OK OK OK OK " "$res"
    check "sysfs: mtty-2 exhausted" "0" "$(avail mtty mtty-2)"
    check "sysfs: mtty-1 exhausted by mtty-2" "0" "$(avail mtty mtty-1)"
    check "sysfs: exhausted mtty-2 gives ENOSPC" "ENOSPC" \
        "$(kcreate mtty mtty-2 "$(uuid 199)")"
    check "sysfs: exhausted mtty-1 gives ENOSPC" "ENOSPC" \
        "$(kcreate mtty mtty-1 "$(uuid 199)")"
    check "sysfs: no device left by ENOSPC" "no" "$(present "$(uuid 199)")"
    kremove "$(uuid 100)"
    check "sysfs: one mtty-2 removed frees two mtty-1" "2" "$(avail mtty mtty-1)"
    cleanup_all

    # mdpy: 4 instances in total, counted by the mdev core (EUSERS).
    res="$(kcreate mdpy mdpy-vga "$(uuid 200)") $(kcreate mdpy mdpy-xga "$(uuid 201)")"
    check "sysfs: two mdpy created" "OK OK" "$res"
    check "sysfs: mdpy-hd sees the shared count" "2" "$(avail mdpy mdpy-hd)"
    res="$(kcreate mdpy mdpy-hd "$(uuid 202)") $(kcreate mdpy mdpy-hd "$(uuid 203)")"
    check "sysfs: four mdpy created" "OK OK" "$res"
    check "sysfs: mdpy-vga exhausted" "0" "$(avail mdpy mdpy-vga)"
    check "sysfs: exhausted mdpy gives EUSERS" "EUSERS" \
        "$(kcreate mdpy mdpy-vga "$(uuid 299)")"
    check "sysfs: no device left by EUSERS" "no" "$(present "$(uuid 299)")"
    cleanup_all

    # mbochs: a 256 MB pool shared by 4, 16 and 64 MB types.
    res=""
    i=300
    while [ $i -lt 304 ]; do
        res="$res$(kcreate mbochs mbochs-large "$(uuid $i)") "
        i=$((i + 1))
    done
    check "sysfs: four mbochs-large fit" "OK OK OK OK " "$res"
    check "sysfs: mbochs-small exhausted by mbochs-large" "0" "$(avail mbochs mbochs-small)"
    check "sysfs: exhausted mbochs gives ENOSPC" "ENOSPC" \
        "$(kcreate mbochs mbochs-small "$(uuid 399)")"
    check "sysfs: no device left by ENOSPC (mbochs)" "no" "$(present "$(uuid 399)")"
    kremove "$(uuid 300)"
    check "sysfs: one mbochs-large removed frees 16 small" "16" "$(avail mbochs mbochs-small)"
    cleanup_all
    check "sysfs: every pool restored" "24 12 4 4 4 64 16 4" \
        "$(for t in mtty-1 mtty-2 mdpy-vga mdpy-xga mdpy-hd mbochs-small mbochs-medium mbochs-large; do
              printf '%s ' "$(avail "$(parent_of_type "$t")" "$t")"; done | sed 's/ $//')"
}

# ---------------------------------------------------------------------------
# daemon group: the same host through virsh and the daemon

. "$(dirname "$0")/samples-daemon.sh"

# ---------------------------------------------------------------------------

for g in $ND_GROUPS; do
    case "$g" in
        sysfs) sysfs_group ;;
        daemon)
            if [ -n "$ND_URI" ]; then
                daemon_group
            else
                echo "# daemon group skipped: ND_URI not set"
            fi
            ;;
        *) not_ok "unknown group '$g'" ;;
    esac
done

echo "1..$n_case"
echo "# $n_pass passed, $n_fail failed"
[ "$n_fail" -eq 0 ]
