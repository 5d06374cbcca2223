#!/bin/sh
# dashboard-oracle.sh - the dashboard's IPC agrees with ss(8) and lsof(8)
# on real programs that no one here wrote: a Python multiprocessing
# script (Pool, Queue, Pipe, Manager, shared_memory), a shell pipeline,
# Python's UDP sockets (a bound one two processes share, two connected
# to each other, one connected to the bound one), nginx (a master and
# three workers sharing one listening socket, and a client keeping a
# connection open), and `make -j` with a sub-make.
# tests/ipc-oracle.py takes `proclab --once -p ROOT`, asks ss and lsof
# about the same processes, and prints every disagreement: one is a
# failing check.
. "$top_srcdir/tests/lib.sh"

bin="$top_builddir/proclab"
oracle="$top_srcdir/tests/ipc-oracle.py"
for tool in python3 ss lsof; do
	command -v "$tool" >/dev/null 2>&1 ||
		skip_all "$tool is not installed (./quickstart installs it: python3, iproute2, lsof)"
done
# ss asks the kernel's sock_diag, which a container may not offer.
ss -x -a -n -H >/dev/null 2>&1 || skip_all "ss cannot list sockets here (no sock_diag)"
plan 15

# start ROOT-COMMAND...: run it in the background with our token; $root.
start() {
	env PROCLAB_TEST_TOKEN="$TOKEN" "$@" >"$WORK/out" 2>"$WORK/err" </dev/null &
	root=$!
}

# agrees: the oracle finds no disagreement (its report as TAP comments).
agrees() {
	python3 "$oracle" "$bin" "$root" >"$WORK/oracle" 2>&1
	orc=$?
	sed 's/^\([^#]\)/# \1/' "$WORK/oracle"
	[ "$orc" -eq 0 ]
}

# compared KIND N: the oracle compared at least N objects of KIND, so that
# an agreement is not two empty lists.
compared() { grep -q "^# $1: \([$2-9]\|[1-9][0-9]\+\) objects compared" "$WORK/oracle"; }

# descendants PID: PID and every process below it. nginx writes its
# process titles over its environment, so the token alone cannot find it.
descendants() {
	echo "$1"
	for child in $(cat "/proc/$1/task/"*/children 2>/dev/null); do
		descendants "$child"
	done
}
# gone PID...: none of them runs (a zombie holds nothing).
gone() {
	for p in "$@"; do
		[ -d "/proc/$p" ] && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null && return 1
	done
	return 0
}

# stop: end every process of the run, and reap the one we started.
stop() {
	run_pids="$(descendants "$root") $(token_pids)"
	for p in $run_pids; do kill -TERM "$p" 2>/dev/null; done
	# shellcheck disable=SC2086 # one word a PID
	poll 10 gone $run_pids || for p in $run_pids; do kill -KILL "$p" 2>/dev/null; done
	wait "$root" 2>/dev/null
	# shellcheck disable=SC2086
	poll 10 gone $run_pids && poll 10 nothing_left
}

children() { [ "$(token_pids | wc -l)" -ge "$1" ]; }
has_out() { grep -q "$1" "$WORK/out"; }

# --- Python multiprocessing: everything it uses to talk. ---
cat >"$WORK/mp.py" <<'EOF'
import multiprocessing as mp, signal, sys, time
from multiprocessing import shared_memory

def work(x):
    time.sleep(120)
    return x

def child(conn, q):
    conn.send("hello")
    q.put(1)
    time.sleep(120)

if __name__ == "__main__":
    mp.set_start_method("fork")
    shm = shared_memory.SharedMemory(create=True, size=4096)
    manager = mp.Manager()
    d = manager.dict()
    d["a"] = 1
    q = mp.Queue()
    a, b = mp.Pipe()
    p = mp.Process(target=child, args=(b, q))
    p.start()
    print(a.recv(), q.get(), flush=True)
    pool = mp.Pool(2)
    r = pool.map_async(work, [1, 2])
    # SIGTERM ends the main process through its finally: the segment
    # is unlinked (its children keep the default action).
    signal.signal(signal.SIGTERM, lambda signo, frame: sys.exit(0))
    print("ready", shm.name, flush=True)
    try:
        time.sleep(120)
    finally:
        shm.close()
        shm.unlink()
EOF
start python3 "$WORK/mp.py"
poll 30 has_out ready || diag "the script never got ready: $(cat "$WORK/err")"
check "python multiprocessing: the dashboard agrees with ss and lsof" agrees
check "python multiprocessing: pipes, the Manager's connection and the semaphores compared" \
	eval 'compared pipe 3 && compared unix 2 && compared sem 1 && compared shm 1'
