/* SPDX-License-Identifier: MIT */
/*
 * kvmtune import of ethtool settings on a fake root: rc.local's ethtool
 * lines (under sudo, with a path, in a for loop), TuneD's [net] ring=,
 * channels=, features=, coalesce=; udev rules that RUN ethtool; up,
 * post-up and pre-up lines and the ethtool hook's options in
 * /etc/network/interfaces and interfaces.d.  Each line carried or reported
 * with its reason; the printed configuration applied on the fake ethtool
 * state of ROOT/ethtool/DEV puts every value in place.
 */
#include "want.h"

static int setup(void **state)
{
        fr_setup(state);
        const char *root = *state;
        fr_write(root, "sys/devices/pci0000:00/0000:00:03.0/net/eth1/tx_queue_len", "1000\n");
        fr_symlink(root, "../../devices/pci0000:00/0000:00:03.0/net/eth1", "sys/class/net/eth1");
        for (int i = 0; i < 2; i++) {
                const char *dev = i ? "eth1" : "eth0";
                char rel[64];
                snprintf(rel, sizeof(rel), "ethtool/%s/ring", dev);
                fr_write(root, rel, "rx 256\nrx-max 4096\ntx 256\ntx-max 4096\n");
                snprintf(rel, sizeof(rel), "ethtool/%s/channels", dev);
                fr_write(root, rel, "combined 1\ncombined-max 8\n");
                snprintf(rel, sizeof(rel), "ethtool/%s/coalesce", dev);
                fr_write(root, rel, "rx-usecs 3\nadaptive-rx 0\nadaptive-tx 0\n");
                snprintf(rel, sizeof(rel), "ethtool/%s/features", dev);
                fr_write(root, rel, "rx-gro on\nrx-lro on\ntx-tcp-segmentation on\ntx-tcp6-segmentation on\n");
        }
        return 0;
}

static char *field(const char *root, const char *rel, const char *name)
{
        char *text = fr_read(root, rel), *out = NULL;
        size_t n = strlen(name);

        for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l))
                if (!strncmp(l, name, n) && l[n] == ' ') {
                        out = strndup(l + n + 1, strcspn(l + n + 1, "\n"));
                        break;
                }
        free(text);
        return out;
}

static void want_field(const char *root, const char *rel, const char *name, const char *want)
{
        char *v = field(root, rel, name);

        if (!v || strcmp(v, want)) {
                fprintf(stderr, "%s %s: '%s', wanted '%s'\n", rel, name, v ? v : "(none)", want);
                fail();
        }
        free(v);
}

