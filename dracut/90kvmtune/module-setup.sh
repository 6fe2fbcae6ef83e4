#!/bin/bash
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2154  # initdir, moddir, hostonly: set by dracut
# dracut module 90kvmtune: run `kvmtune apply --stage=initrd` in the
# initramfs, before udev starts and long before the root file system is
# mounted, so hugepages are reserved before memory fragments and the
# modules, sysctls, conntrack and KSM settings are in place before any
# driver or network interface comes up.
#
# Two optional dracut.conf(5) variables (or environment variables) let a
# build tree be tested without installing it (tests/e2e uses them):
#   kvmtune_binary=PATH    the kvmtune to install as /usr/sbin/kvmtune
#                          (default: /usr/sbin/kvmtune)
#   kvmtune_confroot=DIR   take the configuration from under DIR, as
#                          `kvmtune --root DIR` would (default: the
#                          dracut sysroot, normally /)

# The configuration directories that exist at boot without /run, highest
# priority first (the spec's search path less /run/kvmtune/conf.d, which is
# created at run time and empty when the initramfs is built).
kvmtune_confdirs="/etc/kvmtune/conf.d /usr/local/lib/kvmtune/conf.d /usr/lib/kvmtune/conf.d"

kvmtune_bin() {
    echo "${kvmtune_binary:-$dracutsysrootdir/usr/sbin/kvmtune}"
}

kvmtune_root() {
    local _r=${kvmtune_confroot:-$dracutsysrootdir}
    echo "${_r%/}"
}

