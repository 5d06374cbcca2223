#!/usr/bin/env python3
"""ipc-oracle.py - does the dashboard agree with ss(8) and lsof(8)?

Usage: ipc-oracle.py PROCLAB ROOT [KIND]...

Takes `PROCLAB --once -p ROOT`, then asks ss and lsof about the same
processes, then takes the snapshot again: when the two snapshots differ
something moved in between, and it tries again (up to 20 times). Then it
compares, kind by kind (pipe fifo unix tcp udp shm sem; all by default),
the objects the dashboard printed with those the tools show held by the
watched processes, and prints each disagreement. Exit 0 when they agree,
1 when they do not, 2 when no quiet moment came.

What the tools say, and what the dashboard must then say:
  lsof  an fd of type FIFO named "pipe" (or a path) held by two or more
        watched processes: one pipe (fifo) line with those PIDs, fds and
        ends (lsof's access mode r, w or u);
        a file under /dev/shm that two watched processes map ("mem",
        "DEL") or hold open: one shm or sem line with those holders;
  ss -x a socket's inode and its peer's (ss -xap): two watched ends are
        one unix connection; a listening one is a unix line "listening";
        one socket two watched processes hold, a unix line;
  ss -t the TCP sockets with their inodes (ss -tanpe): a listening one,
        with every watched holder; two watched ends whose addresses
        mirror each other, one connection; a watched end whose peer is
        no watched process's, one end "-> ADDRESS outside".
  ss -u the UDP sockets (ss -uanpe), the same way: a bound socket with
        no peer (UNCONN, "*") is listening; and a connected one whose
        peer is the address a watched socket is bound to, with no peer
        of its own, is one connection to that socket, which also keeps
        its listening line.
Only what holds between watched processes is compared: the tools list
the whole host.
"""
import re
import subprocess
import sys

HOLDERS_IN_FULL = 6  # past this many processes the dashboard lists PIDs only


def run(argv):
    return subprocess.run(argv, capture_output=True, text=True, check=False).stdout


def snapshot(proclab, root):
    """The watched PIDs and the IPC lines of one --once snapshot."""
    text = run([proclab, "--once", "-p", str(root)])
    pids, ipc, section = set(), [], None
    for line in text.splitlines():
        if line in ("IPC", "LOCKS"):
            section = line
            continue
        m = re.match(r"^ *(\d+) +\d+ ([A-Za-z]) ", line)
        if section is None and m and m.group(2) not in "ZX":
            pids.add(int(m.group(1)))
        elif section == "IPC" and line.startswith("  "):
            ipc.append(re.sub(r", \d+ bytes queued$", "", line.strip()))
        elif not line.startswith("  "):
            section = None
    return pids, sorted(ipc)


def parse_holders(text):
    """'held by 2: 100 (fd 3 w) 101 (map, fd 4)' -> (2, set of holders, full).
    A holder is (pid, fd or "map", end or ""); summarised, (pid, None, "")."""
    m = re.match(r"held by (\d+): ?(.*)$", text)
    if not m:
        return None
    count, rest, holders = int(m.group(1)), m.group(2), set()
    full = count <= HOLDERS_IN_FULL
    if full:
        for pid, what in re.findall(r"(\d+) \(([^)]*)\)", rest):
            for part in what.split(", "):
                if part == "map":
                    holders.add((int(pid), "map", ""))
                else:
                    f = part.split()
                    holders.add((int(pid), int(f[1]), f[2] if len(f) > 2 else ""))
    else:
        for pid in re.findall(r"\d+", rest):
            holders.add((int(pid), None, ""))
    return count, holders, full


def dashboard_objects(lines):
    """The dashboard's objects as comparable keys, by kind."""
    out = {}
    for line in lines:
        kind, body = line.split(None, 1)
        if " <-> " in body:  # a connection: END held by ... <-> END held by ...
            a, b = body.split(" <-> ")
            ea, ha = re.match(r"(?:.*: )?(\S+) (held by .*)$", a).groups()
            eb, hb = re.match(r"(\S+) (held by .*)$", b).groups()
            key = ("conn",) + tuple(sorted([(ea, holders_key(ha)), (eb, holders_key(hb))]))
        elif body.endswith(" outside"):
            m = re.match(r"(\S+) (held by .*) -> (\S+) outside$", body)
            key = ("outside", m.group(1), m.group(3), holders_key(m.group(2)))
        else:
            m = re.match(r"(.*?)( listening,)? (held by .*)$", body)
            name = re.sub(r" \(deleted\)$", "", m.group(1))
            key = ("listen" if m.group(2) else "one", name, holders_key(m.group(3)))
        out.setdefault(kind, set()).add(key)
    return out


def holders_key(text):
    count, holders, full = parse_holders(text)
    return (count, frozenset(holders)) if full else (count, tuple(sorted(h[0] for h in holders)))


def key_from(holders):
    """The key the dashboard would print for these (pid, fd, end) holders."""
    pids = sorted({h[0] for h in holders})
    if len(pids) > HOLDERS_IN_FULL:
        return (len(pids), tuple(pids[:HOLDERS_IN_FULL]))
    return (len(pids), frozenset(holders))


