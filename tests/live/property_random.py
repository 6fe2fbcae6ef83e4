#!/usr/bin/env python3
# Run by property_random.sh (not a test by itself): inside a network and
# mount namespace (tmpfs on /run, sysfs of the namespace on /sys) with the
# veths kvr0..kvr3 and the loop devices named on the command line.
#
# Random configurations over [sysctl] (explicit keys, globs, conf.all /
# default / interfaces, ip_forward, the vm.dirty twins, >= and <= bounds),
# [block "loopN"] (scheduler, nr_requests, read_ahead_kb, iosched.NAME),
# [netdev] txqueuelen, [ksm] and [thp] (khugepaged.NAME too), from random
# starting states.  For each:
# apply exits 0, verify exits 0, a second apply makes no kernel write
# (pwrite64, counted with strace) and leaves the record as it was, revert
# exits 0 and removes the record, and every file of the universe (each
# file any of these settings or the kernel's side effects of writing them
# can change) is byte for byte what it was before.  Then SIGKILL rounds:
# apply killed at a random moment, then revert; a whole apply, revert
# killed at a random moment, revert again: exact every time.
#
# usage: property_random.py KVMTUNE TMPDIR SEED ROUNDS LOOPDEV...
import glob
import os
import random
import signal
import subprocess
import sys
import time

kv, tmp, seed, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
loops = sys.argv[5:]
rng = random.Random(seed)
LOCAL = os.environ.get("KVMTUNE_PROPERTY_LOCAL") == "1"    # no global knob (vm, KSM, THP)
IFACES = ["kvr0", "kvr1", "kvr2", "kvr3"]
RECORD = "/run/kvmtune/revert"
CONF = os.path.join(tmp, "r.conf")
env = dict(os.environ)
# LeakSanitizer cannot run under ptrace (a SANITIZE=1 build under strace)
env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":detect_leaks=0").lstrip(":")


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def write(path, value):
    try:
        with open(path, "w") as f:
            f.write(str(value))
        return True
    except OSError:
        return False


def files_in(d):
    try:
        names = sorted(os.listdir(d))
    except OSError:
        return []
    out = []
    for n in names:
        p = os.path.join(d, n)
        if os.path.isfile(p) and os.access(p, os.R_OK) and read(p) is not None:
            out.append(p)
    return out


def universe():
    """Every file the settings below or the kernel's side effects of them can change."""
    u = []
    for fam in ("ipv4", "ipv6"):
        for d in ["all", "default", "lo"] + IFACES:
            u += files_in("/proc/sys/net/%s/conf/%s" % (fam, d))
    u += ["/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/ipv4/ip_local_reserved_ports",
          "/proc/sys/net/ipv4/tcp_fin_timeout", "/proc/sys/net/core/somaxconn"]
    for v in ("dirty_ratio", "dirty_bytes", "dirty_background_ratio", "dirty_background_bytes", "swappiness"):
        if not LOCAL:
            u.append("/proc/sys/vm/" + v)
    for l in loops:
        u += files_in("/sys/block/%s/queue" % l)
    for i in IFACES:
        u.append("/sys/class/net/%s/tx_queue_len" % i)
    for f in ("run", "pages_to_scan", "sleep_millisecs", "smart_scan", "use_zero_pages", "max_page_sharing",
              "merge_across_nodes", "advisor_mode", "advisor_max_cpu", "advisor_target_scan_time",
              "stable_node_chains_prune_millisecs"):
        if not LOCAL:
            u.append("/sys/kernel/mm/ksm/" + f)
    t = "/sys/kernel/mm/transparent_hugepage/"
    if not LOCAL:
        u += [t + "enabled", t + "defrag", t + "shmem_enabled", t + "use_zero_page"]
        # khugepaged's knobs; its counters (full_scans, pages_collapsed) count by themselves
        u += [p for p in files_in(t + "khugepaged") if not p.endswith(("/full_scans", "/pages_collapsed"))]
        u += [d + "/enabled" for d in sorted(glob.glob(t + "hugepages-*"))]
    u = [p for p in u if read(p) is not None]
    # what changes by itself (counters) is no setting's
    a, b = snapshot(u), snapshot(u)
    return [p for p in u if a[p] == b[p]]


def iosched_files():
    out = []
    for l in loops:
        out += files_in("/sys/block/%s/queue/iosched" % l)
    return out


def snapshot(u):
    s = {p: read(p) for p in u}
    for p in iosched_files():     # the scheduler's own files, when it has any
        s[p] = read(p)
    return s


