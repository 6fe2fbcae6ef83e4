# shellcheck shell=bash
# shellcheck disable=SC2154  # root, work, kver, here: set by run.sh
# The boot timing of `make boot-e2e` (sourced by tests/boot/run.sh after
# its other boots; uses its $root, $work, $kver, boot() and check()).
# Each configuration gets its own disk image (the packaged root without
# the test's 90-boot.conf and checks) and a shell-init initramfs with the
# package's dracut module 90kvmtune (the initrd hook) and 99kvmtune-timing
# (marks in the kernel log around the hook).  udev runs kvmtune through
# timing/kvmtune-udev-timed (an /etc copy of 81-kvmtune.rules), which notes
# each run's wall and CPU time.  The guest (timing/kvmtune-boot-timing)
# prints the figures; this prints them as a table, per boot and the median.
# Nothing is asserted on a time.
#
# Configurations (BOOT_TIMING_CONFS, default "defaults"):
#   defaults       the packaged conf.d alone
#   heavy-initrd   + 10 per-interface [sysctl] globs over 1,000 interfaces
#                  (996 dummies made before kvmtune.service, for which the
#                  udev rule runs no kvmtune: its figures stay the real
#                  devices') and
#                  [hugepages "1G"] pages = 1, reserved by the initrd hook
#   heavy-cmdline  the same with the pool at = cmdline: the kernel gets
#                  hugepagesz=1G hugepages=1 from qemu's -append, which is
#                  what [cmdline]'s GRUB drop-in gives it after a reboot
#                  (tests/boot-grub's "ref" boot shows the two reserve alike);
#                  the image holds a stub /etc/default/grub and that drop-in
# BOOT_TIMING_BOOTS boots of each (default 1).  All timing boots run with
# -cpu max (1G pages under TCG) and 6 GiB (the initramfs stage finds a free 1G block above 4G).

timing_here=$here/timing
timing_per_if_keys='net.ipv4.conf.*.rp_filter = 1
net.ipv4.conf.*.log_martians = 1
net.ipv4.conf.*.accept_redirects = 0
net.ipv4.conf.*.send_redirects = 0
net.ipv4.conf.*.secure_redirects = 0
net.ipv4.conf.*.arp_ignore = 1
net.ipv4.conf.*.arp_announce = 2
net.ipv4.conf.*.arp_filter = 1
net.ipv6.conf.*.accept_ra = 0
net.ipv6.conf.*.accept_redirects = 0'

# timing_root: turn $root (its image already made) into the timing root
timing_root() {
	rm -f "$root"/etc/kvmtune/conf.d/*.conf "$root/etc/systemd/system/multi-user.target.wants/kvmtune-boot-check.service"
	install -m 0755 "$timing_here/kvmtune-boot-timing" "$timing_here/kvmtune-udev-timed" \
		"$timing_here/kvmtune-timing-dummies" "$root/usr/local/sbin/"
	install -m 0644 "$timing_here/kvmtune-boot-timing.service" "$timing_here/kvmtune-timing-dummies.service" \
		"$root/etc/systemd/system/"
	ln -sf ../kvmtune-boot-timing.service "$root/etc/systemd/system/multi-user.target.wants/kvmtune-boot-timing.service"
	mkdir -p "$root/etc/udev/rules.d"
	sed 's|/usr/sbin/kvmtune apply|/usr/local/sbin/kvmtune-udev-timed apply|' \
		"$root/lib/udev/rules.d/81-kvmtune.rules" > "$root/etc/udev/rules.d/81-kvmtune.rules"
	grep -q kvmtune-udev-timed "$root/etc/udev/rules.d/81-kvmtune.rules" || die "the udev rule has no kvmtune run to time"
	# dracut: its own modules, the package's 90kvmtune (as installed in the root), and ours
	mkdir -p "$work/tdracut/modules.d" "$work/tkv"
	for f in /usr/lib/dracut/*; do [ "${f##*/}" = modules.d ] || ln -sf "$f" "$work/tdracut/"; done
	for m in /usr/lib/dracut/modules.d/*; do
		case ${m##*/} in 90kvmtune | 99kvmtune-timing) ;; *) ln -sf "$m" "$work/tdracut/modules.d/" ;; esac
	done
	ln -sfn "$root/usr/lib/dracut/modules.d/90kvmtune" "$work/tdracut/modules.d/90kvmtune"
	ln -sfn "$timing_here/99kvmtune-timing" "$work/tdracut/modules.d/99kvmtune-timing"
}