# The effective configuration (masks and overrides resolved) as one text,
# from `kvmtune cat-config`, or, if that cannot run (a --sysroot for another
# architecture), every *.conf of the search path: over-reading only costs
# an unneeded module in the image.
kvmtune_config_text() {
    local _root _bin _d _f
    _root=$(kvmtune_root)
    _bin=$(kvmtune_bin)
    if "$_bin" ${_root:+--root "$_root"} cat-config 2> /dev/null; then
        return 0
    fi
    for _d in $kvmtune_confdirs; do
        for _f in "$_root$_d"/*.conf; do
            [[ -f $_f ]] && cat "$_f"
        done
    done
    return 0
}

# The modules that `apply --stage=initrd` may load: [modules] load lists and
# the spec's auto-load rules ([sysctl] keys that need a module, [conntrack]
# unless it says load = no).  Printed one per line.
kvmtune_needed_modules() {
    kvmtune_config_text | awk '
        function trim(s) { gsub(/^[ \t]+|[ \t\r]+$/, "", s); return s }
        function want(m) { if (m ~ /^[A-Za-z0-9_-]+$/) print m }
        /^[ \t]*[#;]/ { next }
        /^[ \t]*\[/ {
            sec = $0
            sub(/^[ \t]*\[[ \t]*/, "", sec)
            sub(/[ \t"\]].*$/, "", sec)
            next
        }
        {
            line = $0
            sub(/[ \t][#;].*$/, "", line)
            eq = index(line, "=")
            if (!eq) next
            key = trim(substr(line, 1, eq - 1))
            val = trim(substr(line, eq + 1))
            if (sec == "modules" && key == "load") {
                n = split(val, m, /[ \t,]+/)
                for (i = 1; i <= n; i++) want(m[i])
            } else if (sec == "sysctl") {
                sub(/^-/, "", key)
                gsub(/\//, ".", key)
                if (key == "net.ipv4.tcp_congestion_control") want("tcp_" val)
                else if (key ~ /^net\.netfilter\.nf_conntrack_/ || key == "net.nf_conntrack_max") want("nf_conntrack")
                else if (key ~ /^net\.bridge\./) want("br_netfilter")
            } else if (sec == "conntrack") {
                if (key == "load") ct_load = tolower(val)
                else if (key == "max" || key == "hashsize") ct_used = 1
            }
        }
        END {
            if (ct_used && ct_load !~ /^(no|false|off|0)$/) want("nf_conntrack")
        }' | sort -u
}

# called by dracut
check() {
    local _root _d _f
    require_binaries "$(kvmtune_bin)" || return 1
    # A generic image gets the module whenever kvmtune is installed; a
    # host-only image only when this host has a configuration to apply.
    if [[ $hostonly ]]; then
        _root=$(kvmtune_root)
        for _d in $kvmtune_confdirs; do
            for _f in "$_root$_d"/*.conf; do
                [[ -e $_f || -L $_f ]] && return 0
            done
        done
        return 255
    fi
    return 0
}

# called by dracut
depends() {
    return 0
}

# called by dracut
installkernel() {
    local _mods
    _mods=$(kvmtune_needed_modules)
    [[ $_mods ]] || return 0
    # hostonly='' : a module the configuration names is needed even when
    # the host has not loaded it yet.
    # shellcheck disable=SC2086
    hostonly='' instmods $_mods
}

# Install one configuration directory: *.conf only, masks kept as masks
# (a symlink to /dev/null keeps its link text; empty files stay empty).
kvmtune_install_confdir() {
    local _root=$1 _dir=$2 _f _name
    [[ -d $_root$_dir ]] || return 0
    inst_dir "$_dir"
    for _f in "$_root$_dir"/*.conf; do
        [[ -e $_f || -L $_f ]] || continue
        _name=${_f##*/}
        if [[ -L $_f && $(readlink "$_f") == /dev/null ]]; then
            ln -sfn /dev/null "$initdir$_dir/$_name"
        else
            inst_simple "$_f" "$_dir/$_name"
        fi
    done
}

# Install a library that is dlopen()ed, with its own dependencies: the first
# match in dracut's library directories (native ones come before lib32).
# dracut resolves dependencies only for executables (and, when it resolves
# lazily, only in one pass over executable files at the end), so a
# dlopen()ed library, mode 0644, gets an explicit pass.
kvmtune_inst_dlopen() {
    local _so=$1 _dir _real
    for _dir in $libdirs; do
        [[ -e $dracutsysrootdir$_dir/$_so ]] || continue
        inst_library "$_dir/$_so" || return 1
        _real=$(readlink -f "$dracutsysrootdir$_dir/$_so")
        _real=${_real#"$dracutsysrootdir"}
        [[ -f $initdir$_real ]] || _real=$_dir/$_so
        # shellcheck disable=SC2086
        $DRACUT_INSTALL ${initdir:+-D "$initdir"} ${dracutsysrootdir:+-r "$dracutsysrootdir"} \
            ${DRACUT_FIPS_MODE:+-f} -R "$initdir$_real" || return 1
        return 0
    done
    return 1
}

# called by dracut
install() {
    local _bin _root _d _so _full
    _bin=$(kvmtune_bin)
    _root=$(kvmtune_root)

    inst_binary "$_bin" /usr/sbin/kvmtune

    # A static kvmtune runs its dynamically linked twin, kvmtune-full, for a
    # configuration that loads modules or mounts: install it where the
    # binary looks (the path it was built with), from beside the binary
    # (a build tree) or from that path.
    _full=$(grep -aoE '/[A-Za-z0-9_./+-]*/kvmtune-full' "$_bin" 2> /dev/null | head -n 1)
    _full=${_full:-/usr/lib/kvmtune/kvmtune-full}
    if [[ -x ${_bin%/*}/kvmtune-full ]]; then
        inst_binary "${_bin%/*}/kvmtune-full" "$_full"
    elif [[ -x $dracutsysrootdir$_full ]]; then
        inst_binary "$dracutsysrootdir$_full" "$_full"
    fi

    # kvmtune dlopen()s libkmod and libmount on first use; ldd (and so
    # inst_binary) does not see those.  Install the known ones and any other
    # soname its .note.dlopen names ("soname":["libfoo.so.1",...]).
    for _so in libkmod.so.2 libmount.so.1 \
        $(grep -aoE '"soname":\[[^]]*\]' "$_bin" 2> /dev/null | grep -oE 'lib[A-Za-z0-9_.+-]+\.so[.0-9]*' | sort -u); do
        kvmtune_inst_dlopen "$_so" || dwarn "kvmtune: cannot find $_so, which kvmtune loads at run time"
    done

    for _d in $kvmtune_confdirs; do
        kvmtune_install_confdir "$_root" "$_d"
    done

    # libkmod applies modprobe.d options and blacklists, as modprobe does on
    # the booted system (dracut's kernel-modules does this only host-only).
    inst_multiple -o /etc/modprobe.d/*.conf /usr/lib/modprobe.d/*.conf /lib/modprobe.d/*.conf

    # Under systemd the hook logs through systemd-cat (see the hook).
    dracut_module_included "systemd" && inst_multiple -o systemd-cat

    inst_hook pre-udev 05 "$moddir/kvmtune-initrd.sh"
}
