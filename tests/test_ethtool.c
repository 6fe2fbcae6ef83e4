/* SPDX-License-Identifier: MIT */
/*
 * [netdev] ring.*, channels.*, coalesce.* and features.* on a fake root:
 * the fake ethtool state of ROOT/ethtool/DEV/GROUP (see src/ethtool.c),
 * every key planned, applied, verified and reverted; max and bounds; each
 * error (above the maximum, fixed, EOPNOTSUPP, refused, not taken) failing
 * its setting only.
 */
#include "want.h"

#define RING "rx 256\nrx-max 4096\nrx-mini 0\nrx-mini-max 0\nrx-jumbo 0\nrx-jumbo-max 2048\ntx 256\ntx-max 4096\n"
#define CHANNELS "rx 0\nrx-max 0\ntx 0\ntx-max 0\nother 1\nother-max 1\ncombined 1\ncombined-max 4\n"
#define COALESCE "rx-usecs 3\nrx-frames 0\ntx-usecs 0\ntx-frames 64\nadaptive-rx 0\nadaptive-tx 0\n"
#define FEATURES "rx-checksum on\ntx-checksum-ipv4 off fixed\ntx-checksum-ip-generic on\n" \
                 "tx-scatter-gather on\ntx-tcp-segmentation on\ntx-tcp6-segmentation on\n" \
                 "tx-tcp-ecn-segmentation off fixed\ntx-generic-segmentation on\nrx-gro on\n" \
                 "rx-lro off fixed\nrx-vlan-hw-parse on\ntx-vlan-hw-insert on\nrx-ntuple-filter off\n" \
                 "rx-hashing on\nrx-gro-hw off\nloopback off fixed\nrx-udp_tunnel-port-offload on\n"

static void fake_nic(const char *root, const char *dev)
{
        char rel[128];

        snprintf(rel, sizeof(rel), "sys/devices/pci0000:00/0000:00:03.0/net/%s/tx_queue_len", dev);
        fr_write(root, rel, "1000\n");
        snprintf(rel, sizeof(rel), "sys/class/net/%s", dev);
        char target[128];
        snprintf(target, sizeof(target), "../../devices/pci0000:00/0000:00:03.0/net/%s", dev);
        fr_symlink(root, target, rel);
        snprintf(rel, sizeof(rel), "ethtool/%s/ring", dev);
        fr_write(root, rel, RING);
        snprintf(rel, sizeof(rel), "ethtool/%s/channels", dev);
        fr_write(root, rel, CHANNELS);
        snprintf(rel, sizeof(rel), "ethtool/%s/coalesce", dev);
        fr_write(root, rel, COALESCE);
        snprintf(rel, sizeof(rel), "ethtool/%s/features", dev);
        fr_write(root, rel, FEATURES);
}

static int setup(void **state)
{
        fr_setup(state);
        fake_nic(*state, "ens3");
        fake_nic(*state, "ens4");
        return 0;
}

/* the value of NAME in a fake group file */
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

