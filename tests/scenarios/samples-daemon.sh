# SPDX-License-Identifier: LGPL-2.1-or-later
# The daemon group of the samples scenario list: sourced by samples.sh (see
# there for the environment). Drives the daemon with the real virsh and
# checks every answer against sysfs, read directly.

# The daemon's precise errors (grep -E), kept in one place.
ERR_NO_INSTANCES='no instances of mediated device type .* left'
ERR_UUID_EXISTS='already used by node device'
ERR_IN_USE='in use|busy'
ERR_READ_ONLY='read only|read-only'
ERR_NO_DEVICE='no node device with matching name'

# mdevctl 1.2 reads /sys and /etc/mdevctl.d at fixed paths: ND_MDEVCTL is
# a command that runs it on ND_SYSFS and ND_CONFIG_DIR
mdevctl() {
    timeout 60 $ND_MDEVCTL "$@"
}

# A daemon that stops answering would make every later call wait for its
# timeout (the guest has 600 s in all): after one call hangs, the rest
# fail at once.
vtimed() {
    if [ -e "$ND_TMP/virsh-hung" ]; then
        echo "error: an earlier virsh call hung: not calling virsh $*"
        return 1
    fi
    timeout 30 "$ND_VIRSH" "$@"
    rc=$?
    if [ "$rc" -eq 124 ]; then
        : > "$ND_TMP/virsh-hung"
        echo "error: virsh $* hung (30 s)"
    fi
    return "$rc"
}

v() {
    vtimed -c "$ND_URI" "$@"
}

vro() {
    vtimed -c "$ND_URI_RO" "$@"
}

# nodedev names of a listing, one a line, no blank lines
vlist() {
    v nodedev-list "$@" 2>&1 | sed -e '/^[[:space:]]*$/d' -e 's/^[[:space:]]*//' | sort
}

# "ID NAME|API|INSTANCES" per <type> of a parent's XML, sorted by id
xml_types() {
    v nodedev-dumpxml "$1" 2>&1 | sed -n \
        -e "s/.*<type id='\([^']*\)'>.*/T \1/p" \
        -e 's/.*<name>\(.*\)<\/name>.*/N \1/p' \
        -e 's/.*<deviceAPI>\(.*\)<\/deviceAPI>.*/A \1/p' \
        -e 's/.*<availableInstances>\(.*\)<\/availableInstances>.*/I \1/p' |
    awk '
        $1 == "T" { if (id != "") print id " " nm "|" api "|" inst;
                    id = $2; nm = ""; api = ""; inst = ""; next }
        id == "" { next }
        $1 == "N" { sub(/^N /, ""); nm = $0; next }
        $1 == "A" { api = $2; next }
        $1 == "I" { inst = $2; next }
        END { if (id != "") print id " " nm "|" api "|" inst }' | sort
}

# the same, read from sysfs
sysfs_types() {
    for d in "$(pdir "$1")"/mdev_supported_types/*; do
        name=""
        [ -f "$d/name" ] && name=$(cat "$d/name")
        echo "$(basename "$d") $name|$(cat "$d/device_api")|$(cat "$d/available_instances")"
    done | sort
}

# availableInstances of TYPE in parent NAME's XML
xml_avail() {
    xml_types "$1" | sed -n "s/^$2 .*|//p"
}

# mdev_<uuid>_... -> uuid
name_uuid() {
    echo "$1" | cut -c6-41 | tr '_' '-'
}

# mdev_xml FILE PARENT TYPE [UUID [ATTR_NAME ATTR_VALUE]]
mdev_xml() {
    {
        echo "<device>"
        echo "  <parent>$2</parent>"
        echo "  <capability type='mdev'>"
        echo "    <type id='$3'/>"
        [ -n "${4:-}" ] && echo "    <uuid>$4</uuid>"
        [ -n "${5:-}" ] && echo "    <attr name='$5' value='${6:-}'/>"
        echo "  </capability>"
        echo "</device>"
    } > "$1"
}

# vcreate PARENT_NAME TYPE [UUID]: prints the new device's name, or virsh's
# error output prefixed with "ERR "
vcreate() {
    f="$ND_TMP/create.xml"
    mdev_xml "$f" "$1" "$2" "${3:-}"
    out=$(v nodedev-create "$f" 2>&1)
    name=$(printf '%s\n' "$out" | sed -n 's/^Node device \(mdev_[^ ]*\) created from .*/\1/p')
    if [ -n "$name" ]; then
        echo "$name"
    else
        echo "ERR $out" | tr '\n' ' '
    fi
}

