#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Helpers of bench/run.sh: turn kvmtune conf.d snippets into the equivalent
configuration of the peers (procps sysctl, systemd-sysctl, TuneD), save and
restore the live values a workload touches, and summarise hyperfine's JSON.

    genconf.py sysctl-only SRC_DIR OUT_DIR     keep only [sysctl] sections
    genconf.py peers OUT_DIR FILE...           sysctl.conf, tuned.conf, untranslated.txt
    genconf.py scale OUT_DIR                   10 per-interface keys: globs and expanded
    genconf.py save PLAN_JSON RESTORE_SH       a script that writes back today's values
    genconf.py summary JSON_DIR                medians from hyperfine's exports (JSON)
    genconf.py report OUT_DIR                  the markdown report of a run
"""
import fnmatch
import glob
import json
import os
import re
import statistics
import sys

PROC = "/proc/sys"


def parse(path):
    """kvmtune's INI: yields (section, sub, key, value) in file order."""
    sec = sub = None
    with open(path, encoding="utf-8", errors="replace") as f:
        for raw in f:
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            m = re.match(r'^\[([A-Za-z0-9_-]+)(?:\s+"([^"]*)")?\]', line)
            if m:
                sec, sub = m.group(1), m.group(2)
                yield ("header", sec, sub, raw)
                continue
            line = re.split(r"\s[#;]", line, maxsplit=1)[0].strip()
            if "=" not in line:
                continue
            k, v = (x.strip() for x in line.split("=", 1))
            yield ("kv", sec, sub, (k, v, raw))


def conf_files(d):
    return sorted(glob.glob(os.path.join(d, "*.conf")), key=os.path.basename)


def sysctl_only(src, out):
    os.makedirs(out, exist_ok=True)
    for path in conf_files(src):
        lines, keep = [], False
        for kind, sec, sub, data in parse(path):
            if kind == "header":
                keep = sec == "sysctl" and sub is None
                if keep:
                    lines.append("[sysctl]\n")
            elif keep:
                lines.append(data[2] if data[2].endswith("\n") else data[2] + "\n")
        if any(not l.startswith("[") for l in lines):
            with open(os.path.join(out, os.path.basename(path)), "w") as f:
                f.writelines(lines)


def key_to_path(key):
    sep = re.search(r"[./]", key)
    if sep and sep.group(0) == ".":
        key = "".join("/" if c == "." else "." if c == "/" else c for c in key)
    return key


def path_to_key(path):
    return "".join("." if c == "/" else "/" if c == "." else c for c in path)


def expand(pattern):
    """glob over /proc/sys like kvmtune: '*' within a component, sorted names."""
    parts = pattern.split("/")
    found = [""]
    for i, comp in enumerate(parts):
        nxt = []
        for base in found:
            d = os.path.join(PROC, base)
            if "*" in comp:
                try:
                    names = sorted(n for n in os.listdir(d) if not n.startswith(".") and fnmatch.fnmatchcase(n, comp))
                except OSError:
                    names = []
            else:
                names = [comp]
            for n in names:
                p = os.path.join(base, n) if base else n
                full = os.path.join(PROC, p)
                if i == len(parts) - 1:
                    if os.path.isfile(full):
                        nxt.append(p)
                elif os.path.isdir(full):
                    nxt.append(p)
        found = nxt
    return found


def is_all_or_default(p):
    return re.match(r"^net/ipv[46]/conf/(all|default)/", p) is not None


def bounded(p, v):
    """'>= N' / '<= N': the peers have no bound; give them what kvmtune ends
    with on this host (the current value when it is already beyond N)."""
    m = re.match(r"^([<>])=\s*(-?\d+)$", v)
    if not m:
        return v
    n = int(m.group(2))
    try:
        with open(os.path.join(PROC, p)) as f:
            cur = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return str(n)
    return str(max(cur, n) if m.group(1) == ">" else min(cur, n))