static void test_every_key(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-n.conf",
                 "[netdev \"ens3\"]\n"
                 "ring.rx = 1024\nring.rx-jumbo = 512\nring.tx = 2048\nring.rx-mini = 0\n"
                 "channels.combined = 2\nchannels.other = 1\n"
                 "coalesce.rx-usecs = 50\ncoalesce.rx-frames = 0\ncoalesce.tx-usecs = 0\ncoalesce.tx-frames = 32\n"
                 "coalesce.adaptive-rx = on\ncoalesce.adaptive-tx = yes\n"
                 "features.gro = off\nfeatures.large-receive-offload = off\nfeatures.rx-hashing = off\n"
                 "features.sg = off\nfeatures.tso = off\nfeatures.gso = off\nfeatures.rx = off\nfeatures.tx = off\n"
                 "features.rxvlan = off\nfeatures.txvlan = off\nfeatures.ntuple = on\nfeatures.rx-gro-hw = off\n"
                 "features.rx-udp_tunnel-port-offload = off\n");
        kv_run(&r, root, "plan", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "set   netdev ens3 ring.rx: 256 -> 1024");
        want_in("stdout", r.out, "ok    netdev ens3 ring.rx-mini: 0 -> 0");
        want_in("stdout", r.out, "set   netdev ens3 channels.combined: 1 -> 2");
        want_in("stdout", r.out, "set   netdev ens3 coalesce.adaptive-tx: off -> on");
        want_in("stdout", r.out, "set   netdev ens3 features.generic-receive-offload: on -> off");
        want_in("stdout", r.out, "ok    netdev ens3 features.large-receive-offload: off -> off");
        want_in("stdout", r.out, "set   netdev ens3 features.receive-hashing: on -> off");
        want_in("stdout", r.out, "set   netdev ens3 features.tcp-segmentation-offload (tx-tcp6-segmentation): on -> off");
        /* a fixed member of a group whose others change: left, as ethtool -K does */
        want_in("stdout", r.out, "ok    netdev ens3 features.tcp-segmentation-offload (tx-tcp-ecn-segmentation): off -> off");
        want_in("stdout", r.out, "set   netdev ens3 features.tx-checksumming (tx-checksum-ip-generic): on -> off");
        want_in("stdout", r.out, "set   netdev ens3 features.ntuple-filters: off -> on");
        assert_string_equal(r.err, "");
        /* ring, channels, coalescing and features of ens4 are not touched */
        want_not_in("stdout", r.out, "ens4");
        run_result_free(&r);

        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "netdev ens3 ring.tx: 256 -> 2048");
        assert_string_equal(r.err, "");
        run_result_free(&r);
        want_field(root, "ethtool/ens3/ring", "rx", "1024");
        want_field(root, "ethtool/ens3/ring", "rx-jumbo", "512");
        want_field(root, "ethtool/ens3/ring", "tx", "2048");
        want_field(root, "ethtool/ens3/channels", "combined", "2");
        want_field(root, "ethtool/ens3/coalesce", "rx-usecs", "50");
        want_field(root, "ethtool/ens3/coalesce", "tx-frames", "32");
        want_field(root, "ethtool/ens3/coalesce", "adaptive-rx", "1");
        want_field(root, "ethtool/ens3/coalesce", "adaptive-tx", "1");
        want_field(root, "ethtool/ens3/features", "rx-gro", "off");
        want_field(root, "ethtool/ens3/features", "rx-hashing", "off");
        want_field(root, "ethtool/ens3/features", "tx-scatter-gather", "off");
        want_field(root, "ethtool/ens3/features", "tx-tcp-segmentation", "off");
        want_field(root, "ethtool/ens3/features", "tx-tcp6-segmentation", "off");
        want_field(root, "ethtool/ens3/features", "tx-tcp-ecn-segmentation", "off fixed");
        want_field(root, "ethtool/ens3/features", "tx-generic-segmentation", "off");
        want_field(root, "ethtool/ens3/features", "rx-checksum", "off");
        want_field(root, "ethtool/ens3/features", "tx-checksum-ip-generic", "off");
        want_field(root, "ethtool/ens3/features", "tx-checksum-ipv4", "off fixed");
        want_field(root, "ethtool/ens3/features", "rx-vlan-hw-parse", "off");
        want_field(root, "ethtool/ens3/features", "tx-vlan-hw-insert", "off");
        want_field(root, "ethtool/ens3/features", "rx-ntuple-filter", "on");
        want_field(root, "ethtool/ens3/features", "rx-udp_tunnel-port-offload", "off");
        want_field(root, "ethtool/ens4/ring", "rx", "256");
        /* the record: one line per field, keyed by its own path */
        char *rec = fr_read(root, "run/kvmtune/revert");
        want_in("record", rec, "ethtool/ens3/ring/rx\t256\n");
        want_in("record", rec, "ethtool/ens3/coalesce/adaptive-rx\toff\n");
        want_in("record", rec, "ethtool/ens3/features/rx-gro\ton\n");
        want_not_in("record", rec, "rx-mini");
        free(rec);

        kv_run(&r, root, "apply", NULL);        /* nothing differs: nothing written */
        want_status(&r, 0);
        assert_string_equal(r.out, "");
        run_result_free(&r);

        kv_run(&r, root, "verify", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "ok    netdev ens3 ring.rx: 1024 -> 1024");
        want_in("stdout", r.out, "ok    netdev ens3 features.generic-receive-offload: off -> off");
        run_result_free(&r);

        kv_run(&r, root, "--json", "plan", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "\"path\":\"ethtool/ens3/ring/rx\"");
        run_result_free(&r);

        kv_run(&r, root, "revert", NULL);
        want_status(&r, 0);
        want_in("stdout", r.out, "revert ethtool/ens3/ring/rx: 1024 -> 256");
        run_result_free(&r);
        /* exact: every field as before */
        want_field(root, "ethtool/ens3/ring", "rx", "256");
        want_field(root, "ethtool/ens3/ring", "tx", "256");
        want_field(root, "ethtool/ens3/ring", "rx-jumbo", "0");
        want_field(root, "ethtool/ens3/channels", "combined", "1");
        want_field(root, "ethtool/ens3/coalesce", "rx-usecs", "3");
        want_field(root, "ethtool/ens3/coalesce", "tx-frames", "64");
        want_field(root, "ethtool/ens3/coalesce", "adaptive-rx", "0");
        char *features = fr_read(root, "ethtool/ens3/features");
        assert_string_equal(features, FEATURES);
        free(features);
        assert_null(fr_read(root, "run/kvmtune/revert"));
}

