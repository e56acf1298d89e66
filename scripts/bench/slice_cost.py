"""9. Slow-request slicing: what `--slice FUNC --slower-than p90` costs userspace on a busy server's records.

scripts/bench/slicer_cost.c feeds the slicer (user/record/slicer.c, the production object) synthetic records in time
order: 8 threads serving requests whose lengths spread log-normally around 20 records (a tail of slow ones in the
hundreds), each record one 999 Hz period of one of 2000 distinct 5-frame stacks under Handler.do_GET, an idle
record between requests. Measured in the program, in CPU time: adding the records (an invocation's records held
until it ends, then added to its latency bucket), then the post-pass (percentiles, and the slow invocations'
profile against the rest's, as --compare writes).
"""
import os
import re
import subprocess

import common

NAME = "slice_cost"
TITLE = "Slow-request slicing"
UNITS = {"records": "records", "requests": "requests", "adding (ms)": "ms", "post-pass (ms)": "ms",
         "total (ms)": "ms"}
PROGRAM = os.path.join(common.BUILD, "bench", "slicer_cost")
SIZES = (100000, 1000000)
LINE = re.compile(r"records (\d+) requests (\d+) resolved (\d+) slow (\d+) stacks (\d+) add_ms ([\d.]+) "
                  r"result_ms ([\d.]+)")


def one(records):
    p = subprocess.run([PROGRAM, str(records)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    m = LINE.search(p.stdout.decode())
    if p.returncode or not m:
        raise RuntimeError("%s %d: exit %d: %s" % (PROGRAM, records, p.returncode, p.stderr.decode()[-300:]))
    return {"records": int(m.group(1)), "requests": int(m.group(2)), "resolved": int(m.group(3)),
            "slow": int(m.group(4)), "slow_stacks": int(m.group(5)), "add_ms": float(m.group(6)),
            "result_ms": float(m.group(7))}


def run(ctx):
    if not os.access(PROGRAM, os.X_OK):
        return {"skipped": "%s is missing: run `make bench`, which builds it" % PROGRAM}
    runs = ctx.pick(3, 7)
    rows, data = [], {"runs": runs, "results": []}
    for size in SIZES:
        got = [one(size) for _ in range(runs)]
        ctx.runs += runs
        add = common.summarize([g["add_ms"] for g in got])
        post = common.summarize([g["result_ms"] for g in got])
        total = common.summarize([g["add_ms"] + g["result_ms"] for g in got])
        data["results"].append({"records": size, "requests": got[0]["requests"], "resolved": got[0]["resolved"],
                                "slow": got[0]["slow"], "add_ms": add, "result_ms": post, "total_ms": total})
        rows.append([size, got[0]["requests"], common.fmt_dist(add), common.fmt_dist(post), common.fmt_dist(total)])
        ctx.log("slicer %d records: add %s ms, post-pass %s ms" % (size, common.fmt_dist(add), common.fmt_dist(post)))
    return {
        "method": ("scripts/bench/slicer_cost.c feeds the production slicer the records of 8 threads in time order: "
                   "requests log-normally spread around 20 records, each record one 999 Hz period of one of 2000 "
                   "distinct stacks under Handler.do_GET, an idle record between requests; --slower-than p90, and "
                   "the rest's profile as --compare writes it. CPU time measured in the program, %d runs per size. "
                   "Median [quartiles]." % runs),
        "columns": ["records", "requests", "adding (ms)", "post-pass (ms)", "total (ms)"],
        "rows": rows,
        "notes": ["Memory follows the (stack, latency bucket) pairs of ended requests and the records of the open "
                  "ones, not the number of requests: a request's records are dropped once it ends."],
        "data": data,
    }


def goals(result):
    big = [e for e in result.get("data", {}).get("results", []) if e["records"] == max(SIZES)]
    if not big or not big[0]["total_ms"].get("n"):
        return []
    e = big[0]
    return [("--slice: the post-pass over 1 M records under 1 s",
             "post-pass %.0f ms (adding them %.0f ms) for %d records" % (e["result_ms"]["median"],
                                                                          e["add_ms"]["median"], e["records"]),
             e["result_ms"]["median"] + e["add_ms"]["median"] < 1000)]