static void tuned_net(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, "usr/lib/tuned/nic/tuned.conf",
                 "[main]\n"
                 "summary=NICs\n"
                 "[net]\n"
                 "devices=eth0, eth1\n"
                 "ring=rx 4096 tx 4096\n"                               /* 5 */
                 "channels=combined 8\n"                                /* 6 */
                 "features=gro off; tso off\n"                          /* 7 */
                 "coalesce=adaptive-rx: on, rx-usecs: 50\n"             /* 8 */
                 "txqueuelen=5000\n"                                    /* 9 */
                 "pause=autoneg off\n"                                  /* 10 */
                 "[net_bad]\n"                                          /* before [net_all]: TuneD gives */
                 "type=net\n"                                           /* a device to the first instance */
                 "devices=eth2\n"
                 "coalesce=rx-usecs-irq 5\n"                            /* 14 */
                 "ring=rx\n"                                            /* 15 */
                 "[net_all]\n"
                 "type=net\n"
                 "features=lro off\n");                                 /* 18: no devices= */
        fr_write(root, "etc/tuned/active_profile", "nic\n");
        kv_run(&r, root, "import", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "nic/tuned.conf:5: carried: ring=rx 4096 tx 4096");
        want_in("stderr", r.err, "nic/tuned.conf:7: carried: features=gro off; tso off");
        want_in("stderr", r.err, "nic/tuned.conf:8: carried: coalesce=adaptive-rx: on, rx-usecs: 50");
        want_in("stderr", r.err, "nic/tuned.conf:9: carried: txqueuelen=5000");
        want_in("stderr", r.err, "nic/tuned.conf:10: not carried: pause=autoneg off: TuneD's [net] pause has no kvmtune form");
        want_in("stderr", r.err, "nic/tuned.conf:18: not carried: features=lro off: TuneD's [net] without devices= tunes "
                                 "every physical interface");
        want_in("stderr", r.err, "nic/tuned.conf:14: not carried: coalesce=rx-usecs-irq 5: ethtool -C rx-usecs-irq has "
                                 "no kvmtune form");
        want_in("stderr", r.err, "nic/tuned.conf:15: not carried: ring=rx: ethtool -G eth2: parameters come in NAME VALUE pairs");
        want_in("stdout", r.out, "[netdev \"eth0 eth1\"]\n");
        want_in("stdout", r.out, "ring.rx = 4096\n");
        want_in("stdout", r.out, "channels.combined = 8\n");
        want_in("stdout", r.out, "features.gro = off\n");
        want_in("stdout", r.out, "features.tso = off\n");
        want_in("stdout", r.out, "coalesce.adaptive-rx = on\n");
        want_in("stdout", r.out, "coalesce.rx-usecs = 50\n");
        apply_imported(root, r.out);
        run_result_free(&r);
        for (int i = 0; i < 2; i++) {
                const char *d = i ? "ethtool/eth1/" : "ethtool/eth0/";
                char rel[64];
                snprintf(rel, sizeof(rel), "%sring", d);
                want_field(root, rel, "tx", "4096");
                snprintf(rel, sizeof(rel), "%schannels", d);
                want_field(root, rel, "combined", "8");
                snprintf(rel, sizeof(rel), "%sfeatures", d);
                want_field(root, rel, "rx-gro", "off");
                want_field(root, rel, "tx-tcp6-segmentation", "off");
                snprintf(rel, sizeof(rel), "%scoalesce", d);
                want_field(root, rel, "adaptive-rx", "1");
                want_field(root, rel, "rx-usecs", "50");
        }
        want_value(root, "sys/class/net/eth1/tx_queue_len", "5000");
}

static void udev_run(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, "etc/udev/rules.d/70-nic.rules",
                 "ACTION==\"add\", SUBSYSTEM==\"net\", KERNEL==\"eth*\", RUN+=\"/sbin/ethtool -G %k rx 2048 tx 2048\"\n"
                 "SUBSYSTEM==\"net\", ACTION==\"add\", NAME==\"eth1\", RUN+=\"/usr/sbin/ethtool -K $name lro off\"\n"
                 "ACTION==\"add\", SUBSYSTEM==\"net\", RUN+=\"/usr/sbin/ethtool -C eth0 adaptive-rx on\"\n"
                 "ACTION==\"add\", SUBSYSTEM==\"net\", DRIVERS==\"ixgbe\", RUN+=\"/sbin/ethtool -K %k gro off\"\n"   /* 4 */
                 "ACTION==\"add\", SUBSYSTEM==\"net\", KERNEL==\"eth*\", RUN+=\"/bin/sh -c 'ethtool -K $env{INTERFACE} gro off'\"\n"
                 "ACTION==\"add\", SUBSYSTEM==\"net\", KERNEL==\"eth*\", RUN+=\"/sbin/ethtool -s %k speed 1000\"\n"   /* 6 */
                 "ACTION==\"remove\", SUBSYSTEM==\"net\", RUN+=\"/sbin/ethtool -K %k gro on\"\n");                /* 7 */
        kv_run(&r, root, "import", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "70-nic.rules:1: carried:");
        want_in("stderr", r.err, "70-nic.rules:2: carried:");
        want_in("stderr", r.err, "70-nic.rules:3: carried:");
        want_in("stderr", r.err, "70-nic.rules:4: not carried:");
        want_in("stderr", r.err, "the match DRIVERS==\"ixgbe\" has no kvmtune form");
        want_in("stderr", r.err, "70-nic.rules:5: not carried:");
        want_in("stderr", r.err, "only ethtool programs are read");
        want_in("stderr", r.err, "70-nic.rules:6: not carried:");
        want_in("stderr", r.err, "ethtool -s has no kvmtune form (only -G, -L, -K and -C are carried)");
        want_in("stderr", r.err, "70-nic.rules:7: not carried:");
        want_in("stderr", r.err, "ACTION==\"remove\": kvmtune applies to interfaces when they are added");
        want_in("stdout", r.out, "[netdev \"eth*\"]\n");
        want_in("stdout", r.out, "ring.rx = 2048\n");
        want_in("stdout", r.out, "[netdev \"eth1\"]\n");
        want_in("stdout", r.out, "features.lro = off\n");
        want_in("stdout", r.out, "[netdev \"eth0\"]\n");
        apply_imported(root, r.out);
        run_result_free(&r);
        want_field(root, "ethtool/eth0/ring", "rx", "2048");
        want_field(root, "ethtool/eth1/ring", "tx", "2048");
        want_field(root, "ethtool/eth1/features", "rx-lro", "off");
        want_field(root, "ethtool/eth0/features", "rx-lro", "on");
        want_field(root, "ethtool/eth0/coalesce", "adaptive-rx", "1");
}

