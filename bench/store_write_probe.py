#!/usr/bin/env python3
# The latency of small writes to a state store from another process (lock wait, commit and any checkpoint they
# run), for SECONDS once the file exists: what an API write or a delivery mark pays beside a run staging events.
#
#   python3 bench/store_write_probe.py DIR/state.sqlite 14 &
#   build/bench/run_bench --warehouse duckdb:COPY.duckdb --graph gen.hcl --state DIR [--stage-batch N]
#
# Prints the count and p50 / p90 / p99 / max in milliseconds.
import sqlite3, sys, time, os, statistics
path = sys.argv[1]; seconds = float(sys.argv[2])
while not os.path.exists(path): time.sleep(0.05)
time.sleep(1.0)
db = sqlite3.connect(path, timeout=30, isolation_level=None)
db.execute('PRAGMA busy_timeout=30000')
lat = []
t_end = time.time() + seconds
while time.time() < t_end:
    t0 = time.perf_counter()
    try:
        db.execute('BEGIN IMMEDIATE')
        db.execute("UPDATE workspaces SET name = name WHERE id = 1")
        db.execute('COMMIT')
    except sqlite3.OperationalError as e:
        print('error', e); db.execute('ROLLBACK') if db.in_transaction else None
    lat.append((time.perf_counter() - t0) * 1000)
    time.sleep(0.02)
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
print(f"writes {len(lat)}: p50 {q(0.5):.1f} ms, p90 {q(0.9):.1f} ms, p99 {q(0.99):.1f} ms, max {lat[-1]:.1f} ms")
