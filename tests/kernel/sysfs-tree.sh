#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Print the sysfs shape of the mdev sample parents (mtty, mdpy, mbochs): every
# entry under each parent's device directory with its kind, mode, link target
# and, for readable attributes, its content; then the same for one mdev of
# each parent (created with a fixed UUID, removed again).
#
# Runs unchanged in the real-kernel guest (busybox sh, /sys) and against
# mdevsim's `samples` profile (dash, a FUSE mount), so the two listings can be
# diffed: tests/kernel/expected-samples-tree.txt is the kernel's.
#
# Usage: sysfs-tree.sh SYSFS_ROOT
# Sorting is byte order; power/ (runtime PM, not mdev ABI) is left out.
set -u
root=${1:?usage: sysfs-tree.sh SYSFS_ROOT}
export LC_ALL=C

# Describe one entry given the directory it is relative to.
describe() {
    base=$1
    rel=$2
    path="$base/$rel"
    if [ -L "$path" ]; then
        echo "$rel l -> $(readlink "$path")"
        return
    fi
    mode=$(stat -c '%a' "$path" 2>/dev/null || echo '?')
    if [ -d "$path" ]; then
        echo "$rel d $mode"
        return
    fi
    # Only attributes root may read; sysfs refuses reading 0200 files.
    case "$mode" in
        [4567]??)
            content=$(cat "$path" 2>&1 | sed -e ':a' -e 'N' -e '$!ba' -e 's/\n/\\n/g')
            printf '%s\n' "$rel f $mode = $content"
            ;;
        *)
            echo "$rel f $mode"
            ;;
    esac
}

# List a directory tree without following links, minus power/.
listdir() {
    ldir=$1
    (cd "$ldir" && find . -mindepth 1 \( -name power -prune \) -o -print) |
        sed -e 's|^\./||' | sort |
        while read -r rel; do
            describe "$ldir" "$rel"
        done
}

parents=$(ls "$root/class/mdev_bus" 2>/dev/null | sort)
if [ -z "$parents" ]; then
    echo "no parents under $root/class/mdev_bus"
    exit 1
fi

for p in $parents; do
    link="$root/class/mdev_bus/$p"
    echo "== parent $p"
    echo "class/mdev_bus/$p l -> $(readlink "$link")"
    dir=$(cd -P "$link" && pwd)
    echo "path ${dir#"$root"/}"
    listdir "$dir"
done

# One device per parent, of its first type, with a fixed UUID.
n=0
for p in $parents; do
    n=$((n + 1))
    uuid=$(printf '00000000-0000-4000-8000-%012d' "$n")
    dir=$(cd -P "$root/class/mdev_bus/$p" && pwd)
    type=$(ls "$dir/mdev_supported_types" | sort | head -n 1)
    echo "== device $uuid of $p type $type"
    if ! echo "$uuid" > "$dir/mdev_supported_types/$type/create"; then
        echo "create failed"
        continue
    fi
    echo "bus/mdev/devices/$uuid l -> $(readlink "$root/bus/mdev/devices/$uuid")"
    echo "type devices/$uuid l -> $(readlink "$dir/mdev_supported_types/$type/devices/$uuid")"
    echo "$type available_instances = $(cat "$dir/mdev_supported_types/$type/available_instances")"
    listdir "$dir/$uuid"
    echo 1 > "$dir/$uuid/remove" || echo "remove failed"
    [ -e "$dir/$uuid" ] && echo "still present after remove"
done
exit 0
