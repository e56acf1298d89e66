"""bench/results.json: a benchmark run as data, every figure of BENCHMARKS.md with its unit and quartiles, the
machine and the commit; BENCHMARKS.md is rendered from it (report.markdown), so two runs can be diffed as data.

A run's record (run.py; build/bench.json keeps it whole, with each section's raw data) becomes:

    {"format", "started", "quick", "seconds", "load_start", "load_end", "commit", "machine", "profilers",
     "goals": [{"goal", "measured", "met", "figures": [{"value", "unit"}...]}],
     "sections": [{"name", "title", "method", "tables": [{"caption", "columns", "rows"}], "notes", "runs",
                   "seconds"} or {"name", "title", "skipped"}]}

A table cell is a string (a label, a verdict) or a figure: {"text": as BENCHMARKS.md shows it, "unit", and
"median", "q1", "q3" (and "wide": quartiles further apart than common.WIDE of the median) for a distribution,
"value" for a single number, "low"/"high" for an interval, "value"/"error" for a share and its sampling error,
"value"/"truth" for a measured share against the true one, "also": {"value", "unit"} for the figure in parentheses
after the first}. Units come from each section module's UNITS (column header, or a regular expression of headers,
-> unit; None: a text column) and ROW_UNITS (first cell of a row -> unit, for tables of one measure per row).
Figures in the sections' method and note sentences stay in their text.
"""
import json
import os
import re

FORMAT = "pyflame-bpf benchmark results, version 1"

NUM = r"[-+]?\d+(?:\.\d+)?"
DIST = re.compile(r"^(?P<median>%s)(?P<inline>[^\[\d]*?) ?\[(?P<q1>%s)–(?P<q3>%s)\](?P<wide> wide)?"
                  r"(?: \((?P<also>[^()]*)\))?$" % (NUM, NUM, NUM))
RANGE = re.compile(r"^(?P<low>%s)–(?P<high>%s)$" % (NUM, NUM))
SHARE_ERROR = re.compile(r"^(?P<value>%s) ± (?P<error>%s)$" % (NUM, NUM))
AGAINST = re.compile(r"^(?P<value>%s) vs (?P<truth>%s)$" % (NUM, NUM))
SINGLE = re.compile(r"^(?P<value>%s)(?P<inline> ?%%(?: of a core)?)?(?: \((?P<also>[^()]*)\))?$" % NUM)
ALSO = re.compile(r"^(?P<value>%s) ?(?P<unit>\S.*)$" % NUM)
# Figures quoted in a goal's measured text: a number and the unit after it.
GOAL_FIGURE = re.compile(r"(?<![\w.])(%s) ?(µs|ms|ns|s|%%|points)(?![\w])" % NUM)


def _number(text):
    return float(text) if "." in text else int(text)


def column_unit(section, column):
    """The unit of a column from the section's UNITS: its header, else a pattern of headers, else the unit in
    parentheses at the end of the header; "" when a column is text (declared None), None when unknown."""
    units = getattr(section, "UNITS", {}) if section else {}
    if column in units:
        return units[column] or ""
    for pattern, unit in units.items():
        if re.fullmatch(pattern, column):
            return unit or ""
    m = re.search(r"\(([^()]+)\)$", column)
    return m.group(1) if m else None


def row_unit(section, label):
    for pattern, unit in (getattr(section, "ROW_UNITS", {}) if section else {}).items():
        if re.fullmatch(pattern, str(label)):
            return unit
    return None


def figure(cell, unit):
    """A table cell as a figure dict, or the cell itself when it holds no figure (text, empty, a dash)."""
    if isinstance(cell, bool) or cell is None:
        return cell
    if isinstance(cell, (int, float)):
        return {"text": str(cell), "value": cell, "unit": unit}
    text = str(cell)
    m = DIST.match(text)
    if m:
        fig = {"text": text, "median": _number(m.group("median")), "q1": _number(m.group("q1")),
               "q3": _number(m.group("q3")), "unit": unit}
        if m.group("wide"):
            fig["wide"] = True
    else:
        m = RANGE.match(text) or SHARE_ERROR.match(text) or AGAINST.match(text) or SINGLE.match(text)
        if not m:
            return text
        fig = {"text": text}
        fig.update((k, _number(v)) for k, v in m.groupdict().items() if k not in ("inline", "also") and v)
        fig["unit"] = unit
    also = m.groupdict().get("also")
    if also:
        a = ALSO.match(also)
        if a:
            fig["also"] = {"value": _number(a.group("value")), "unit": a.group("unit")}
    return fig


def table(section, t):
    columns = list(t.get("columns", []))
    rows = []
    for row in t.get("rows", []):
        cells, label_unit = [], row_unit(section, row[0]) if row else None
        for i, cell in enumerate(row):
            unit = column_unit(section, columns[i]) if i < len(columns) else None
            if label_unit is not None and i > 0:
                unit = label_unit
            cells.append(cell if unit == "" else figure(cell, unit))
        rows.append(cells)
    out = {"columns": columns, "rows": rows}
    if t.get("caption"):
        out = {"caption": t["caption"], **out}
    return out


def from_run(run, sections):
    """results.json's dict of a run record (what run.py measured, or a saved build/bench.json)."""
    by_title = {s.TITLE: s for s in sections}
    machine = run["machine"]
    out = {
        "format": FORMAT,
        "started": run["started"],
        "quick": run["quick"],
        "seconds": run["seconds"],
        "load_start": run["load_start"],
        "load_end": run["load_end"],
        "commit": machine.get("tools", {}).get("commit"),
        "machine": machine,
        "profilers": run["profilers"],
        "goals": [{"goal": g, "measured": m, "met": met,
                   "figures": [{"value": _number(v), "unit": u} for v, u in GOAL_FIGURE.findall(m)]}
                  for g, m, met in run["goals"]],
        "sections": [],
    }
    for title, res in run["sections"]:
        section = by_title.get(title)
        entry = {"name": section.NAME if section else None, "title": title}
        if res.get("skipped"):
            entry["skipped"] = res["skipped"]
        else:
            entry["method"] = res.get("method", "")
            entry["tables"] = [table(section, t) for t in res.get("tables", [res])]
            entry["notes"] = list(res.get("notes", []))
        entry["runs"] = res.get("runs", 0)
        entry["seconds"] = res.get("seconds", 0)
        out["sections"].append(entry)
    return out


def figures(results):
    """Every figure of the tables: (section title, column, figure)."""
    for s in results["sections"]:
        for t in s.get("tables", []):
            for row in t["rows"]:
                for column, cell in zip(t["columns"], row):
                    if isinstance(cell, dict):
                        yield s["title"], column, cell


def cell_text(cell):
    return cell["text"] if isinstance(cell, dict) else cell


def write(results, path):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(results, f, indent=1, ensure_ascii=False)
        f.write("\n")
    os.replace(path + ".tmp", path)


def load(path):
    with open(path, encoding="utf-8") as f:
        results = json.load(f)
    if results.get("format") != FORMAT:
        raise ValueError("%s is not %s" % (path, FORMAT))
    return results