static void test_max_and_bounds(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-n.conf",
                 "[netdev \"ens*\"]\nring.rx = max\nring.tx = >= 128\nchannels.combined = max\n"
                 "[netdev \"ens4\"]\nring.tx = <= 128\nring.rx = >= 8192\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 1);
        want_in("stdout", r.out, "netdev ens3 ring.rx: 256 -> 4096");
        want_in("stdout", r.out, "netdev ens3 channels.combined: 1 -> 4");
        want_in("stdout", r.out, "netdev ens4 ring.tx: 256 -> 128");
        want_in("stderr", r.err, "50-n.conf:7: netdev ens4 ring.rx: 8192 is above the maximum of ens4, 4096");
        run_result_free(&r);
        want_field(root, "ethtool/ens3/ring", "rx", "4096");
        want_field(root, "ethtool/ens3/ring", "tx", "256");   /* >= 128: met */
        want_field(root, "ethtool/ens4/ring", "tx", "128");
        want_field(root, "ethtool/ens4/ring", "rx", "256");
        want_field(root, "ethtool/ens4/channels", "combined", "4");

        kv_run(&r, root, "verify", NULL);
        want_status(&r, 1);
        want_in("stdout", r.out, "ok    netdev ens3 ring.tx: 256 -> >= 128");
        run_result_free(&r);
}