# events: a background `virsh nodedev-event --loop` writing to a file
ev_start() {
    ev_file="$ND_TMP/events.txt"
    : > "$ev_file"
    "$ND_VIRSH" -c "$ND_URI" nodedev-event --loop --event lifecycle \
        > "$ev_file" 2>&1 &
    ev_pid=$!
}

# ev_sync PARENT_NAME: when the listener's registration is done cannot be
# seen from outside; define and undefine a throw-away device until the
# listener reports it, so no later event is lost to the race.
ev_sync() {
    us=$(uuid 1999)
    f="$ND_TMP/sync.xml"
    mdev_xml "$f" "$1" mtty-1 "$us"
    i=0
    while [ "$i" -lt "$ND_WAIT" ]; do
        sname=$(v nodedev-define "$f" 2>&1 |
                sed -n "s/^Node device '\(mdev_[^']*\)' defined from .*/\1/p")
        [ -n "$sname" ] && v nodedev-undefine "$sname" >/dev/null 2>&1
        if [ -n "$sname" ] && wait_for 1 ev_seen "$sname" Undefined; then
            return 0
        fi
        i=$((i + 1))
    done
    return 1
}

ev_stop() {
    if [ -n "${ev_pid:-}" ]; then
        kill "$ev_pid" 2>/dev/null
        wait "$ev_pid" 2>/dev/null
        ev_pid=""
    fi
}

ev_seen() {
    grep -q "for node device $1: $2" "$ev_file"
}

# hold_start UUID: make the device busy as a VM would (see ND_VFIO)
hold_start() {
    case "$ND_VFIO" in
        1)
            hg=$(basename "$(readlink "$ND_SYSFS/bus/mdev/devices/$1/iommu_group" 2>/dev/null)")
            hold_out="$ND_TMP/hold.txt"
            : > "$hold_out"
            "$ND_KTOOL" hold "$ND_DEV_ROOT/vfio/$hg" "$1" > "$hold_out" 2>&1 &
            hold_pid=$!
            if wait_for "$ND_WAIT" grep -q ready "$hold_out"; then
                return 0
            fi
            cat "$hold_out"
            return 1
            ;;
        sim)
            kwrite "$ND_SYSFS/.mdevsim/busy" "+$1" | grep -qx OK
            ;;
    esac
}

hold_stop() {
    case "$ND_VFIO" in
        1)
            kill "$hold_pid"
            wait "$hold_pid"
            ;;
        sim)
            kwrite "$ND_SYSFS/.mdevsim/busy" "-$1" >/dev/null
            ;;
    esac
}

