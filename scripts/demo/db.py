# Demo "database": answers each query line on loopback after a fixed delay, like a slow SQL query would.
#
# Usage: db.py   Prints "listening PORT". Each connection sends lines `history CUSTOMER`; each gets one JSON line
# back after QUERY_SECONDS. Exits when its stdin closes (the API that started it is gone, however it ended).
# Python 3.7+, standard library only.
import json
import socketserver
import sys
import threading
import time

QUERY_SECONDS = 0.06


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            customer = line.decode("utf-8", "replace").strip().partition(" ")[2]
            time.sleep(QUERY_SECONDS)
            rows = [{"customer": customer, "month": m, "orders": (len(customer) * m) % 7} for m in range(1, 13)]
            self.wfile.write(json.dumps(rows).encode("utf-8") + b"\n")


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("listening %d" % server.server_address[1], flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    sys.exit(main())