/* each error fails its own setting, naming the device; the rest is applied */
static void test_errors(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, "ethtool/ens4/features", "rx-gro on\ntx-tcp-segmentation off stuck\nrx-lro off fixed\n");
        fr_write(root, "ethtool/ens4/coalesce", "rx-usecs 3\n");      /* no rx-frames: unsupported */
        fr_write(root, CONFD "50-n.conf",
                 "[netdev \"ens3 ens4\"]\n"
                 "ring.rx = 8192\n"                     /* 2: above the maximum */
                 "ring.tx = 1024\n"                     /* 3 */
                 "features.lro = on\n"                  /* 4: fixed */
                 "features.gro = off\n"                 /* 5 */
                 "channels.combined = 0\n"              /* 6: no rx nor tx queue left: refused */
                 "[netdev \"ens4\"]\n"
                 "features.tso = on\n"                  /* 8: taken as a wish only */
                 "coalesce.rx-frames = 16\n"            /* 9: EOPNOTSUPP at the write */
                 "coalesce.rx-usecs = 20\n"             /* 10 */
                 "features.no-such-feature = on\n");    /* 11 */
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "50-n.conf:2: netdev ens3 ring.rx: 8192 is above the maximum of ens3, 4096");
        want_in("stderr", r.err, "50-n.conf:2: netdev ens4 ring.rx: 8192 is above the maximum of ens4, 4096");
        want_in("stderr", r.err, "50-n.conf:4: netdev ens3 features.large-receive-offload: fixed: ens3 cannot change it");
        want_in("stderr", r.err, "50-n.conf:6: netdev ens3 channels.combined: cannot set '0': ens3 refused it: Invalid argument");
        want_in("stderr", r.err, "50-n.conf:8: netdev ens4 features.tcp-segmentation-offload (tx-tcp-segmentation): wrote 'on', but the kernel stores 'off'");
        want_in("stderr", r.err, "50-n.conf:9: netdev ens4 coalesce.rx-frames: cannot set '16': the driver of ens4 does not support it (EOPNOTSUPP)");
        want_in("stderr", r.err, "50-n.conf:11: netdev ens4 features.no-such-feature: ens4 has no offload feature no-such-feature");
        run_result_free(&r);
        want_field(root, "ethtool/ens3/ring", "tx", "1024");
        want_field(root, "ethtool/ens4/ring", "tx", "1024");
        want_field(root, "ethtool/ens3/features", "rx-gro", "off");
        want_field(root, "ethtool/ens4/features", "rx-gro", "off");
        want_field(root, "ethtool/ens4/coalesce", "rx-usecs", "20");
        want_field(root, "ethtool/ens3/channels", "combined", "1");
        want_field(root, "ethtool/ens3/ring", "rx", "256");
        /* what was not changed is not in the record */
        char *rec = fr_read(root, "run/kvmtune/revert");
        want_not_in("record", rec, "combined");
        want_not_in("record", rec, "rx-frames");
        want_in("record", rec, "ethtool/ens4/coalesce/rx-usecs\t3\n");
        free(rec);

        kv_run(&r, root, "revert", NULL);
        want_status(&r, 0);
        run_result_free(&r);
        want_field(root, "ethtool/ens3/ring", "tx", "256");
        want_field(root, "ethtool/ens4/features", "rx-gro", "on");
        want_field(root, "ethtool/ens4/coalesce", "rx-usecs", "3");
}

/* a driver without a group: an error for a device named, nothing for one a glob found */
static void test_not_supported(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-n.conf", "[netdev \"eth*\"]\nring.rx = 512\ncoalesce.rx-usecs = 8\n"
                                          "[netdev \"ens*\"]\nring.rx = 512\n");
        kv_run(&r, root, "apply", NULL);        /* eth0 has no ethtool state at all */
        want_status(&r, 0);
        assert_string_equal(r.err, "");
        want_in("stdout", r.out, "netdev ens3 ring.rx: 256 -> 512");
        run_result_free(&r);

        fr_write(root, CONFD "50-n.conf", "[netdev \"eth0\"]\nring.rx = 512\nfeatures.gro = off\ntxqueuelen = 2000\n"
                                          "[netdev \"ens3\"]\nring.tx = 512\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "50-n.conf:2: netdev eth0 ring.rx: the driver of eth0 has no ethtool ring settings (EOPNOTSUPP)");
        want_in("stderr", r.err, "50-n.conf:3: netdev eth0 features.generic-receive-offload: the driver of eth0 has no ethtool features settings (EOPNOTSUPP)");
        run_result_free(&r);
        want_value(root, "sys/class/net/eth0/tx_queue_len", "2000");
        want_field(root, "ethtool/ens3/ring", "tx", "512");
}

/* the udev rule's run: one device */
static void test_device(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-n.conf", "[netdev \"ens*\"]\nchannels.combined = 3\nfeatures.gso = off\ntxqueuelen = 5000\n");
        kv_run(&r, root, "apply", "--only=netdev", "--device=ens4", NULL);
        want_status(&r, 0);
        run_result_free(&r);
        want_field(root, "ethtool/ens4/channels", "combined", "3");
        want_field(root, "ethtool/ens4/features", "tx-generic-segmentation", "off");
        want_value(root, "sys/class/net/ens4/tx_queue_len", "5000");
        want_field(root, "ethtool/ens3/channels", "combined", "1");
        want_field(root, "ethtool/ens3/features", "tx-generic-segmentation", "on");

        /* the interface is gone before revert: nothing to put back, no error */
        char *p = NULL;
        assert_true(asprintf(&p, "rm -rf '%s/sys/class/net/ens4' '%s/ethtool/ens4'", root, root) > 0);
        assert_int_equal(system(p), 0);
        free(p);
        kv_run(&r, root, "revert", NULL);
        want_status(&r, 0);
        assert_string_equal(r.err, "");
        run_result_free(&r);
}

/* a composite and a feature of it by its own name: that key decides for its feature */
static void test_feature_names(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-n.conf",
                 "[netdev \"ens3\"]\nfeatures.tso = off\nfeatures.tx-tcp6-segmentation = on\n"
                 "features.rx-gro = on\n[netdev \"ens*\"]\nfeatures.generic-receive-offload = off\n");
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 0);
        want_not_in("stdout", r.out, "(tx-tcp6-segmentation)");
        run_result_free(&r);
        want_field(root, "ethtool/ens3/features", "tx-tcp-segmentation", "off");
        want_field(root, "ethtool/ens3/features", "tx-tcp6-segmentation", "on");
        want_field(root, "ethtool/ens3/features", "rx-gro", "off");      /* the later section wins */
        want_field(root, "ethtool/ens4/features", "rx-gro", "off");
}