# timing_image CONF: $work/vda-CONF.img and $work/timing-CONF.img (initramfs)
timing_image() {
	local c=$1 d=$root/etc/kvmtune/conf.d
	rm -f "$d"/*.conf "$root/etc/systemd/system/sysinit.target.wants/kvmtune-timing-dummies.service"
	sed -i '/^KERNEL=="kvd\*", GOTO="kvmtune_end"$/d' "$root/etc/udev/rules.d/81-kvmtune.rules"
	rm -rf "$root/etc/default/grub" "$root/etc/default/grub.d"
	case $c in
	defaults) ;;
	heavy-*)
		printf '# boot timing: 10 keys on every interface\n[sysctl]\n%s\n' "$timing_per_if_keys" > "$d/70-timing-per-if.conf"
		printf '[hugepages "1G"]\npages = 1\n' > "$d/70-timing-1g.conf"
		ln -sf ../kvmtune-timing-dummies.service "$root/etc/systemd/system/sysinit.target.wants/kvmtune-timing-dummies.service"
		# udev runs no kvmtune for the dummies: the boot's udev figures stay those
		# of the real devices at coldplug
		sed -i '/^ACTION=="remove"/a KERNEL=="kvd*", GOTO="kvmtune_end"' "$root/etc/udev/rules.d/81-kvmtune.rules"
		;;
	esac
	if [ "$c" = heavy-cmdline ]; then
		printf 'at = cmdline\n' >> "$d/70-timing-1g.conf"
		mkdir -p "$root/etc/default/grub.d"
		echo 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"' > "$root/etc/default/grub"
		printf '%s\n' '# Written by kvmtune from its [cmdline] section and the [hugepages] pools' \
			'# at = cmdline; kvmtune owns this file whole and rewrites or removes it.' \
			'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT hugepagesz=1G hugepages=1"' \
			> "$root/etc/default/grub.d/kvmtune.cfg"
	fi
	rm -f "$work/vda-$c.img"
	truncate -s 2G "$work/vda-$c.img"
	mkfs.ext4 -q -F -L root -d "$root" "$work/vda-$c.img" || die "mkfs.ext4 -d ($c) failed"
	env dracutbasedir="$work/tdracut" kvmtune_binary="$root/usr/sbin/kvmtune" kvmtune_confroot="$root" \
		dracut --force --quiet --no-hostonly --no-hostonly-cmdline --conf /dev/null --confdir "$work/dracut.conf.d" \
		--tmpdir "$work" --kver "$kver" --kmoddir "$root/lib/modules/$kver" \
		--modules "base rootfs-block kernel-modules udev-rules kvmtune kvmtune-timing" \
		--drivers "virtio_pci virtio_blk ext4 virtio_net" \
		--no-compress --no-early-microcode "$work/timing-$c.img" > "$work/timing-$c.dracut.log" 2>&1 \
		|| { sed 's/^/    /' "$work/timing-$c.dracut.log"; die "dracut (timing $c) failed"; }
	cpio -it --quiet < "$work/timing-$c.img" > "$work/timing-$c.list" 2> /dev/null
	grep -q 'pre-udev/05-kvmtune-initrd\.sh$' "$work/timing-$c.list"
	check "timing initramfs ($c) holds kvmtune's hook" $?
}

# one column of the table: the median of the boots' figures (microseconds)
timing_median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
ms() { awk -v u="$1" 'BEGIN { if (u == "") print "-"; else printf "%.1f", u / 1000 }'; }

timing_boots() {
	local n=${BOOT_TIMING_BOOTS:-1} c i f name
	timing_root
	for c in ${BOOT_TIMING_CONFS:-defaults}; do
		timing_image "$c"
		local extra="kvmtune_boot.conf=$c"
		[ "$c" = heavy-cmdline ] && extra="$extra hugepagesz=1G hugepages=1"
		for i in $(seq "$n"); do
			name=timing-$c-$i
			boot_disk=vda-$c.img boot_qemu="-cpu max" boot_mem=6144 boot "$name" "timing-$c" timing "$extra"
			sed -n 's/^KVMTUNE-BOOT: timing //p' "$work/$name.txt" > "$work/$name.fig"
			sed -n 's/^KVMTUNE-BOOT: analyze //p' "$work/$name.txt" > "$work/$name.analyze"
		done
	done
	echo
	echo "boot timing (ms; each boot, then the median; -smp 1 TCG, other jobs share the host's CPUs):"
	for c in ${BOOT_TIMING_CONFS:-defaults}; do
		echo "  $c ($n boots):"
		for f in unit:kvmtune.service unit:systemd-sysctl.service unit:systemd-modules-load.service \
			cpu:kvmtune.service cpu:systemd-sysctl.service cpu:systemd-modules-load.service \
			rerun:kvmtune.service rerun:kvmtune-without-sandbox rerun:systemd-sysctl.service \
			sandbox:none sandbox:syscallfilter sandbox:ipaddressdeny sandbox:devicepolicy \
			sandbox:addressfamilies sandbox:restrict-small sandbox:caps initrd-hook kernel-to-kvmtune-done kernel-to-sysinit; do
			local vals=() all
			for i in $(seq "$n"); do vals+=("$(ms "$(awk -v f="$f" '$1 == f { print $2 }' "$work/timing-$c-$i.fig")")"); done
			all=$(for i in $(seq "$n"); do awk -v f="$f" '$1 == f { print $2 }' "$work/timing-$c-$i.fig"; done | timing_median)
			printf '    %-40s %s  median %s\n' "$f" "${vals[*]}" "$(ms "$all")"
		done
		for f in run:true run:kvmtune-no-section run:kvmtune-named-disk; do
			local w c
			w=$(for i in $(seq "$n"); do awk -v f="$f" '$1 == f { print $2 }' "$work/timing-$c-$i.fig"; done | timing_median)
			c=$(for i in $(seq "$n"); do awk -v f="$f" '$1 == f { print $3 }' "$work/timing-$c-$i.fig"; done | timing_median)
			printf '    %-40s wall %s ms, CPU %s ms per run (medians)\n' "$f" "$(ms "$w")" "$(ms "$c")"
		done
		for f in udev:all udev:netdev udev:block udev:cpu; do
			local runs cpu real
			runs=$(for i in $(seq "$n"); do awk -v f="$f" '$1 == f { print $2 }' "$work/timing-$c-$i.fig"; done | timing_median)
			real=$(for i in $(seq "$n"); do awk -v f="$f" '$1 == f { print $3 }' "$work/timing-$c-$i.fig"; done | timing_median)
			cpu=$(for i in $(seq "$n"); do awk -v f="$f" '$1 == f { print $4 }' "$work/timing-$c-$i.fig"; done | timing_median)
			printf '    %-40s runs %s, CPU %s ms, wall (sum) %s ms (medians)\n' "$f kvmtune runs" "${runs:--}" "$(ms "$cpu")" "$(ms "$real")"
		done
		printf '    interfaces %s, per-interface keys %s\n' \
			"$(awk '$1 == "interfaces" { print $2 }' "$work/timing-$c-1.fig")" \
			"$(awk '$1 == "per-interface-keys" { print $2 }' "$work/timing-$c-1.fig")"
		sed 's/^/      /' "$work/timing-$c-1.analyze"
	done
}