static void ifupdown(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, "etc/network/interfaces",
                 "source /etc/network/interfaces.d/*\n"
                 "auto eth0\n"
                 "iface eth0 inet dhcp\n"
                 "    post-up /sbin/ethtool -G $IFACE rx 4096 tx 1024 || true\n"        /* 4 */
                 "    up ethtool -K eth0 gro off\n"                                     /* 5 */
                 "    up ip link set dev $IFACE txqueuelen 3000\n"                      /* 6 */
                 "    up ip route add default via 192.0.2.1\n"                          /* 7: not tuning */
                 "    pre-up ethtool -L ${IFACE} combined 4; echo done\n"               /* 8 */
                 "    offload-lro off\n"                                                /* 9 */
                 "    hardware-irq-coalesce-rx-usecs 40\n"                              /* 10 */
                 "    ethernet-autoneg off\n"                                           /* 11 */
                 "auto eth1\n"
                 "    up ethtool -K eth1 tso off\n");                                   /* 13: no stanza */
        fr_write(root, "etc/network/interfaces.d/eth1",
                 "iface eth1 inet manual\n"
                 "    hardware-dma-ring-rx 512\n"
                 "    post-up ethtool --coalesce \"$IFACE\" adaptive-tx on\n");
        kv_run(&r, root, "import", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "/etc/network/interfaces:4: carried: post-up /sbin/ethtool -G $IFACE rx 4096 tx 1024 || true");
        want_in("stderr", r.err, "/etc/network/interfaces:5: carried:");
        want_in("stderr", r.err, "/etc/network/interfaces:6: carried:");
        want_not_in("stderr", r.err, "/etc/network/interfaces:7:");
        want_in("stderr", r.err, "/etc/network/interfaces:8: not carried: pre-up ethtool -L ${IFACE} combined 4; echo "
                                 "done: '4;' needs a shell");
        want_in("stderr", r.err, "/etc/network/interfaces:9: carried: offload-lro off");
        want_in("stderr", r.err, "/etc/network/interfaces:10: carried:");
        want_in("stderr", r.err, "/etc/network/interfaces:11: not carried: ethernet-autoneg off: the ethtool hook's "
                                 "ethernet-autoneg has no kvmtune form");
        want_in("stderr", r.err, "/etc/network/interfaces:13: not carried: up ethtool -K eth1 tso off: not in an "
                                 "'iface NAME' stanza");
        want_in("stderr", r.err, "/etc/network/interfaces.d/eth1:2: carried:");
        want_in("stderr", r.err, "/etc/network/interfaces.d/eth1:3: carried:");
        want_in("stdout", r.out, "ring.rx = 4096\n");
        want_in("stdout", r.out, "features.lro = off\n");
        want_in("stdout", r.out, "coalesce.rx-usecs = 40\n");
        apply_imported(root, r.out);
        run_result_free(&r);
        want_field(root, "ethtool/eth0/ring", "rx", "4096");
        want_field(root, "ethtool/eth0/ring", "tx", "1024");
        want_field(root, "ethtool/eth0/features", "rx-gro", "off");
        want_field(root, "ethtool/eth0/features", "rx-lro", "off");
        want_field(root, "ethtool/eth0/coalesce", "rx-usecs", "40");
        want_field(root, "ethtool/eth0/channels", "combined", "1");
        want_field(root, "ethtool/eth1/ring", "rx", "512");
        want_field(root, "ethtool/eth1/coalesce", "adaptive-tx", "1");
        want_field(root, "ethtool/eth1/features", "tx-tcp-segmentation", "on");
        want_value(root, "sys/class/net/eth0/tx_queue_len", "3000");
}