def diff(a, b):
    out = []
    for p in sorted(set(a) | set(b)):
        if a.get(p) != b.get(p):
            out.append("%s: %r -> %r" % (p, a.get(p), b.get(p)))
    return out


def restore(want):
    """Put the files back by hand (after a failure), schedulers first, a few passes."""
    for l in loops:
        p = "/sys/block/%s/queue/scheduler" % l
        w = want.get(p)
        if w is not None:
            word = w.decode().split("[")[1].split("]")[0]
            write(p, word)
    for _ in range(4):
        now = snapshot(list(want))
        todo = [p for p in want if want[p] is not None and now.get(p) != want[p]]
        if not todo:
            return
        for p in todo:
            v = want[p].decode().strip()
            if "[" in v:
                v = v.split("[")[1].split("]")[0]
            write(p, v)


def run(*args, timeout=60):
    p = subprocess.run([kv, "--config", CONF] + list(args), capture_output=True, text=True, env=env,
                       timeout=timeout)
    return p.returncode, p.stderr + p.stdout


def strace_apply():
    trace = os.path.join(tmp, "trace")
    p = subprocess.run(["strace", "-f", "-qq", "-e", "trace=pwrite64", "-o", trace, kv, "--config", CONF, "apply"],
                       capture_output=True, text=True, env=env, timeout=120)
    with open(trace) as f:
        writes = [l.strip() for l in f if "pwrite64" in l]
    return p.returncode, p.stdout + p.stderr, writes


# ---- the configurations ----

def pick(*v):
    return rng.choice(v)


def bound(n):
    return pick("", "", "", ">= ", "<= ") + str(n)


def gen_sysctl():
    keys = {}
    fam4 = "net.ipv4.conf."
    n = rng.randint(1, 7)
    fwd_done = False
    for _ in range(n):
        c = rng.randrange(12)
        if c == 0 and not fwd_done:
            fwd_done = True
            if rng.random() < 0.5:
                keys["net.ipv4.ip_forward"] = pick("0", "1")
            else:
                keys[fam4 + "all.forwarding"] = pick("0", "1")
        elif c == 1:
            d = pick("default", "kvr0", "kvr1")
            keys[fam4 + d + ".forwarding"] = pick("0", "1")
        elif c == 2:
            d = pick("all", "default", "kvr0", "kvr2")
            a = pick("rp_filter", "log_martians", "accept_redirects", "send_redirects", "arp_ignore")
            keys[fam4 + d + "." + a] = str(rng.randint(0, 2 if a in ("rp_filter", "arp_ignore") else 1))
        elif c == 3:
            keys[pick(fam4 + "*.rp_filter", fam4 + "kvr*.log_martians", fam4 + "kvr[02].accept_redirects")] = \
                pick("0", "1")
        elif c == 4:
            d = pick("all", "default", "kvr0", "kvr1")
            a = pick("forwarding", "disable_ipv6", "ignore_routes_with_linkdown", "addr_gen_mode", "accept_ra",
                     "force_forwarding")
            if a == "force_forwarding" and d == "default":
                d = "all"
            v = pick("0", "1", "3") if a == "addr_gen_mode" else str(rng.randint(0, 2)) if a == "accept_ra" \
                else pick("0", "1")
            keys["net.ipv6.conf.%s.%s" % (d, a)] = v
        elif c == 5:
            keys["net.ipv6.conf.kvr*.accept_ra"] = pick("0", "1", "2")
        elif c in (6, 7, 10) and LOCAL:
            keys["net.ipv4.tcp_fin_timeout"] = str(rng.randint(10, 90))
        elif c == 6:
            if rng.random() < 0.5:
                keys["vm.dirty_ratio"] = str(rng.randint(10, 40))
            else:
                keys["vm.dirty_bytes"] = str(rng.randint(40, 400) * 1024 * 1024)
        elif c == 7:
            if rng.random() < 0.5:
                keys["vm.dirty_background_ratio"] = str(rng.randint(1, 9))
            else:
                keys["vm.dirty_background_bytes"] = str(rng.randint(20, 200) * 1024 * 1024)
        elif c == 8:
            keys["net.core.somaxconn"] = bound(rng.randint(128, 8192))
        elif c == 9:
            keys["net.ipv4.tcp_fin_timeout"] = bound(rng.randint(10, 90))
        elif c == 10:
            keys["vm.swappiness"] = str(rng.randint(0, 100))
        else:
            keys["net.ipv4.ip_local_reserved_ports"] = pick("9999", "8080", "40000-40010,50000")
    # dirty twins: one of each pair (both would contradict each other)
    for a, b in (("vm.dirty_ratio", "vm.dirty_bytes"), ("vm.dirty_background_ratio", "vm.dirty_background_bytes")):
        if a in keys and b in keys:
            del keys[pick(a, b)]
    items = list(keys.items())
    rng.shuffle(items)
    return "[sysctl]\n" + "".join("%s = %s\n" % kv_ for kv_ in items)