def peers(out, files):
    """Merge like kvmtune (later file wins, explicit key beats a glob), expand
    globs, drop '-' keys this kernel lacks; all/default keys first."""
    explicit, globbed, order = {}, {}, []
    sysfs, untranslated = {}, []
    ct_max = ct_hash = None
    for path in files:
        for kind, sec, sub, data in parse(path):
            if kind != "kv":
                continue
            k, v, raw = data
            where = "%s: [%s%s] %s" % (os.path.basename(path), sec, ' "%s"' % sub if sub else "", k)
            if sec == "sysctl":
                ignore = k.startswith("-")
                p = key_to_path(k.lstrip("-"))
                v = bounded(p, v)
                if "*" in p:
                    for q in expand(p):
                        globbed[q] = v
                        order.append(q)
                elif os.path.exists(os.path.join(PROC, p)) or not ignore:
                    explicit[p] = v
                    order.append(p)
            elif sec == "conntrack" and k == "max":
                explicit["net/netfilter/nf_conntrack_max"] = v
                order.append("net/netfilter/nf_conntrack_max")
                ct_max = v
            elif sec == "conntrack" and k == "hashsize":
                ct_hash = v
            elif sec == "conntrack" and k == "load":
                pass    # the peers load nothing either
            elif sec == "ksm" and sub is None:
                sysfs["/sys/kernel/mm/ksm/" + k] = v
            elif sec == "thp" and k in ("enabled", "defrag"):
                sysfs["/sys/kernel/mm/transparent_hugepage/" + k] = v
            else:
                untranslated.append(where)
    if ct_hash:
        # TuneD's [sysfs] can write the module parameter; sysctl tools cannot
        if ct_hash == "auto":
            ct_hash = str(int(ct_max or open(os.path.join(PROC, "net/netfilter/nf_conntrack_max")).read()) // 4)
        sysfs["/sys/module/nf_conntrack/parameters/hashsize"] = ct_hash
        untranslated.append("[conntrack] hashsize: only TuneD's [sysfs] can write it")
    merged, seen = [], set()
    for p in order:
        if p in seen:
            continue
        seen.add(p)
        merged.append((p, explicit.get(p, globbed.get(p))))
    merged.sort(key=lambda pv: 0 if is_all_or_default(pv[0]) else 1)  # stable
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "sysctl.conf"), "w") as f:
        for p, v in merged:
            f.write("%s = %s\n" % (path_to_key(p), v))
    os.makedirs(os.path.join(out, "tuned"), exist_ok=True)
    with open(os.path.join(out, "tuned", "tuned.conf"), "w") as f:
        f.write("[main]\nsummary=kvmtune bench workload\n\n[sysctl]\n")
        for p, v in merged:
            f.write("%s=%s\n" % (path_to_key(p), v))
        if sysfs:
            f.write("\n[sysfs]\n")
            for p, v in sysfs.items():
                f.write("%s=%s\n" % (p, v))
    with open(os.path.join(out, "untranslated.txt"), "w") as f:
        f.writelines(u + "\n" for u in untranslated)
    with open(os.path.join(out, "nkeys"), "w") as f:
        f.write("%d\n" % (len(merged) + len(sysfs)))


# Ten per-interface keys, each set to a value other than the kernel's default.
SCALE_KEYS = [
    ("net.ipv4.conf.*.rp_filter", "1"),
    ("net.ipv4.conf.*.log_martians", "1"),
    ("net.ipv4.conf.*.accept_redirects", "0"),
    ("net.ipv4.conf.*.send_redirects", "0"),
    ("net.ipv4.conf.*.secure_redirects", "0"),
    ("net.ipv4.conf.*.arp_ignore", "1"),
    ("net.ipv4.conf.*.arp_announce", "2"),
    ("net.ipv4.conf.*.arp_filter", "1"),
    ("net.ipv6.conf.*.accept_ra", "0"),
    ("net.ipv6.conf.*.accept_redirects", "0"),
]


def scale(out):
    os.makedirs(os.path.join(out, "kvmtune.d"), exist_ok=True)
    with open(os.path.join(out, "kvmtune.d", "50-scale.conf"), "w") as f:
        f.write("[sysctl]\n")
        for k, v in SCALE_KEYS:
            f.write("%s = %s\n" % (k, v))
    peers(out, [os.path.join(out, "kvmtune.d", "50-scale.conf")])
    # the values before: to put back before each "first apply" run
    with open(os.path.join(out, "sysctl.conf")) as f, open(os.path.join(out, "reset.conf"), "w") as r:
        for line in f:
            k = line.split(" = ", 1)[0]
            with open(os.path.join(PROC, key_to_path(k))) as cur:
                r.write("%s = %s\n" % (k, " ".join(cur.read().split())))