segment=$(sed -n 's/^ready //p' "$WORK/out")
check "python multiprocessing: ended and reaped, its segment unlinked" \
	eval 'stop && [ -n "$segment" ] && poll 10 test ! -e "/dev/shm/$segment"'

# --- A shell pipeline, every stage blocked on the next. ---
start sh -c 'yes | tr y n | sleep 120'
poll 30 children 4
check "pipeline: the dashboard agrees with lsof" agrees
check "pipeline: its two pipes compared" compared pipe 2
check "pipeline: ended and reaped" stop

# --- UDP: Python's sockets, as ss -uanp lists them. ---
cat >"$WORK/udp.py" <<'EOF'
import os, signal, socket, sys, time

def udp(address=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if address:
        s.bind(address)
    return s

# Bound, connected to nothing: it takes datagrams from anyone. The child
# inherits it.
server = udp(("127.0.0.1", 0))
# Two sockets connected to each other, one in each process.
a, b = udp(("127.0.0.1", 0)), udp(("127.0.0.1", 0))
a_address, b_address = a.getsockname(), b.getsockname()
child = os.fork()
if child == 0:
    a.close()
    b.connect(a_address)
    client = udp()  # the kernel binds it when it connects
    client.connect(server.getsockname())
    client.send(b"ping")
    b.send(b"hello")
    time.sleep(120)
    os._exit(0)
b.close()
a.connect(b_address)

def end(signo, frame):
    os.kill(child, signal.SIGTERM)
    os.waitpid(child, 0)
    sys.exit(0)

signal.signal(signal.SIGTERM, end)
server.recvfrom(64)
a.recv(64)
print("ready", flush=True)
time.sleep(120)
EOF
start python3 "$WORK/udp.py"
poll 30 has_out ready || diag "the script never got ready: $(cat "$WORK/err")"
check "udp: the dashboard agrees with ss" agrees
check "udp: the bound socket, the connected pair and the client of the bound one compared" \
	compared udp 3
check "udp: ended and reaped" stop

# --- nginx: a master and workers that share one listening socket. ---
nginx=$(command -v nginx || echo /usr/sbin/nginx)
if [ -x "$nginx" ]; then
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	mkdir "$WORK/nginx"
	cat >"$WORK/nginx/nginx.conf" <<EOF
# In the foreground, on a private port, every file in the test's folder.
daemon off;
master_process on;
worker_processes 3;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 32; }
http {
	access_log off;
	client_body_temp_path $WORK/nginx/body;
	proxy_temp_path $WORK/nginx/proxy;
	fastcgi_temp_path $WORK/nginx/fastcgi;
	uwsgi_temp_path $WORK/nginx/uwsgi;
	scgi_temp_path $WORK/nginx/scgi;
	keepalive_timeout 300;
	server { listen 127.0.0.1:$port; location / { return 200 "ok\n"; } }
}
EOF
	# The client is the root: nginx its child, so that both ends of the
	# connection are watched.
	cat >"$WORK/client.py" <<'EOF'
import socket, sys, time
deadline = time.monotonic() + 30
while True:
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
        break
    except OSError:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.05)
s.sendall(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
print(s.recv(4096).split(b"\r\n")[0].decode(), flush=True)
time.sleep(300)
EOF
	start sh -c '"$0" -p "$1" -e "$1/error.log" -c "$1/nginx.conf" & exec python3 "$2" "$3"' \
		"$nginx" "$WORK/nginx" "$WORK/client.py" "$port"
	poll 30 has_out "200 OK" || diag "no answer from nginx: $(cat "$WORK/err" "$WORK/nginx/error.log")"
	check "nginx: the dashboard agrees with ss and lsof" agrees
	check "nginx: the shared listener, the connection and the master's socketpairs compared" \
		eval 'compared tcp 2 && compared unix 3'
	check "nginx: ended and reaped" stop
else
	for what in "agrees" "compared" "ended"; do
		check "nginx: $what # SKIP nginx is not installed (apt-get install nginx-light)" true
	done
fi

# --- make -j, with a sub-make that shares its jobserver pipe. ---
if command -v make >/dev/null 2>&1; then
	mkdir "$WORK/make"
	printf 'all: a b sub\na b:\n\tsleep 120\nsub:\n\t+$(MAKE) -f sub.mk\n' >"$WORK/make/Makefile"
	printf 'all: c d\nc d:\n\tsleep 120 | cat\n' >"$WORK/make/sub.mk"
	start make -s -j4 -C "$WORK/make"
	poll 30 children 8
	check "make -j: the dashboard agrees with lsof" agrees
	check "make -j: the jobserver's and the recipes' pipes compared" compared pipe 2
	check "make -j: ended and reaped" stop
else
	for what in "agrees" "compared" "ended"; do
		check "make -j: $what # SKIP make is not installed" true
	done
fi

finish