def lsof_objects(pids):
    """Pipes, FIFOs and /dev/shm files from lsof -F, held by watched PIDs."""
    text = run(["lsof", "-w", "-n", "-P", "-p", ",".join(map(str, sorted(pids))), "-F", "pfatin"])
    by = {}  # (kind, name) -> holders
    pid = fd = access = ftype = inode = None
    records = []
    for line in text.splitlines():
        tag, value = line[:1], line[1:]
        if tag == "p":
            pid = int(value)
        elif tag == "f":
            fd, access, ftype, inode = value, "", "", ""
        elif tag == "a":
            access = value
        elif tag == "t":
            ftype = value
        elif tag == "i":
            inode = value
        elif tag == "n":
            records.append((pid, fd, access, ftype, inode, value))
    for pid, fd, access, ftype, inode, name in records:
        if pid not in pids:
            continue
        name = re.sub(r" \(deleted\)$", "", name)
        if ftype == "FIFO" and name == "pipe":
            end = {"r": "r", "w": "w", "u": "b"}.get(access, "")
            by.setdefault(("pipe", "pipe:[%s]" % inode), set()).add((pid, int(fd), end))
        elif ftype == "FIFO":
            end = {"r": "r", "w": "w", "u": "b"}.get(access, "")
            by.setdefault(("fifo", name), set()).add((pid, int(fd), end))
        elif name.startswith("/dev/shm/") and "/proclab-board-" not in name:
            kind = "sem" if name.startswith("/dev/shm/sem.") else "shm"
            holder = (pid, "map", "") if fd in ("mem", "DEL") else None
            if fd.isdigit():
                holder = (pid, int(fd), "")
            if holder is not None:
                by.setdefault((kind, name), set()).add(holder)
    out = {}
    for (kind, name), holders in by.items():
        if len({h[0] for h in holders}) >= 2:
            out.setdefault(kind, set()).add(("one", name, key_from(holders)))
    return out


def users(text, pids):
    """ss's users:(("comm",pid=1,fd=3),...) -> holders among PIDS."""
    return {(int(p), int(f), "") for p, f in re.findall(r"pid=(\d+),fd=(\d+)", text) if int(p) in pids}


def ss_unix(pids):
    socks = {}
    for line in run(["ss", "-x", "-a", "-p", "-n", "-H"]).splitlines():
        f = line.split()
        if len(f) < 8 or not f[5].isdigit():
            continue
        socks[int(f[5])] = dict(state=f[1], path=f[4], peer=int(f[7]) if f[7].isdigit() else 0,
                                holders=users(line, pids))
    out = set()
    for inode, s in socks.items():
        if not s["holders"]:
            continue
        peer = socks.get(s["peer"])
        if s["peer"] and peer is not None and peer["holders"]:
            if inode < s["peer"]:
                out.add(("conn",) + tuple(sorted([("socket:[%d]" % inode, key_from(s["holders"])),
                                                  ("socket:[%d]" % s["peer"], key_from(peer["holders"]))])))
        elif s["state"] == "LISTEN":
            name = s["path"] if s["path"] != "*" else "socket:[%d]" % inode
            out.add(("listen", name, key_from(s["holders"])))
        elif len({h[0] for h in s["holders"]}) >= 2:
            out.add(("one", "socket:[%d]" % inode, key_from(s["holders"])))
    return {"unix": out} if out else {}


def ss_inet(pids, proto):
    socks = []
    for line in run(["ss", "-" + proto[0], "-a", "-p", "-n", "-e", "-H"]).splitlines():
        f = line.split()
        m = re.search(r"ino:(\d+)", line)
        if len(f) < 5 or not m or m.group(1) == "0":
            continue
        socks.append(dict(state=f[0], local=f[3], remote=f[4], holders=users(line, pids)))
    out = set()
    for s in socks:
        s["listening"] = s["state"] == "LISTEN" or (proto == "udp" and s["remote"].endswith(":*"))
    for s in socks:
        if not s["holders"]:
            continue
        if s["listening"]:
            out.add(("listen", s["local"], key_from(s["holders"])))
            continue
        peer = [p for p in socks if p["local"] == s["remote"] and p["remote"] == s["local"] and p["holders"]]
        if not peer and proto == "udp":
            peer = [p for p in socks if p["local"] == s["remote"] and p["listening"] and p["holders"]]
        if peer:
            out.add(("conn",) + tuple(sorted([(s["local"], key_from(s["holders"])),
                                              (peer[0]["local"], key_from(peer[0]["holders"]))])))
        else:
            out.add(("outside", s["local"], s["remote"], key_from(s["holders"])))
    return {proto: out} if out else {}


def main():
    proclab, root = sys.argv[1], int(sys.argv[2])
    kinds = sys.argv[3:] or ["pipe", "fifo", "unix", "tcp", "udp", "shm", "sem"]
    for attempt in range(20):
        pids, before = snapshot(proclab, root)
        tools = lsof_objects(pids)
        tools.update(ss_unix(pids))
        tools.update(ss_inet(pids, "tcp"))
        tools.update(ss_inet(pids, "udp"))
        pids_after, after = snapshot(proclab, root)
        if before == after and pids == pids_after:
            break
    else:
        print("# no quiet moment: the snapshots kept changing")
        return 2
    ours = dashboard_objects(before)
    bad = 0
    for kind in kinds:
        a, b = ours.get(kind, set()), tools.get(kind, set())
        for k in sorted(map(repr, a - b)):
            print("# %s: the dashboard has, the tools do not: %s" % (kind, k))
            bad += 1
        for k in sorted(map(repr, b - a)):
            print("# %s: the tools have, the dashboard does not: %s" % (kind, k))
            bad += 1
        print("# %s: %d objects compared" % (kind, len(a | b)))
    if bad:
        print("# the dashboard's IPC lines were:")
        for line in before:
            print("#   " + line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