def raw_value(path):
    with open(path) as f:
        text = f.read().strip()
    m = re.search(r"\[([^\]]*)\]", text)
    return m.group(1) if m else " ".join(text.split())


def save(plan_json, restore_sh):
    """A shell script that writes back the values of every path in the plan.

    It runs as one bash process with builtins only (read, set, test,
    printf): it is the prepare step before every timed "first apply", and
    a script that forks two or three processes per path would leave the
    caches cold for whichever tool runs next, a constant that is not the
    tool's own cost.  bash, not sh: dash's read takes a byte per read(2),
    and a /proc/sys file read from a nonzero offset is empty."""
    with open(plan_json) as f:
        plan = json.load(f)
    seen, lines = set(), ["#!/bin/bash\n# written by bench/genconf.py save\nset -f\n"]
    for s in plan.get("settings", []):
        p = s.get("path")
        if not p or p in seen or not (p.startswith("/proc/") or p.startswith("/sys/")):
            continue
        seen.add(p)
        try:
            v = raw_value(p)
        except OSError:
            continue
        q = v.replace("'", "'\\''")
        # the current value, its blanks squeezed to single spaces by the
        # shell's own field splitting
        lines.append("v=; read -r v 2>/dev/null <'%s'; set -- $v; [ \"$*\" = '%s' ] || printf '%%s\\n' '%s' 2>/dev/null >'%s'\n"
                     % (p, q, q, p))
    with open(restore_sh, "w") as f:
        f.writelines(lines)
    os.chmod(restore_sh, 0o755)


def summary(jdir):
    """JSON files ID.ROUND.json -> one row per (workload, tool)."""
    data = {}
    for path in sorted(glob.glob(os.path.join(jdir, "*.json"))):
        wid = os.path.basename(path).split(".")[0]
        with open(path) as f:
            for r in json.load(f)["results"]:
                d = data.setdefault(wid, {}).setdefault(r["command"], {"t": [], "rounds": [], "exit": set()})
                d["t"].extend(r["times"])
                d["rounds"].append(statistics.median(r["times"]))
                d["exit"].update(r.get("exit_codes") or [])
    out = {}
    for wid, tools in data.items():
        kv = statistics.median(tools["kvmtune"]["t"]) if "kvmtune" in tools else None
        for tool, d in tools.items():
            med = statistics.median(d["t"])
            out.setdefault(wid, {})[tool] = {
                "median_ms": med * 1e3,
                "round_medians_ms": [x * 1e3 for x in d["rounds"]],
                "runs": len(d["t"]),
                "ratio": (kv / med) if kv and tool != "kvmtune" else None,
                "exit_codes": sorted(d["exit"]),
            }
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    print()


def _read(out, name, default=""):
    try:
        with open(os.path.join(out, name)) as f:
            return f.read().strip()
    except OSError:
        return default


def _tsv(out, name):
    rows = []
    for line in _read(out, name).splitlines():
        rows.append(line.split("\t"))
    return rows