# xml_all: every device's XML (the host's PCI devices, the parents, two
# mdevs) against libvirt's installed schema, and each PCI device's ids
# against its sysfs files
xml_all() {
    if [ -z "${ND_RNG:-}" ] || ! command -v xmllint >/dev/null 2>&1; then
        skip "xml: every device's XML is valid" "no xmllint or ND_RNG"
        return
    fi
    bad=""
    nvalid=0
    quirk=""
    pci_bad=""
    npci=0
    for name in $(vlist --all); do
        x="$ND_TMP/dev.xml"
        v nodedev-dumpxml "$name" > "$x" 2>&1
        # libvirt's own form for a virtual parent (a top-level mdev_types
        # holding a nested one) is outside its schema: not validated
        if grep -q "^  <capability type='mdev_types'>" "$x"; then
            quirk="$quirk $name"
        else
            nvalid=$((nvalid + 1))
            if ! xmllint --noout --relaxng "$ND_RNG" "$x" > "$ND_TMP/xmllint.out" 2>&1; then
                bad="$bad $name: $(grep -v 'fails to validate' "$ND_TMP/xmllint.out" | head -n 2 | tr '\n' ' ')"
            fi
        fi
        case "$name" in
            pci_*)
                npci=$((npci + 1))
                path=$(sed -n 's|.*<path>\(.*\)</path>.*|\1|p' "$x")
                want="$(cat "$path/vendor" 2>&1) $(cat "$path/device" 2>&1)"
                got="$(sed -n "s/.*<vendor id='\([^']*\)'.*/\1/p" "$x") $(sed -n "s/.*<product id='\([^']*\)'.*/\1/p" "$x")"
                [ "$want" = "$got" ] || pci_bad="$pci_bad $name: sysfs '$want' xml '$got'"
                ;;
        esac
    done
    check "xml: $nvalid device XMLs valid against libvirt's nodedev.rng" "" "$bad"
    [ -n "$quirk" ] && echo "#   not validated (libvirt's top-level mdev_types):$quirk"
    check "xml: vendor and product ids of $npci PCI devices match sysfs" "" "$pci_bad"
}

# note TEXT: a TAP comment with what the client saw (errors are part of
# the contract; the log then shows the exact message)
note() {
    printf '%s\n' "$1" | tr '\n' ' ' | sed -e 's/^/#   saw: /' -e 's/ *$//'
    echo
}

daemon_group() {
    echo "# daemon group: virsh -c $ND_URI"
    rm -f "$ND_TMP/virsh-hung"

    # --- enumeration: find each parent by its sysfs path, then check that
    # it shows its types, and is listed with --cap mdev_types
    # (libvirt's name for a virtual device, <subsystem>_<name>, is tried
    # first: under software emulation every virsh call costs)
    all=$(vlist)
    P_mtty=""; P_mdpy=""; P_mbochs=""
    for name in mbochs_mbochs mdpy_mdpy mtty_mtty $all; do
        case " $P_mtty $P_mdpy $P_mbochs " in *" $name "*) continue ;; esac
        [ -n "$P_mtty" ] && [ -n "$P_mdpy" ] && [ -n "$P_mbochs" ] && break
        path=$(v nodedev-dumpxml "$name" 2>/dev/null | sed -n 's|.*<path>\(.*\)</path>.*|\1|p')
        [ -n "$path" ] || continue
        for p in $PARENTS; do
            rel=$(readlink "$ND_SYSFS/class/mdev_bus/$p" | sed -e 's|^\(\.\./\)*||')
            case "$path" in
                */"$rel") eval "P_$p=\$name" ;;
            esac
        done
    done
    for p in $PARENTS; do
        eval "pname=\$P_$p"
        if [ -z "$pname" ]; then
            not_ok "daemon: parent $p found by its sysfs path" "listing: $all"
            continue
        fi
        ok "daemon: parent $p found by its sysfs path ('$pname')"
        check "daemon: $p types as the kernel reports them" \
            "$(sysfs_types "$p")" "$(xml_types "$pname")"
    done
    check "daemon: the three parents listed with --cap mdev_types" \
        "$(printf '%s\n' "$P_mbochs" "$P_mdpy" "$P_mtty" | sort)" \
        "$(vlist --cap mdev_types)"
    if [ -z "$P_mtty" ] || [ -z "$P_mdpy" ] || [ -z "$P_mbochs" ]; then
        not_ok "daemon: cannot go on without the three parents"
        return
    fi
    # --- definitions mdevctl left before the daemon started (samples-seed.sh)
    if [ "${ND_SEEDED:-0}" = 1 ]; then
        u_auto=$(uuid 1800)
        u_man=$(uuid 1801)
        n_auto="mdev_$(echo "$u_auto" | tr '-' '_')_mdpy"
        n_man="mdev_$(echo "$u_man" | tr '-' '_')_mbochs"
        check "daemon: start=auto definition started at daemon start" "yes" "$(present "$u_auto")"
        check "daemon: it has the defined type" "mdpy-vga" \
            "$(basename "$(readlink "$ND_SYSFS/bus/mdev/devices/$u_auto/mdev_type" 2>/dev/null)")"
        check "daemon: start=manual definition not started" "no" "$(present "$u_man")"
        check "daemon: the autostarted device listed as active" "$n_auto" "$(vlist --cap mdev)"
        check "daemon: the manual one listed as inactive" "$n_man" "$(vlist --cap mdev --inactive)"
        check_match "daemon: autostarted device is persistent, autostart" \
            'Persistent: *yes.*Autostart: *yes' "$(v nodedev-info "$n_auto" 2>&1 | tr '\n' ' ')"
        check_match "daemon: manual device is persistent, no autostart" \
            'Persistent: *yes.*Autostart: *no' "$(v nodedev-info "$n_man" 2>&1 | tr '\n' ' ')"
        check_match "daemon: destroy the autostarted device" "Destroyed" \
            "$(v nodedev-destroy "$n_auto" 2>&1)"
        check_match "daemon: undefine it" "[Uu]ndefined" "$(v nodedev-undefine "$n_auto" 2>&1)"
        check_match "daemon: undefine the manual one" "[Uu]ndefined" "$(v nodedev-undefine "$n_man" 2>&1)"
        if [ -n "$ND_CONFIG_DIR" ]; then
            check "daemon: seeded definition files removed" "no no" \
                "$([ -e "$ND_CONFIG_DIR/mdpy/$u_auto" ] && echo yes || echo no) $([ -e "$ND_CONFIG_DIR/mbochs/$u_man" ] && echo yes || echo no)"
        fi
        check "daemon: nothing left after the seeded definitions" "" "$(vlist --cap mdev --all)"
        check "daemon: mdevctl's scripts.d is no parent" "" \
            "$(vlist --all | grep -i script)"
    fi

    cleanup_all
    # The sysfs group's raw writes may still be on their way to the daemon.
    no_mdev() {
        [ -z "$(vlist --cap mdev)" ]
    }
    wait_for "$ND_WAIT" no_mdev
    check "daemon: no mdev listed before any create" "" "$(vlist --cap mdev)"

    ev_start
    if ev_sync "$P_mtty"; then
        ok "daemon: event listener registered (define/undefine seen)"
    else
        not_ok "daemon: event listener registered (define/undefine seen)" "$(cat "$ev_file")"
    fi

    # --- create without and with a UUID
    a=$(vcreate "$P_mtty" mtty-1)
    check_match "daemon: create mtty-1 without uuid" '^mdev_' "$a"
    ua=$(name_uuid "$a")
    check "daemon: created device exists in sysfs when create returns" "yes" "$(present "$ua")"
    check "daemon: created device has the asked type" "mtty-1" \
        "$(basename "$(readlink "$ND_SYSFS/bus/mdev/devices/$ua/mdev_type" 2>/dev/null)")"
    ub=$(uuid 1001)
    b=$(vcreate "$P_mtty" mtty-2 "$(echo "$ub" | tr 'a-f' 'A-F')")
    check_match "daemon: create mtty-2 with an upper-case uuid" "^mdev_$(echo "$ub" | tr '-' '_')" "$b"
    check "daemon: device with the given uuid exists in sysfs" "yes" "$(present "$ub")"
    xml=$(v nodedev-dumpxml "$b" 2>&1)
    check_match "daemon: dumpxml of the new device has its uuid" "<uuid>$ub</uuid>" "$xml"
    check_match "daemon: dumpxml of the new device has its type" "<type id='mtty-2'/>" "$xml"
    check_match "daemon: dumpxml of the new device has its parent" "<parent>$P_mtty</parent>" "$xml"
    g=$(basename "$(readlink "$ND_SYSFS/bus/mdev/devices/$ub/iommu_group" 2>/dev/null)")
    check_match "daemon: dumpxml has the kernel's iommu group" "<iommuGroup number='$g'/>" "$xml"
    check "daemon: the two devices are listed" \
        "$(printf '%s\n%s\n' "$a" "$b" | sort)" "$(vlist --cap mdev)"
    xml_all
    check "daemon: shared pool mtty-1 through availableInstances" "21" "$(xml_avail "$P_mtty" mtty-1)"
    check "daemon: shared pool mtty-2 through availableInstances" "10" "$(xml_avail "$P_mtty" mtty-2)"
    check "daemon: mtty types match sysfs after creates" \
        "$(sysfs_types mtty)" "$(xml_types "$P_mtty")"
    if wait_for "$ND_WAIT" ev_seen "$a" Created; then
        ok "daemon: lifecycle event Created for a create"
    else
        not_ok "daemon: lifecycle event Created for a create" "$(cat "$ev_file")"
    fi

    # --- duplicate UUID, on another parent
    r=$(vcreate "$P_mdpy" mdpy-vga "$ub")
    check_match "daemon: duplicate uuid refused precisely" "^ERR .*($ERR_UUID_EXISTS)" "$r"
    note "$r"
    check_match "daemon: duplicate uuid error names the uuid" "$ub" "$r"
    check "daemon: no mdpy device after the refused duplicate" "" \
        "$(ls "$(tdir mdpy mdpy-vga)/devices")"

    # --- exhausted pools
    res=""
    i=1100
    while [ $i -lt 1110 ]; do
        res="$res$(vcreate "$P_mtty" mtty-2 "$(uuid $i)" | cut -c1-5) "
        i=$((i + 1))
    done
    check "daemon: ten more mtty-2 fit" \
        "mdev_ mdev_ mdev_ mdev_ mdev_ mdev_ mdev_ mdev_ mdev_ mdev_ " "$res"
    check "daemon: mtty-2 exhausted through availableInstances" "0" "$(xml_avail "$P_mtty" mtty-2)"
    check "daemon: one mtty-1 left through availableInstances" "1" "$(xml_avail "$P_mtty" mtty-1)"
    r=$(vcreate "$P_mtty" mtty-2 "$(uuid 1199)")
    check_match "daemon: exhausted mtty-2 gives no instances left" "^ERR .*($ERR_NO_INSTANCES)" "$r"
    note "$r"
    check "daemon: nothing created by the refused mtty-2" "no" "$(present "$(uuid 1199)")"

    res=""
    for t in mdpy-vga mdpy-xga mdpy-hd mdpy-hd; do
        res="$res$(vcreate "$P_mdpy" "$t" | cut -c1-5) "
    done
    check "daemon: four mdpy fit" "mdev_ mdev_ mdev_ mdev_ " "$res"
    check "daemon: mdpy types exhausted through availableInstances" "0 0 0" \
        "$(for t in mdpy-hd mdpy-vga mdpy-xga; do printf '%s ' "$(xml_avail "$P_mdpy" $t)"; done | sed 's/ $//')"
    r=$(vcreate "$P_mdpy" mdpy-xga "$(uuid 1299)")
    check_match "daemon: exhausted mdpy gives no instances left" "^ERR .*($ERR_NO_INSTANCES)" "$r"
    note "$r"
    check "daemon: nothing created by the refused mdpy" "no" "$(present "$(uuid 1299)")"

    res=""
    for i in 1 2 3 4; do
        res="$res$(vcreate "$P_mbochs" mbochs-large | cut -c1-5) "
    done
    check "daemon: four mbochs-large fit" "mdev_ mdev_ mdev_ mdev_ " "$res"
    check "daemon: mbochs-small exhausted through availableInstances" "0" \
        "$(xml_avail "$P_mbochs" mbochs-small)"
    r=$(vcreate "$P_mbochs" mbochs-small)
    check_match "daemon: exhausted mbochs gives no instances left" "^ERR .*($ERR_NO_INSTANCES)" "$r"
    check "daemon: every pool matches sysfs when full" \
        "$(sysfs_types mtty; sysfs_types mdpy; sysfs_types mbochs)" \
        "$(xml_types "$P_mtty"; xml_types "$P_mdpy"; xml_types "$P_mbochs")"

    # --- <attr>: applied after the create; a failure removes the device
    # again. The samples have no writable vendor attribute: their vendor
    # files sit in vendor/ (read-only), so provoke the failures with
    # names that are not attribute files of the new device.
    ua=$(uuid 1400)
    f="$ND_TMP/attr.xml"
    before=$(avail mtty mtty-1)
    for attr in vendor nope remove vendor/sample_mdev_dev; do
        mdev_xml "$f" "$P_mtty" mtty-1 "$ua" "$attr" 1
        out=$(v nodedev-create "$f" 2>&1)
        check_match "daemon: attribute '$attr' fails the create, naming it" "'$attr'" "$out"
        note "$out"
        check "daemon: nothing left by attribute '$attr'" "no" "$(present "$ua")"
    done
    check "daemon: the pool is back after the failed attributes" "$before" \
        "$(avail mtty mtty-1)"

    # --- destroy
    out=$(v nodedev-destroy "$a" 2>&1)
    check_match "daemon: destroy" "Destroyed node device '$a'" "$out"
    check "daemon: destroyed device gone from sysfs when destroy returns" "no" "$(present "$ua")"
    if wait_for "$ND_WAIT" ev_seen "$a" Deleted; then
        ok "daemon: lifecycle event Deleted for a destroy"
    else
        not_ok "daemon: lifecycle event Deleted for a destroy" "$(cat "$ev_file")"
    fi
    out=$(v nodedev-destroy "$a" 2>&1)
    check_match "daemon: destroy of a gone device is refused" "$ERR_NO_DEVICE" "$out"
    res=0
    for name in $(vlist --cap mdev); do
        v nodedev-destroy "$name" >/dev/null 2>&1 || res=$((res + 1))
    done
    check "daemon: every device destroyed" "0" "$res"
    check "daemon: nothing left in sysfs" "" "$(ls "$ND_SYSFS/bus/mdev/devices")"
    check "daemon: nothing left listed" "" "$(vlist --cap mdev)"
    check "daemon: every pool restored through availableInstances" \
        "$(sysfs_types mtty; sysfs_types mdpy; sysfs_types mbochs)" \
        "$(xml_types "$P_mtty"; xml_types "$P_mdpy"; xml_types "$P_mbochs")"
    check "daemon: mtty-1 back to 24" "24" "$(xml_avail "$P_mtty" mtty-1)"

    # --- define, start, destroy, undefine (mdevctl's files on disk)
    ud=$(uuid 1500)
    f="$ND_TMP/define.xml"
    mdev_xml "$f" "$P_mbochs" mbochs-medium "$ud"
    out=$(v nodedev-define "$f" 2>&1)
    d=$(printf '%s\n' "$out" | sed -n "s/^Node device '\(mdev_[^']*\)' defined from .*/\1/p")
    check_match "daemon: define" "^mdev_$(echo "$ud" | tr '-' '_')" "$d"
    if [ -n "$ND_CONFIG_DIR" ]; then
        def="$ND_CONFIG_DIR/mbochs/$ud"
        check "daemon: definition written to <config>/mbochs/<uuid>" "yes" \
            "$([ -f "$def" ] && echo yes || echo no)"
        check_match "daemon: definition holds the type" '"mdev_type": *"mbochs-medium"' \
            "$(cat "$def" 2>&1)"
        check_match "daemon: definition starts manually" '"start": *"manual"' \
            "$(cat "$def" 2>&1)"
    else
        skip "daemon: definition written to disk" "ND_CONFIG_DIR not set"
    fi
    check "daemon: defined device not in sysfs" "no" "$(present "$ud")"
    check "daemon: defined device listed as inactive" "$d" "$(vlist --cap mdev --inactive)"
    check_match "daemon: nodedev-info says persistent, inactive" \
        'Persistent: *yes.*Active: *no|Active: *no.*Persistent: *yes' \
        "$(v nodedev-info "$d" 2>&1 | tr '\n' ' ')"
    if wait_for "$ND_WAIT" ev_seen "$d" Defined; then
        ok "daemon: lifecycle event Defined"
    else
        not_ok "daemon: lifecycle event Defined" "$(cat "$ev_file")"
    fi
    out=$(v nodedev-start "$d" 2>&1)
    check_match "daemon: start the defined device" "Device $d started|started" "$out"
    check "daemon: started device exists in sysfs" "yes" "$(present "$ud")"
    check "daemon: started device has the defined type" "mbochs-medium" \
        "$(basename "$(readlink "$ND_SYSFS/bus/mdev/devices/$ud/mdev_type" 2>/dev/null)")"
    if [ -n "$ND_MDEVCTL" ]; then
        check "mdevctl: sees the daemon's definition, active" \
            "$ud mbochs mbochs-medium manual (active)" \
            "$(mdevctl list --defined 2>&1 | grep "^$ud")"
        check "mdevctl: sees the device the daemon started, defined" \
            "$ud mbochs mbochs-medium manual (defined)" \
            "$(mdevctl list 2>&1 | grep "^$ud")"
    fi
    check "daemon: mbochs-medium pool lowered" "15" "$(xml_avail "$P_mbochs" mbochs-medium)"
    out=$(v nodedev-start "$d" 2>&1)
    check_match "daemon: starting an active device is refused" 'already active' "$out"
    out=$(v nodedev-destroy "$d" 2>&1)
    check_match "daemon: destroy the started device" "Destroyed" "$out"
    check "daemon: destroyed defined device gone from sysfs" "no" "$(present "$ud")"
    check "daemon: destroyed defined device still defined" "$d" "$(vlist --cap mdev --all)"
    out=$(v nodedev-undefine "$d" 2>&1)
    check_match "daemon: undefine" "Undefined node device '$d'|undefined" "$out"
    if [ -n "$ND_CONFIG_DIR" ]; then
        check "daemon: definition file removed" "no" \
            "$([ -e "$ND_CONFIG_DIR/mbochs/$ud" ] && echo yes || echo no)"
    fi
    check "daemon: undefined device no longer listed" "" "$(vlist --cap mdev --all)"
    if wait_for "$ND_WAIT" ev_seen "$d" Undefined; then
        ok "daemon: lifecycle event Undefined"
    else
        not_ok "daemon: lifecycle event Undefined" "$(cat "$ev_file")"
    fi

    # --- out of band: echo UUID > create, echo 1 > remove
    uo=$(uuid 1600)
    check "daemon: out-of-band create (raw sysfs write)" "OK" "$(kcreate mdpy mdpy-hd "$uo")"
    oname=""
    find_oob() {
        oname=$(vlist --cap mdev | grep "^mdev_$(echo "$uo" | tr '-' '_')")
        [ -n "$oname" ]
    }
    if wait_for "$ND_WAIT" find_oob; then
        ok "daemon: out-of-band device listed"
    else
        not_ok "daemon: out-of-band device listed" "$(vlist --cap mdev)"
    fi
    find_oob
    if [ -n "$oname" ] && wait_for "$ND_WAIT" ev_seen "$oname" Created; then
        ok "daemon: lifecycle event Created for an out-of-band create"
    else
        not_ok "daemon: lifecycle event Created for an out-of-band create" "$(cat "$ev_file")"
    fi
    check_match "daemon: out-of-band device has its type" "<type id='mdpy-hd'/>" \
        "$(v nodedev-dumpxml "$oname" 2>&1)"
    check "daemon: pool lowered by the out-of-band create" "3" "$(xml_avail "$P_mdpy" mdpy-vga)"
    check "daemon: out-of-band remove (raw sysfs write)" "OK" \
        "$(kwrite "$ND_SYSFS/bus/mdev/devices/$uo/remove" 1)"
    gone_oob() {
        [ -z "$(vlist --cap mdev)" ]
    }
    if wait_for "$ND_WAIT" gone_oob; then
        ok "daemon: out-of-band removal seen"
    else
        not_ok "daemon: out-of-band removal seen" "$(vlist --cap mdev)"
    fi
    if [ -n "$oname" ] && wait_for "$ND_WAIT" ev_seen "$oname" Deleted; then
        ok "daemon: lifecycle event Deleted for an out-of-band remove"
    else
        not_ok "daemon: lifecycle event Deleted for an out-of-band remove" "$(cat "$ev_file")"
    fi

    # --- mdevctl 1.2 working behind the daemon's back, as libvirt did
    if [ -n "$ND_MDEVCTL" ]; then
        um=$(uuid 1900)
        nm="mdev_$(echo "$um" | tr '-' '_')_mtty"
        out=$(mdevctl start -u "$um" -p mtty -t mtty-1 2>&1)
        check "mdevctl: start a transient device" "yes" "$(present "$um")"
        [ -n "$out" ] && note "$out"
        if wait_for "$ND_WAIT" ev_seen "$nm" Created; then
            ok "mdevctl: the daemon reports its start (Created)"
        else
            not_ok "mdevctl: the daemon reports its start (Created)" "$(cat "$ev_file")"
        fi
        check "mdevctl: the daemon lists it" "$nm" "$(vlist --cap mdev)"
        out=$(mdevctl stop -u "$um" 2>&1)
        check "mdevctl: stop it" "no" "$(present "$um")"
        if wait_for "$ND_WAIT" ev_seen "$nm" Deleted; then
            ok "mdevctl: the daemon reports its stop (Deleted)"
        else
            not_ok "mdevctl: the daemon reports its stop (Deleted)" "$(cat "$ev_file")"
        fi

        ud2=$(uuid 1901)
        nd2="mdev_$(echo "$ud2" | tr '-' '_')_mdpy"
        out=$(mdevctl define -u "$ud2" -p mdpy -t mdpy-hd 2>&1)
        check "mdevctl: define" "yes" \
            "$([ -f "$ND_CONFIG_DIR/mdpy/$ud2" ] && echo yes || echo no)"
        if wait_for "$ND_WAIT" ev_seen "$nd2" Defined; then
            ok "mdevctl: the daemon reports its definition (Defined)"
        else
            not_ok "mdevctl: the daemon reports its definition (Defined)" "$(cat "$ev_file")"
        fi
        check "mdevctl: the daemon lists it as inactive" "$nd2" "$(vlist --cap mdev --inactive)"
        out=$(v nodedev-start "$nd2" 2>&1)
        check "mdevctl: the daemon starts mdevctl's definition" "yes" "$(present "$ud2")"
        check_match "mdevctl: and destroys it" "Destroyed" "$(v nodedev-destroy "$nd2" 2>&1)"
        out=$(mdevctl undefine -u "$ud2" 2>&1)
        check "mdevctl: undefine" "no" \
            "$([ -e "$ND_CONFIG_DIR/mdpy/$ud2" ] && echo yes || echo no)"
        if wait_for "$ND_WAIT" ev_seen "$nd2" Undefined; then
            ok "mdevctl: the daemon reports its undefinition (Undefined)"
        else
            not_ok "mdevctl: the daemon reports its undefinition (Undefined)" "$(cat "$ev_file")"
        fi
        check "mdevctl: nothing left listed" "" "$(vlist --cap mdev --all)"
    else
        skip "mdevctl: against the daemon's files and sysfs" "ND_MDEVCTL not set"
    fi

    # --- a parent goes away and comes back (rmmod/insmod on the kernel)
    if [ -n "${ND_PARENT_CTL:-}" ]; then
        up1=$(uuid 2000)
        np1="mdev_$(echo "$up1" | tr '-' '_')_mdpy"
        up2=$(uuid 2001)
        np2="mdev_$(echo "$up2" | tr '-' '_')_mdpy"
        check_match "parent: a transient device on mdpy" "^$np1" \
            "$(vcreate "$P_mdpy" mdpy-vga "$up1")"
        mdev_xml "$ND_TMP/p.xml" "$P_mdpy" mdpy-xga "$up2"
        check_match "parent: a defined device on mdpy" "defined" \
            "$(v nodedev-define "$ND_TMP/p.xml" 2>&1)"
        out=$($ND_PARENT_CTL down mdpy 2>&1)
        check "parent: mdpy unregistered" "no" \
            "$([ -e "$ND_SYSFS/class/mdev_bus/mdpy" ] && echo yes || echo no)"
        [ -n "$out" ] && note "$out"
        # a virtual parent's device goes with its module (a PCI parent
        # would stay, only without mdev_supported_types)
        check "parent: its device directory is gone" "no" \
            "$([ -e "$ND_SYSFS/devices/virtual/mdpy/mdpy" ] && echo yes || echo no)"
        check "parent: its device went with it" "no" "$(present "$up1")"
        if wait_for "$ND_WAIT" ev_seen "$np1" Deleted; then
            ok "parent: Deleted event for its device"
        else
            not_ok "parent: Deleted event for its device" "$(cat "$ev_file")"
        fi
        gone_parent() {
            ! vlist | grep -qx "$P_mdpy"
        }
        if wait_for "$ND_WAIT" gone_parent; then
            ok "parent: no longer listed"
        else
            not_ok "parent: no longer listed" "$(vlist)"
        fi
        check "parent: the transient device no longer listed, the defined one is" \
            "$np2" "$(vlist --cap mdev --all | grep _mdpy)"
        out=$(v nodedev-start "$np2" 2>&1)
        check "parent: starting a device of a missing parent creates nothing" \
            "no" "$(present "$up2")"
        check_match "parent: and says why" "error" "$out"
        note "$out"
        out=$($ND_PARENT_CTL up mdpy 2>&1)
        check "parent: mdpy registered again" "yes" \
            "$([ -e "$ND_SYSFS/class/mdev_bus/mdpy" ] && echo yes || echo no)"
        [ -n "$out" ] && note "$out"
        back_parent() {
            vlist | grep -qx "$P_mdpy"
        }
        if wait_for "$ND_WAIT" back_parent; then
            ok "parent: listed again"
        else
            not_ok "parent: listed again" "$(vlist)"
        fi
        check "parent: its types are back" "$(sysfs_types mdpy)" "$(xml_types "$P_mdpy")"
        # the daemon may see the parent's return a little later (mdevsim
        # sends no uevents; the daemon rescans)
        start_again() {
            v nodedev-start "$np2" > "$ND_TMP/start.out" 2>&1
            exists "$up2"
        }
        if wait_for "$ND_WAIT" start_again; then
            ok "parent: the defined device starts again"
        else
            not_ok "parent: the defined device starts again" "$(cat "$ND_TMP/start.out")"
        fi
        # the counts of the returned parent, read again after that create
        check "parent: its counts follow a create after its return" \
            "$(sysfs_types mdpy)" "$(xml_types "$P_mdpy")"
        v nodedev-destroy "$np2" >/dev/null 2>&1
        v nodedev-undefine "$np2" >/dev/null 2>&1
        check "parent: nothing left" "" "$(vlist --cap mdev --all)"
    else
        skip "parent: unregister and register again" "ND_PARENT_CTL not set"
    fi

    ev_stop

    # --- destroy refused while a process holds the VFIO device fd
    if [ "$ND_VFIO" = 1 ] || [ "$ND_VFIO" = sim ]; then
        uh=$(uuid 1700)
        h=$(vcreate "$P_mtty" mtty-1 "$uh")
        check_match "daemon: create a device to hold" '^mdev_' "$h"
        # not in $(...): the holder's pid must stay in this shell
        if hold_start "$uh" > "$ND_TMP/hold.err" 2>&1; then
            ok "daemon: a process holds the device (VFIO device fd)"
        else
            not_ok "daemon: a process holds the device (VFIO device fd)" \
                "$(cat "$ND_TMP/hold.err")"
        fi
        out=$(v nodedev-destroy "$h" 2>&1)
        check_match "daemon: destroy refused while in use" "$ERR_IN_USE" "$out"
        note "$out"
        check "daemon: held device still exists" "yes" "$(present "$uh")"
        check "daemon: held device still listed" "$h" "$(vlist --cap mdev)"
        hold_stop "$uh"
        out=$(v nodedev-destroy "$h" 2>&1)
        check_match "daemon: destroy once released" "Destroyed" "$out"
        check "daemon: released device gone" "no" "$(present "$uh")"
    else
        skip "daemon: destroy refused while in use" "no way to hold a device here"
    fi

    # --- the read-only socket
    if [ -n "$ND_URI_RO" ]; then
        mdev_xml "$ND_TMP/ro.xml" "$P_mtty" mtty-1
        out=$(vro nodedev-create "$ND_TMP/ro.xml" 2>&1)
        check_match "daemon: read-only socket refuses create" "$ERR_READ_ONLY" "$out"
        note "$out"
        check "daemon: read-only socket lists parents" \
            "$(vlist --cap mdev_types)" \
            "$(vro nodedev-list --cap mdev_types 2>&1 | sed -e '/^[[:space:]]*$/d' -e 's/^[[:space:]]*//' | sort)"
    fi

    cleanup_all
}