def gen_block():
    out = ""
    for l in rng.sample(loops, rng.randint(1, len(loops))):
        lines = []
        if rng.random() < 0.7:
            sched = pick("none", "mq-deadline", "kyber", "deadline", "nosuch mq-deadline")
            lines.append("scheduler = " + sched)
            # the tunables of the scheduler the line leaves (read after its switch)
            if sched.endswith("deadline") and rng.random() < 0.5:
                lines.append("iosched.%s = %d" % pick(("fifo_batch", rng.randint(1, 64)),
                                                     ("read_expire", rng.randint(10, 1000)),
                                                     ("writes_starved", rng.randint(1, 8))))
            elif sched == "kyber" and rng.random() < 0.5:
                lines.append("iosched.read_lat_nsec = %d" % rng.choice([500000, 1000000, 4000000]))
        if rng.random() < 0.6:
            lines.append("nr_requests = " + bound(rng.choice([4, 16, 32, 64, 100, 128])))
        if rng.random() < 0.5:
            lines.append("read_ahead_kb = " + bound(rng.choice([0, 16, 64, 128, 130, 512, 1024])))
        if not lines:
            lines.append("read_ahead_kb = 256")
        rng.shuffle(lines)
        out += '[block "%s"]\n' % l + "".join(x + "\n" for x in lines)
    return out


def gen_netdev():
    return '[netdev "%s"]\ntxqueuelen = %d\n' % (pick("kvr0", "kvr2", "kvr*"), rng.choice([0, 100, 500, 1000, 5000]))


def gen_ksm():
    keys = {}
    for _ in range(rng.randint(1, 3)):
        k = pick("pages_to_scan", "sleep_millisecs", "run", "smart_scan", "use_zero_pages")
        keys[k] = {"pages_to_scan": str(rng.randint(10, 5000)), "sleep_millisecs": str(rng.randint(10, 500)),
                   "run": pick("0", "1")}.get(k, pick("0", "1"))
    return "[ksm]\n" + "".join("%s = %s\n" % x for x in keys.items())


def gen_thp():
    out = "[thp]\n"
    if rng.random() < 0.7:
        out += "enabled = %s\n" % pick("always", "madvise", "never")
    if rng.random() < 0.7 or out == "[thp]\n":
        out += "defrag = %s\n" % pick("always", "defer", "defer+madvise", "madvise", "never")
    if rng.random() < 0.4:
        k = pick("defrag", "max_ptes_none", "pages_to_scan", "scan_sleep_millisecs", "alloc_sleep_millisecs")
        out += "khugepaged.%s = %s\n" % (k, {"defrag": pick("0", "1"), "max_ptes_none": str(rng.randint(0, 511)),
                                            "pages_to_scan": str(rng.randint(64, 8192))}.get(
                                                k, str(rng.randint(1000, 20000))))
    return out


def gen_config():
    parts = [gen_sysctl()] if rng.random() < 0.85 else []
    for g, p in ((gen_block, 0.6), (gen_netdev, 0.4), (gen_ksm, 0 if LOCAL else 0.35), (gen_thp, 0 if LOCAL else 0.35)):
        if rng.random() < p:
            parts.append(g())
    if not parts:
        parts.append(gen_block())
    rng.shuffle(parts)
    return "".join(parts)


def reserved_ports_long():
    """A value of ip_local_reserved_ports longer than 4 KiB, as the kernel shows it."""
    return ",".join(str(p) for p in range(20000, 20000 + 2 * 1600, 2))


def perturb():
    """A random starting state, made by hand (not by kvmtune)."""
    for l in loops:
        if rng.random() < 0.5:
            write("/sys/block/%s/queue/scheduler" % l, pick("none", "mq-deadline", "kyber"))
        if rng.random() < 0.5:
            write("/sys/block/%s/queue/nr_requests" % l, rng.choice([16, 64, 100]))
    for _ in range(rng.randint(0, 3)):
        d = pick("kvr0", "kvr1", "kvr2", "default")
        write("/proc/sys/net/ipv4/conf/%s/%s" % (d, pick("rp_filter", "log_martians", "forwarding")), pick(0, 1, 2))
    if rng.random() < 0.3 and not LOCAL:
        write("/proc/sys/vm/dirty_bytes", rng.randint(100, 300) * 1024 * 1024)
    if rng.random() < 0.3 and not LOCAL:
        write("/proc/sys/vm/dirty_background_bytes", rng.randint(50, 90) * 1024 * 1024)
    if rng.random() < 0.25:
        write("/proc/sys/net/ipv4/ip_local_reserved_ports", reserved_ports_long())
    if rng.random() < 0.3:
        write("/sys/class/net/kvr0/tx_queue_len", rng.choice([10, 2000]))