def report(out):
    """The markdown report: timings, RSS, syscalls, acceptance."""
    summ = json.loads(_read(out, "summary.json", "{}") or "{}")
    rss = {(r[0], r[1]): r for r in _tsv(out, "rss.tsv") if len(r) >= 4}
    sysc = {(r[0], r[1]): r for r in _tsv(out, "syscalls.tsv") if len(r) >= 4}
    p = print
    p("## Machine\n")
    p("```")
    p(_read(out, "machine.txt"))
    p("```\n")
    names = {
        "w1-first": "1. bundled [sysctl] keys (%s), first apply (%s of them changing)" % (
            _read(out, "w1.nsettings", "?"), _read(out, "w1.pending", "?")),
        "w1-second": "1/5. bundled [sysctl] keys, second apply",
        "w2-first": "2. full bundled conf.d (%s settings), first apply (%s of them changing)" % (
            _read(out, "w2.nsettings", "?"), _read(out, "w2.pending", "?")),
        "w3-1000": "3. %s per-interface keys (netns)" % _read(out, "w3-1000.nkeys", "~1,000"),
        "w3-5000": "3. %s per-interface keys (netns)" % _read(out, "w3-5000.nkeys", "~5,000"),
        "w3-10000": "3. %s per-interface keys (netns)" % _read(out, "w3-10000.nkeys", "~10,000"),
        "w4": "4. udev path, --only=netdev --device (%s files)" % _read(out, "w4.nconf", "?"),
        "w3-10000-second": "3. per-interface sysctls, 10k keys, second apply",
        "w3x-10000": "3x. the same %s keys, kvmtune given the peers' explicit lines" % _read(out, "w3-10000.nkeys", "~10,000"),
        "w4-record": "4b. udev path, new interface, %s-line revert record present" % _read(out, "w4-record.lines", "?"),
    }
    rsskey = {"w1-first": "w1", "w2-first": "w2", "w3-10000": "w3-10000", "w3x-10000": "w3x-10000", "w4": "w4"}
    p("## Wall time (medians of all runs) and peak RSS\n")
    p("| workload | tool | median ms | round medians ms | runs | kvmtune/tool | peak RSS KiB | exit |")
    p("|---|---|---:|---|---:|---:|---:|---|")
    order = ["kvmtune", "procps", "systemd-sysctl", "tuned", "ip-link"]
    for wid in ["w1-first", "w1-second", "w2-first", "w3-1000", "w3-5000", "w3-10000", "w3-10000-second",
                "w3x-10000", "w4", "w4-record"]:
        tools = summ.get(wid)
        if not tools:
            continue
        for tool in sorted(tools, key=lambda t: order.index(t) if t in order else 99):
            d = tools[tool]
            r = rss.get((rsskey.get(wid, ""), tool))
            if wid == "w3x-10000" and tool != "kvmtune":
                r = rss.get(("w3-10000", tool))    # the peers ran the same lines there
            p("| %s | %s | %.2f | %s | %d | %s | %s | %s |" % (
                names.get(wid, wid), tool, d["median_ms"],
                " ".join("%.2f" % x for x in d["round_medians_ms"]), d["runs"],
                "%.2f" % d["ratio"] if d["ratio"] else "", r[2] if r else "",
                ",".join(str(x) for x in d["exit_codes"])))
    if "w3-1000" in summ and "w3-10000" in summ:
        p("\n### Workload 3: growth (µs per key, average and marginal)\n")
        n1, n5, n10 = (int(_read(out, "w3-%d.nkeys" % n, str(n))) for n in (1000, 5000, 10000))
        p("| tool | µs/key at 1k | at 5k | at 10k | marginal 1k→5k | marginal 5k→10k |")
        p("|---|---:|---:|---:|---:|---:|")
        for tool in sorted(summ["w3-1000"], key=lambda t: order.index(t) if t in order else 99):
            try:
                t1, t5, t10 = (summ[w][tool]["median_ms"] for w in ("w3-1000", "w3-5000", "w3-10000"))
            except KeyError:
                continue
            a, b = (t5 - t1) / (n5 - n1) * 1e3, (t10 - t5) / (n10 - n5) * 1e3
            p("| %s | %.1f | %.1f | %.1f | %.1f | %.1f |" % (
                tool, t1 / n1 * 1e3, t5 / n5 * 1e3, t10 / n10 * 1e3, a, b))
    if sysc:
        p("\n## Syscalls (strace -c -f)\n")
        p("| run | tool | settings | syscalls | per setting |")
        p("|---|---|---:|---:|---:|")
        start = sysc.get(("startup", "kvmtune"))
        for (wid, tool), r in sysc.items():
            n, c = int(r[2] or 0), int(r[3] or 0)
            per = "%.1f" % (c / n) if n else ""
            if n and tool == "kvmtune" and start and wid in ("w1-first", "w1-second", "w5"):
                per += " (%.1f after start-up)" % ((c - int(start[3])) / n)
            p("| %s | %s | %d | %d | %s |" % (wid, tool, n, c, per))
    p("\n## Acceptance (issues 7, 12, 16)\n")
    p("| target | measured | result |")
    p("|---|---|---|")

    def row(target, measured, ok):
        p("| %s | %s | %s |" % (target, measured, "n/a" if ok is None else ("PASS" if ok else "FAIL")))

    def med(w, t):
        return summ.get(w, {}).get(t, {}).get("median_ms")
    for w in ("w1-first", "w1-second"):
        k, pr, sd = med(w, "kvmtune"), med(w, "procps"), med(w, "systemd-sysctl")
        if w == "w1-first" and _read(out, "w1.pending") == "0":
            row("workload 1 (first apply)", "invalid: before the run the host already held every configured "
                "value, so nothing changed (put the kernel's values back and run again)", False)
            continue
        if k and pr and sd:
            row("workload 1 (%s apply): ≤ 1.0× procps sysctl" % w.split("-")[1], "%.2f×" % (k / pr), k <= pr)
            row("workload 1 (%s apply): ≤ 0.5× systemd-sysctl" % w.split("-")[1], "%.2f×" % (k / sd), k <= 0.5 * sd)
            row("workload 1 (%s apply, issue 12): ≤ 0.9× procps sysctl" % w.split("-")[1], "%.2f×" % (k / pr),
                k <= 0.9 * pr)
    k, ipl = med("w4", "kvmtune"), med("w4", "ip-link")
    if k:
        row("workload 4: median ≤ 2 ms", "%.2f ms (exit %s, tx_queue_len %s)" % (
            k, _read(out, "w4.exit", "?"), _read(out, "w4.txqueuelen", "?")), k <= 2.0)
    if k and ipl:
        row("workload 4 (issue 12): ≤ 1.0× ip link set", "%.2f×" % (k / ipl), k <= ipl)
    k, ipl = med("w4-record", "kvmtune"), med("w4-record", "ip-link")
    if k:
        row("workload 4b (same, revert record of a 10k-key boot apply present): median ≤ 2 ms",
            "%.2f ms" % k, k <= 2.0)
    if k and ipl:
        row("workload 4b (issue 16): ≤ 1.2× ip link set, side by side", "%.2f× (%.2f ms / %.2f ms)" % (k / ipl, k, ipl),
            k <= 1.2 * ipl)
    for w in ("w3-10000", "w3-10000-second", "w3x-10000"):
        k, pr, sd = med(w, "kvmtune"), med(w, "procps"), med(w, "systemd-sysctl")
        if k and sd:
            row("%s (issue 12): ≤ 0.8× systemd-sysctl" % w, "%.2f×" % (k / sd), k <= 0.8 * sd)
        if k and pr:
            row("%s (issue 12): ≤ 0.6× procps" % w, "%.2f×" % (k / pr), k <= 0.6 * pr)
    prss = rss.get(("w3-10000", "procps"))
    for w in ("w3-10000", "w3x-10000"):
        r = rss.get((w, "kvmtune"))
        if r and prss:
            row("%s (issue 12): peak RSS ≤ procps' on the same keys" % w, "%s KiB / %s KiB" % (r[2], prss[2]),
                int(r[2]) <= int(prss[2]))
    k, pr = med("w3-10000", "kvmtune"), med("w3-10000", "procps")
    if k and pr:
        row("workload 3: ≤ 1.0× procps at 10k keys", "%.2f×" % (k / pr), k <= pr)
        t1, t5 = med("w3-1000", "kvmtune"), med("w3-5000", "kvmtune")
        n1, n5, n10 = (int(_read(out, "w3-%d.nkeys" % n, str(n))) for n in (1000, 5000, 10000))
        a, b, c = t1 / n1, t5 / n5, k / n10
        row("workload 3: linear (time per key at 10k ≤ 1.25× that at 5k)",
            "%.1f / %.1f / %.1f µs per key at 1k / 5k / 10k" % (a * 1e3, b * 1e3, c * 1e3), c <= 1.25 * b)
    wr = _read(out, "w5.writes")
    if wr:
        wo, ex = _read(out, "w5.wopens", "?"), _read(out, "w5.exit", "?")
        # apply opens a knob read-write once to read, compare and maybe write on one
        # descriptor: an open is not a write, the writes are what count
        row("workload 5: zero writes to /proc, /sys; exit 0",
            "%s writes (%s read-write opens), exit %s" % (wr, wo, ex), wr == "0" and ex == "0")
    r = rss.get(("w2", "kvmtune"))
    if r:
        row("peak RSS of a full apply ≤ 4 MiB", "%s KiB" % r[2], int(r[2]) <= 4096)
    if _read(out, "tick.tsv"):
        p()
        tick_report(out)
    un = _read(out, "w2.untranslated")
    if un:
        p("\nSettings of the full conf.d that the peers' configuration could not express"
          " (applied by kvmtune only):\n")
        for line in un.splitlines():
            p("- " + line)


