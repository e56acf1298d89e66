# Profiling target: a threaded HTTP server whose requests are mostly fast and sometimes slow, and its load generator.
# `server`: GET /N runs fast_path (8 ms of CPU), or slow_path (a 150 ms wait on a socket to a slow child process,
# then 20 ms of CPU) for the requests the client marks slow; prints `port N`, then `ready`. `client PORT SECONDS
# SLOW_SHARE`: 4 threads on keep-alive connections send requests (a share of them slow, at random) with 30 ms
# between each thread's requests, then print each latency in ms, one per line, `done` last.
# `server --back-to-back`: do_GET calls handle_part three times in a row, 20 ms of CPU each.
#
# Usage: slow_requests.py server [--back-to-back] | client PORT SECONDS SLOW_SHARE
import os
import random
import socket
import sys
import threading
import time

from spin import spin

try:
    from http.server import BaseHTTPRequestHandler, HTTPServer
    from socketserver import ThreadingMixIn
except ImportError:  # 2.7
    from BaseHTTPServer import BaseHTTPRequestHandler, HTTPServer
    from SocketServer import ThreadingMixIn

SLOW_CHILD = os.path.join(os.environ.get("TMPDIR", "/tmp"), "pyflame-slow-child-%d.sock" % os.getpid())


def fast_path():
    spin(0.008)


def slow_path():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(SLOW_CHILD)
    s.recv(1)  # the child answers 150 ms later
    s.close()
    spin(0.02)


def handle_part():
    spin(0.02)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms delayed ACK between them
    back_to_back = False

    def do_GET(self):
        if self.back_to_back:
            handle_part()
            handle_part()
            handle_part()
        elif self.path.startswith("/slow"):
            slow_path()
        else:
            fast_path()
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(ThreadingMixIn, HTTPServer):
    daemon_threads = True


def slow_child():
    """A process that answers each connection after 150 ms, several at once."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(SLOW_CHILD)
    listener.listen(64)
    pid = os.fork()
    if pid:
        listener.close()
        return pid

    def answer(c):
        time.sleep(0.15)
        c.sendall(b"x")
        c.close()
    parent = os.getppid()
    listener.settimeout(0.5)
    while True:
        try:
            c, _ = listener.accept()
        except socket.timeout:
            if os.getppid() != parent:  # the server was killed: nobody to answer any more
                try:
                    os.unlink(SLOW_CHILD)
                except OSError:
                    pass
                os._exit(0)
            continue
        c.settimeout(None)
        t = threading.Thread(target=answer, args=(c,))
        t.daemon = True
        t.start()


def server(back_to_back):
    # The GIL handed over within 0.5 ms (not 5): a request arriving while another spins is parsed, and timed by the
    # client, about when it arrived; do_GET times what follows.
    if hasattr(sys, "setswitchinterval"):
        sys.setswitchinterval(0.0005)
    else:
        sys.setcheckinterval(10)
    child = slow_child()
    Handler.back_to_back = back_to_back
    httpd = Server(("127.0.0.1", 0), Handler)
    sys.stdout.write("port %d\nready\n" % httpd.server_address[1])
    sys.stdout.flush()
    try:
        httpd.serve_forever()
    finally:
        os.kill(child, 9)
        try:
            os.unlink(SLOW_CHILD)
        except OSError:
            pass


def client(port, seconds, slow_share):
    latencies = []
    lock = threading.Lock()
    deadline = time.time() + seconds

    def run(seed):
        # Raw requests on one keep-alive connection, the response read to its 3-byte body: the latency is the
        # server's (parsing, do_GET, writing) with little of the client's own work in it (http.client parses each
        # response's headers with the email package, a millisecond on a busy machine).
        rng = random.Random(seed)
        conn = socket.create_connection(("127.0.0.1", port))
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while time.time() < deadline:
            path = "/slow" if rng.random() < slow_share else "/fast"
            t0 = time.time()
            conn.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path).encode())
            got = b""
            while b"\r\n\r\n" not in got or len(got.split(b"\r\n\r\n", 1)[1]) < 3:
                chunk = conn.recv(4096)
                if not chunk:
                    raise SystemExit("the server closed the connection")
                got += chunk
            with lock:
                latencies.append((time.time() - t0) * 1e3)
            time.sleep(0.03)
        conn.close()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for ms in latencies:
        sys.stdout.write("%.3f\n" % ms)
    sys.stdout.write("done\n")


def main():
    if sys.argv[1] == "server":
        server("--back-to-back" in sys.argv[2:])
    else:
        client(int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]))


main()
