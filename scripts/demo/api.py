# Demo target: a small JSON HTTP API on loopback whose /report endpoint is deliberately slow, CPU-heavy pure Python,
# and whose /customers/<name>/history endpoint waits on a slow "database" (db.py, a child process).
#
# Usage: api.py [PORT]   (0 or none: pick a free port). Prints "listening PORT"
# once it accepts connections. Endpoints:
#   GET /orders/<id>                one order with its total (fast)
#   GET /report                     revenue per SKU and top customers (slow: Report.build -> compute_totals)
#   GET /customers/<name>/history   monthly orders from the database (slow: waits in CustomerHistory.query)
#   GET /health                     {"status": "ok", "orders": N}
# Python 3.7+, standard library only.
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ORDER_COUNT = 2000
CUSTOMER_COUNT = 50
SKU_COUNT = 200


def make_orders(seed=42):
    """A fixed, seeded order book, so every run does the same work."""
    rng = random.Random(seed)
    orders = {}
    for order_id in range(1, ORDER_COUNT + 1):
        items = []
        for _ in range(rng.randint(1, 5)):
            items.append(
                {
                    "sku": "SKU-%03d" % rng.randrange(SKU_COUNT),
                    "qty": rng.randint(1, 9),
                    "price_cents": rng.randint(99, 9999),
                }
            )
        orders[order_id] = {
            "id": order_id,
            "customer": "customer-%02d" % rng.randrange(CUSTOMER_COUNT),
            "items": items,
        }
    return orders


ORDERS = make_orders()


def order_view(order):
    total = sum(item["qty"] * item["price_cents"] for item in order["items"])
    return {
        "id": order["id"],
        "customer": order["customer"],
        "items": order["items"],
        "total_cents": total,
    }


def compute_totals(orders, skus):
    """Units and revenue per SKU, scanning every order once per SKU: deliberately quadratic."""
    totals = {}
    for sku in skus:
        units = 0
        revenue = 0
        for order in orders:
            for item in order["items"]:
                if item["sku"] == sku:
                    units += item["qty"]
                    revenue += item["qty"] * item["price_cents"]
        totals[sku] = {"units": units, "revenue_cents": revenue}
    return totals


def top_customers(orders, limit):
    spent = {}
    for order in orders:
        total = sum(item["qty"] * item["price_cents"] for item in order["items"])
        spent[order["customer"]] = spent.get(order["customer"], 0) + total
    ranked = sorted(spent.items(), key=lambda pair: (-pair[1], pair[0]))
    return [{"customer": name, "spent_cents": cents} for name, cents in ranked[:limit]]


class Report(object):
    def __init__(self, orders):
        self.orders = list(orders.values())

    def build(self):
        skus = ["SKU-%03d" % n for n in range(SKU_COUNT)]
        totals = compute_totals(self.orders, skus)
        return {
            "orders": len(self.orders),
            "revenue_cents": sum(t["revenue_cents"] for t in totals.values()),
            "per_sku": totals,
            "top_customers": top_customers(self.orders, 5),
        }


class Database(object):
    """The demo's database: db.py in a child process, one connection per API thread."""

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "db.py")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.port = int(self.proc.stdout.readline().decode().split()[1])
        self.local = threading.local()

    def connection(self):
        if not hasattr(self.local, "file"):
            sock = socket.create_connection(("127.0.0.1", self.port))
            self.local.file = sock.makefile("rwb")
        return self.local.file

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


DATABASE = None


class CustomerHistory(object):
    def __init__(self, customer):
        self.customer = customer

    def query(self):
        conn = DATABASE.connection()
        conn.write(("history %s\n" % self.customer).encode("utf-8"))
        conn.flush()
        return json.loads(conn.readline().decode("utf-8"))

    def load(self):
        rows = self.query()
        return {"customer": self.customer, "months": rows, "orders": sum(r["orders"] for r in rows)}


class Handler(BaseHTTPRequestHandler):
    server_version = "pyflame-demo/1"

    def do_GET(self):
        if self.path == "/health":
            self.send_json(200, {"status": "ok", "orders": len(ORDERS)})
        elif self.path == "/report":
            self.send_json(200, Report(ORDERS).build())
        elif self.path.startswith("/customers/") and self.path.endswith("/history"):
            self.send_json(200, CustomerHistory(self.path.split("/")[2]).load())
        elif self.path.startswith("/orders/"):
            order_id = self.path[len("/orders/"):]
            order = ORDERS.get(int(order_id)) if order_id.isdigit() else None
            if order is None:
                self.send_json(404, {"error": "no such order"})
            else:
                self.send_json(200, order_view(order))
        else:
            self.send_json(404, {"error": "no such endpoint"})

    def send_json(self, status, body):
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        pass  # a line per request would drown the demo's own output


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops connections under the load generator's bursts


def main(argv):
    if len(argv) > 2 or (len(argv) == 2 and not argv[1].isdigit()):
        sys.stderr.write("usage: api.py [PORT]\n")
        return 2
    global DATABASE
    port = int(argv[1]) if len(argv) == 2 else 0
    DATABASE = Database()
    server = Server(("127.0.0.1", port), Handler)
    # Both end serve_forever cleanly, also when started in the background,
    # where the shell leaves SIGINT ignored.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda signum, frame: sys.exit(0))
    print("listening %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        DATABASE.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