static void rc_local(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, "etc/rc.local",
                 "#!/bin/sh\n"
                 "sudo ethtool -G eth0 rx 4096 tx 4096\n"                          /* 2 */
                 "/usr/sbin/ethtool --offload eth1 gro off lro off 2>/dev/null\n"  /* 3 */
                 "for i in eth0 eth1; do\n"                                        /* 4 */
                 "    ethtool -L $i combined 8\n"                                  /* 5 */
                 "    sudo ethtool -C \"${i}\" adaptive-rx on\n"                   /* 6 */
                 "done\n"
                 "for n in /sys/class/net/eth*; do ethtool -K ${n##*/} tso off; done\n"   /* 8 */
                 "ethtool -K $DEV gso off\n"                                       /* 9 */
                 "ethtool -s eth0 speed 1000 duplex full\n"                        /* 10 */
                 "ethtool -G eth0 rx-buf-len 4096\n"                               /* 11 */
                 "ethtool -K eth0 gro\n"                                           /* 12 */
                 "ethtool -g eth0\n");                                             /* 13 */
        char *p = NULL;
        assert_true(asprintf(&p, "chmod 755 '%s/etc/rc.local'", root) > 0);
        assert_int_equal(system(p), 0);
        free(p);
        kv_run(&r, root, "import", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "rc.local:2: carried: sudo ethtool -G eth0 rx 4096 tx 4096\n");
        want_in("stderr", r.err, "rc.local:3: carried:");
        want_in("stderr", r.err, "rc.local:5: carried:");
        want_in("stderr", r.err, "rc.local:6: carried:");
        want_in("stderr", r.err, "rc.local:8: not carried:");
        want_in("stderr", r.err, "the interface must be $n itself");
        want_in("stderr", r.err, "rc.local:9: not carried: ethtool -K $DEV gso off: it holds $");
        want_in("stderr", r.err, "rc.local:10: not carried: ethtool -s eth0 speed 1000 duplex full: ethtool -s has no "
                                 "kvmtune form (only -G, -L, -K and -C are carried)");
        want_in("stderr", r.err, "rc.local:11: not carried: ethtool -G eth0 rx-buf-len 4096: ethtool -G rx-buf-len has "
                                 "no kvmtune form");
        want_in("stderr", r.err, "rc.local:12: not carried: ethtool -K eth0 gro: ethtool -K eth0: parameters come in "
                                 "NAME VALUE pairs");
        want_in("stderr", r.err, "rc.local:13: not carried: ethtool -g eth0: no ethtool setting");
        want_in("stdout", r.out, "[netdev \"eth0 eth1\"]\n");
        want_in("stdout", r.out, "channels.combined = 8\n");
        apply_imported(root, r.out);
        run_result_free(&r);
        want_field(root, "ethtool/eth0/ring", "rx", "4096");
        want_field(root, "ethtool/eth0/ring", "tx", "4096");
        want_field(root, "ethtool/eth1/features", "rx-gro", "off");
        want_field(root, "ethtool/eth1/features", "rx-lro", "off");
        want_field(root, "ethtool/eth0/features", "rx-gro", "on");
        want_field(root, "ethtool/eth0/channels", "combined", "8");
        want_field(root, "ethtool/eth1/channels", "combined", "8");
        want_field(root, "ethtool/eth1/coalesce", "adaptive-rx", "1");
        want_field(root, "ethtool/eth1/features", "tx-tcp-segmentation", "on");
}

/* `kvmtune import FILE` recognises an interfaces file */
static void named_interfaces(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, "in/interfaces", "allow-hotplug eth1\niface eth1 inet manual\n  up ethtool -K $IFACE gso off\n");
        char *path = NULL;
        assert_true(asprintf(&path, "%s/in/interfaces", root) > 0);
        kv_run(&r, root, "import", path, NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "[netdev \"eth1\"]\n");
        want_in("stdout", r.out, "features.gso = off\n");
        run_result_free(&r);
        free(path);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(tuned_net, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(udev_run, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(ifupdown, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(rc_local, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(named_interfaces, setup, fr_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