static void test_parse_errors(void **state)
{
        const char *root = *state;
        struct run_result r;

        fr_write(root, CONFD "50-n.conf",
                 "[netdev \"ens3\"]\n"
                 "ring.rx = lots\n"                     /* 2 */
                 "ring.big = 1\n"                       /* 3 */
                 "channels.combined = -1\n"             /* 4 */
                 "coalesce.rx-usecs = max\n"            /* 5 */
                 "coalesce.rx-usecs = >= 5\n"           /* 6 */
                 "coalesce.adaptive-rx = 2\n"           /* 7 */
                 "features.gro = maybe\n"               /* 8 */
                 "features.Bad/Name = on\n"             /* 9 */
                 "offload.gro = off\n"                  /* 10 */
                 "ring.tx = 4294967296\n"               /* 11 */
                 "ring.tx = 512\n");                    /* 12: fine */
        kv_run(&r, root, "apply", NULL);
        want_status(&r, 1);
        want_in("stderr", r.err, "50-n.conf:2: netdev ring.rx: expected a number, max, '>= N' or '<= N', not 'lots'");
        want_in("stderr", r.err, "50-n.conf:3: unknown key 'ring.big' in [netdev]");
        want_in("stderr", r.err, "50-n.conf:4: netdev channels.combined: expected a number");
        want_in("stderr", r.err, "50-n.conf:5: netdev coalesce.rx-usecs: expected a number, not 'max'");
        want_in("stderr", r.err, "50-n.conf:6: netdev coalesce.rx-usecs: expected a number, not '>= 5'");
        want_in("stderr", r.err, "50-n.conf:7: netdev coalesce.adaptive-rx: expected on or off, not '2'");
        want_in("stderr", r.err, "50-n.conf:8: netdev features.gro: expected on or off, not 'maybe'");
        want_in("stderr", r.err, "50-n.conf:9: netdev features.Bad/Name: 'Bad/Name' is not an offload feature's name");
        want_in("stderr", r.err, "50-n.conf:10: unknown key 'offload.gro' in [netdev]");
        want_in("stderr", r.err, "50-n.conf:11: netdev ring.tx: expected a number");
        want_not_in("stderr", r.err, "50-n.conf:12");
        run_result_free(&r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_every_key, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_max_and_bounds, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_errors, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_not_supported, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_device, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_feature_names, setup, fr_teardown),
                cmocka_unit_test_setup_teardown(test_parse_errors, setup, fr_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