# ---- the rounds ----

failures = []


def fail(rnd, conf, what):
    failures.append(rnd)
    if len(failures) <= 12:
        print("FAIL round %d: %s" % (rnd, what))
        print("    config:\n" + "".join("      " + l + "\n" for l in conf.rstrip("\n").split("\n")))


def rm_record():
    try:
        os.unlink(RECORD)
    except FileNotFoundError:
        pass


def check_revert(rnd, conf, before, u, what):
    rc, out = run("revert")
    if rc != 0:
        fail(rnd, conf, "%s: revert exited %d: %s" % (what, rc, out.strip()[:600]))
        return
    if os.path.exists(RECORD):
        fail(rnd, conf, "%s: revert left the record: %r" % (what, read(RECORD)[:300]))
    d = diff(before, snapshot(u))
    if d:
        fail(rnd, conf, "%s: revert did not put back %d file(s):\n      %s" % (what, len(d), "\n      ".join(d[:12])))


def full_round(rnd, u):
    conf = gen_config()
    with open(CONF, "w") as f:
        f.write(conf)
    before = snapshot(u)
    t0 = time.monotonic()
    rc, out = run("apply")
    elapsed = time.monotonic() - t0
    ok = True
    if rc != 0:
        fail(rnd, conf, "apply exited %d: %s" % (rc, out.strip()[:600]))
        ok = False
    else:
        rc, out = run("verify")
        if rc != 0:
            fail(rnd, conf, "verify after apply exited %d: %s" %
                 (rc, "; ".join(l for l in out.split("\n") if l and not l.startswith("ok"))[:600]))
            ok = False
        rec = read(RECORD)
        rc, out, writes = strace_apply()
        if rc != 0 or writes:
            fail(rnd, conf, "second apply exited %d with %d kernel write(s): %s %s" %
                 (rc, len(writes), "; ".join(writes)[:400], out.strip()[:300]))
            ok = False
        if read(RECORD) != rec:
            fail(rnd, conf, "second apply changed the record: %r -> %r" % (rec, read(RECORD)))
            ok = False
    n0 = len(failures)
    check_revert(rnd, conf, before, u, "after apply")
    if len(failures) > n0 or not ok:
        restore(before)
        rm_record()
    return elapsed


def kill_round(rnd, u, during, elapsed):
    conf = gen_config()
    with open(CONF, "w") as f:
        f.write(conf)
    before = snapshot(u)
    if during == "revert":
        rc, out = run("apply")
        if rc != 0:
            fail(rnd, conf, "apply (before the killed revert) exited %d: %s" % (rc, out.strip()[:600]))
    args = [kv, "--config", CONF, during]
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    time.sleep(rng.uniform(0, elapsed))
    p.send_signal(signal.SIGKILL)
    p.wait()
    n0 = len(failures)
    check_revert(rnd, conf, before, u, "SIGKILL during %s, then revert" % during)
    if len(failures) > n0:
        restore(before)
        rm_record()


def main():
    u = universe()
    start = snapshot(u)
    print("seed %d: %d configurations, %d files compared after each revert, loops %s" %
          (seed, rounds, len(u), " ".join(loops)))
    n_kill = max(8, rounds // 4)
    try:
        elapsed = 0.01
        for r in range(rounds):
            perturb()
            elapsed = max(elapsed * 0.7, full_round(r, u))
        for r in range(rounds, rounds + n_kill):
            perturb()
            kill_round(r, u, "apply" if r % 2 == 0 else "revert", elapsed * 1.5)
    finally:
        restore(start)
        rm_record()
    if failures:
        print("FAIL: %d of %d rounds (seed %d; again: KVMTUNE_PROPERTY_SEED=%d bash tests/live/property_random.sh)" %
              (len(set(failures)), rounds + n_kill, seed, seed))
        return 1
    print("ok: %d configurations and %d SIGKILL rounds exact (seed %d)" % (rounds, n_kill, seed))
    return 0


sys.exit(main())
