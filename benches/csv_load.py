#!/usr/bin/env python3
"""CSV load throughput: TPC-H lineitem into Grizzly and into DuckDB with COPY, back to back.

    python3 benches/csv_load.py [--sf 1] [--runs 3] [--csv FILE] [--grizzly target/release/grizzly]

Needs the `duckdb` Python package (run it with a Python that has it, e.g. a virtualenv) and a
release build of Grizzly (`cargo build --release`). The CSV (with a header line) comes from
`--csv`, else `tpchgen-cli csv` (if on PATH or in ~/.cargo/bin), else `grizzly generate tpch`
followed by `COPY lineitem TO`. Each run loads into a fresh database file on disk (both
engines persist the table before COPY returns); the best run of each is reported with the
rows per second, the MB/s of CSV text, the CPU time (both use every core) and Grizzly's
time as a multiple of DuckDB's. On a shared machine, compare the CPU times too: the wall
times depend on what else runs.
"""

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

LINEITEM = """CREATE TABLE lineitem (
    l_orderkey BIGINT NOT NULL, l_partkey BIGINT NOT NULL, l_suppkey BIGINT NOT NULL,
    l_linenumber INTEGER NOT NULL, l_quantity DECIMAL(15,2) NOT NULL,
    l_extendedprice DECIMAL(15,2) NOT NULL, l_discount DECIMAL(15,2) NOT NULL,
    l_tax DECIMAL(15,2) NOT NULL, l_returnflag VARCHAR NOT NULL, l_linestatus VARCHAR NOT NULL,
    l_shipdate DATE NOT NULL, l_commitdate DATE NOT NULL, l_receiptdate DATE NOT NULL,
    l_shipinstruct VARCHAR NOT NULL, l_shipmode VARCHAR NOT NULL, l_comment VARCHAR NOT NULL)"""


def sql_string(s):
    return "'" + s.replace("'", "''") + "'"


def find_tpchgen():
    found = shutil.which("tpchgen-cli")
    if found:
        return found
    home = os.path.expanduser("~/.cargo/bin/tpchgen-cli")
    return home if os.path.exists(home) else None


def make_csv(args, work):
    """Path of a lineitem CSV file with a header line at the scale factor asked for."""
    if args.csv:
        return args.csv
    path = os.path.join(work, "lineitem.csv")
    tpchgen = find_tpchgen()
    if tpchgen:
        subprocess.run([tpchgen, "csv", "-s", str(args.sf), "--tables", "lineitem",
                        "--output-dir", work], check=True)
        return path
    db = os.path.join(work, "source.griz")
    subprocess.run([args.grizzly, "generate", "tpch", "--sf", str(args.sf), db], check=True)
    subprocess.run([args.grizzly, db, "-q", "-c",
                    f"COPY lineitem TO {sql_string(path)} (FORMAT csv, HEADER)"], check=True)
    os.remove(db)
    return path


def cpu_seconds(who):
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def time_grizzly(args, csv, work):
    db = os.path.join(work, "load.griz")
    if os.path.exists(db):
        os.remove(db)
    subprocess.run([args.grizzly, db, "-q", "-c", LINEITEM], check=True)
    cpu = cpu_seconds(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([args.grizzly, db, "-q", "-c",
                    f"COPY lineitem FROM {sql_string(csv)} (FORMAT csv, HEADER)"], check=True)
    elapsed = time.perf_counter() - start
    cpu = cpu_seconds(resource.RUSAGE_CHILDREN) - cpu
    out = subprocess.run([args.grizzly, db, "-q", "--format", "csv", "-c",
                          "SELECT count(*) FROM lineitem"],
                         check=True, capture_output=True, text=True)
    rows = int(out.stdout.strip().splitlines()[-1])
    os.remove(db)
    return elapsed, cpu, rows


def time_duckdb(csv, work):
    import duckdb
    db = os.path.join(work, "load.duckdb")
    if os.path.exists(db):
        os.remove(db)
    con = duckdb.connect(db)
    con.execute("SET enable_progress_bar = false")
    con.execute(LINEITEM)
    cpu = cpu_seconds(resource.RUSAGE_SELF)
    start = time.perf_counter()
    con.execute(f"COPY lineitem FROM {sql_string(csv)} (FORMAT csv, HEADER)")
    con.execute("CHECKPOINT")
    elapsed = time.perf_counter() - start
    cpu = cpu_seconds(resource.RUSAGE_SELF) - cpu
    rows = con.execute("SELECT count(*) FROM lineitem").fetchone()[0]
    con.close()
    os.remove(db)
    return elapsed, cpu, rows, duckdb.__version__


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sf", type=float, default=1.0, help="TPC-H scale factor")
    parser.add_argument("--runs", type=int, default=3, help="runs per engine (best is kept)")
    parser.add_argument("--csv", help="an existing lineitem CSV file with a header line")
    parser.add_argument("--grizzly", default="target/release/grizzly", help="grizzly binary")
    args = parser.parse_args()
    if not os.path.exists(args.grizzly):
        sys.exit(f"{args.grizzly} not found: run `cargo build --release` first")
    work = tempfile.mkdtemp(prefix="grizzly-csv-load-")
    try:
        csv = make_csv(args, work)
        size_mb = os.path.getsize(csv) / 1e6
        runs = {"grizzly": [], "duckdb": []}
        for run in range(args.runs):
            g, g_cpu, g_rows = time_grizzly(args, csv, work)
            d, d_cpu, d_rows, version = time_duckdb(csv, work)
            if g_rows != d_rows:
                sys.exit(f"row counts differ: grizzly {g_rows}, duckdb {d_rows}")
            print(f"run {run + 1}: grizzly {g:.2f} s ({g_cpu:.2f} s CPU), "
                  f"duckdb {d:.2f} s ({d_cpu:.2f} s CPU)", flush=True)
            runs["grizzly"].append((g, g_cpu))
            runs["duckdb"].append((d, d_cpu))
        (g, g_cpu), (d, d_cpu) = min(runs["grizzly"]), min(runs["duckdb"])
        print(f"lineitem: {g_rows} rows, {size_mb:.0f} MB of CSV, {os.cpu_count()} cores, "
              f"load average {os.getloadavg()[0]:.1f}; best run of {args.runs}:")
        for name, wall, cpu in [("grizzly", g, g_cpu), (f"duckdb {version}", d, d_cpu)]:
            print(f"  {name:14} {wall:6.2f} s wall {cpu:6.2f} s CPU "
                  f"{g_rows / wall / 1e6:5.2f} M rows/s {size_mb / wall:5.0f} MB/s")
        print(f"grizzly / duckdb: {g / d:.2f}x the wall time, {g_cpu / d_cpu:.2f}x the CPU time")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