def tick_report(out, head=True):
    """bench/tick.sh's rows: a ksm auto tick against ksmtuned's iteration."""
    rows = [r for r in _tsv(out, "tick.tsv") if len(r) >= 10]
    if not rows:
        return
    p = print
    if head:
        p("## Machine (tick)\n")
        p("```")
        p(_read(out, "tick.machine"))
        p("```\n")
    p("## [ksm] run = auto: a tick against ksmtuned's iteration (issue 36)\n")
    p("CPU and wall time per tick: the median of the rounds' means (every round's mean after it); per hour:")
    p("60 ticks (kvmtune-ksm.timer, every 60 s) and 60 iterations (ksmtuned's KSM_MONITOR_INTERVAL=60).\n")
    names = {"kvmtune": "kvmtune tick (apply --only=ksm, decides and writes)",
             "kvmtune-exec": "the same tick from its exec on (perf stat task-clock)",
             "kvmtune-version": "kvmtune --version (the floor: start and exit)",
             "tick-floor": "the tick's system calls alone (bench/tick-floor.c, not kvmtune)",
             "ksmtuned-loop": "ksmtuned iteration (sleep 0 & wait; adjust)",
             "ksmtuned-adjust": "ksmtuned adjust alone"}
    order = list(names)
    data = {}
    for r in rows:
        d = data.setdefault((int(r[0]), r[1]), {}).setdefault(r[2], {"cpu": [], "wall": [], "check": set()})
        d["cpu"].append(int(r[5]))
        d["wall"].append(int(r[6] or 0))
        if r[2] == "kvmtune":
            d["check"].add("run/pages_to_scan %s, guests %s, npages %s" % (r[9], r[10] if len(r) > 10 else "?", r[8]))
        elif r[2].startswith("ksmtuned"):
            d["check"].add("run/pages_to_scan %s, committed %s kB, npages %s" % (r[9], r[7], r[8]))
    p("| processes | state | tool | CPU ms per tick | rounds' CPU ms | wall ms per tick | CPU s per hour |"
      " kvmtune tick / this (CPU) | decision seen |")
    p("|---:|---|---|---:|---|---:|---:|---:|---|")
    verdict = []
    for (n, state) in sorted(data, key=lambda k: (k[0], k[1] != "stop")):
        tools = data[(n, state)]
        kv = statistics.median(tools["kvmtune"]["cpu"]) if "kvmtune" in tools else None
        for tool in sorted(tools, key=lambda t: order.index(t) if t in order else 99):
            d = tools[tool]
            cpu, wall = statistics.median(d["cpu"]), statistics.median(d["wall"])
            ratio = "%.3f (1/%.0f)" % (kv / cpu, cpu / kv) if kv and tool.startswith("ksmtuned") else ""
            p("| %d | %s | %s | %.3f | %s | %s | %.3f | %s | %s |" % (
                n, state, names.get(tool, tool), cpu / 1e3, " ".join("%.2f" % (x / 1e3) for x in d["cpu"]),
                "%.2f" % (wall / 1e3) if wall else "", cpu * 60 / 1e6, ratio, "; ".join(sorted(d["check"]))))
            if kv and tool == "ksmtuned-loop":
                ex, fl = tools.get("kvmtune-exec"), tools.get("tick-floor")
                verdict.append((n, state, kv, cpu, statistics.median(ex["cpu"]) if ex else None,
                                statistics.median(fl["cpu"]) if fl else None))
    p("\n| target (issue 36) | measured | result |")
    p("|---|---|---|")
    for n, state, kv, it, ex, fl in verdict:
        p("| ksm auto tick ≤ 1/20 of a ksmtuned iteration's CPU time, %d processes, %s | %.3f / %.3f ms = 1/%.1f%s%s | %s |" % (
            n, state, kv / 1e3, it / 1e3, it / kv,
            " (from its exec on: %.3f ms = 1/%.1f)" % (ex / 1e3, it / ex) if ex else "",
            "; the system calls alone: %.3f ms = 1/%.1f" % (fl / 1e3, it / fl) if fl else "",
            "PASS" if kv * 20 <= it else "FAIL"))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "sysctl-only":
        sysctl_only(*args)
    elif cmd == "peers":
        peers(args[0], args[1:])
    elif cmd == "scale":
        scale(*args)
    elif cmd == "save":
        save(*args)
    elif cmd == "summary":
        summary(*args)
    elif cmd == "report":
        report(*args)
    elif cmd == "tick-report":
        tick_report(*args)
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
