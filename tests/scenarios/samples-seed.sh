#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Seed mdevctl definitions for the samples scenarios, as mdevctl 1.2 writes
# them (pretty-printed JSON, no trailing newline), before the daemon starts:
# one started automatically (start "auto"), one manual. The daemon group of
# samples.sh checks what the daemon made of them (ND_SEEDED=1).
#
# Usage: samples-seed.sh CONFIG_DIR
set -eu
dir=${1:?usage: samples-seed.sh CONFIG_DIR}
# mdevctl refuses to run without its hook directories (and the daemon
# must not take them for a parent)
mkdir -p "$dir/mdpy" "$dir/mbochs" "$dir/scripts.d/callouts" \
    "$dir/scripts.d/notifiers"
printf '{\n  "mdev_type": "mdpy-vga",\n  "start": "auto",\n  "attrs": []\n}' \
    > "$dir/mdpy/cafe0000-0000-4000-8000-000000001800"
printf '{\n  "mdev_type": "mbochs-small",\n  "start": "manual"\n}' \
    > "$dir/mbochs/cafe0000-0000-4000-8000-000000001801"
