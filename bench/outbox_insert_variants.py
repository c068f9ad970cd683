#!/usr/bin/env python3
# Inserting 200,000 events into a copy of a state store's outbox (Python's sqlite3, the outbox's own schema and
# payloads), under one variant, and the events/s: what the README's table of outbox experiments measured. The
# store is one `run_bench` left (DIR/state.sqlite after a 1M-profile run_bench: 650,000 events), of a build before
# store migration 10 (its unique key is the messageId; bench/outbox_growth.py compares that key with today's). A variant name
# holds any of: sorted (each batch by messageId), nockpt (no automatic checkpoints), ckpt10k (checkpoint past
# 10,000 pages), periodic (a checkpoint every P batches), bg (checkpoints on a second thread), seqid (sequential
# rather than hashed messageIds), notrig (no totals trigger), noov (no outbox_overview index), nocheck (no
# json_valid check), nofk (no foreign keys); "base" for none. B is the events per transaction (default 500).
#
#   B=10000 python3 bench/outbox_insert_variants.py DIR/state.sqlite nockpt_sorted_notrig
import sqlite3, time, shutil, sys, os, hashlib
variant = sys.argv[2]
source = sys.argv[1]; work = source + '.variant'
shutil.copy(source, work)
for ext in ('-wal','-shm'):
    if os.path.exists(work+ext): os.remove(work+ext)
db = sqlite3.connect(work, isolation_level=None)
db.execute('PRAGMA journal_mode=WAL'); db.execute('PRAGMA synchronous=NORMAL'); db.execute('PRAGMA cache_size=-65536'); db.execute('PRAGMA foreign_keys=ON')
if 'nocheck' in variant:
    sql0 = db.execute("SELECT sql FROM sqlite_master WHERE name='outbox'").fetchone()[0]
    db.execute('PRAGMA writable_schema=ON')
    db.execute("UPDATE sqlite_master SET sql=? WHERE name='outbox'", (sql0.replace('CHECK (json_valid(payload))',''),))
    db.execute('PRAGMA writable_schema=OFF')
    db.close(); db = sqlite3.connect(work, isolation_level=None)
    db.execute('PRAGMA synchronous=NORMAL'); db.execute('PRAGMA cache_size=-65536'); db.execute('PRAGMA foreign_keys=ON')
if 'notrig' in variant: db.execute('DROP TRIGGER outbox_totals_insert')
if 'noov' in variant: db.execute('DROP INDEX outbox_overview')
if 'nobyact' in variant: db.execute('DROP INDEX outbox_by_activation')
if 'nofk' in variant: db.execute('PRAGMA foreign_keys=OFF')
if 'ckpt10k' in variant: db.execute('PRAGMA wal_autocheckpoint=10000')
if 'nockpt' in variant: db.execute('PRAGMA wal_autocheckpoint=0')
if 'seqid' in variant: pass
if 'bigcache' in variant: db.execute('PRAGMA cache_size=-262144')
rows = db.execute("SELECT activation_id, event_name, payload FROM outbox LIMIT 200000").fetchall()
rid = db.execute("SELECT max(id) FROM runs").fetchone()[0]
db.execute("UPDATE runs SET status='running' WHERE id=?", (rid,)) if 'running' in variant else None
ids = [('z%012d' % i) for i in range(len(rows))] if 'seqid' in variant else [hashlib.sha256(str(i).encode()).hexdigest() for i in range(len(rows))]
n = 0
import threading
ev = threading.Event(); stop = [False]
def ckpt():
    c = sqlite3.connect(work, isolation_level=None, check_same_thread=False)
    while not stop[0]:
        ev.wait(); ev.clear()
        if stop[0]: break
        c.execute('PRAGMA wal_checkpoint(PASSIVE)').fetchall()
th = threading.Thread(target=ckpt)
if 'bg' in variant: th.start()
t0 = time.time()
B = int(os.environ.get('B', '500'))
sql = "INSERT INTO outbox (activation_id, run_id, message_id, event_name, payload, status, next_attempt_at, last_error, filter_stage, created_at, finished_at) VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (message_id) DO NOTHING"
if 'sorted' in variant:
    pass
for s in range(0, len(rows), B):
    db.execute('BEGIN IMMEDIATE')
    batch=[(r[0], rid, ids[s+i], r[1], r[2], 'pending', 1, '', '', 1700000000000, None) for i, r in enumerate(rows[s:s+B])]
    batch.sort(key=lambda x: x[2]) if 'sorted' in variant else None
    db.executemany(sql, batch)
    db.execute('COMMIT')
    if 'bg' in variant: ev.set()
    if 'periodic' in variant and (s//B) % int(os.environ.get('P','10')) == int(os.environ.get('P','10'))-1: db.execute('PRAGMA wal_checkpoint(PASSIVE)')
stop[0]=True; ev.set()
if 'bg' in variant: th.join()
walsz = os.path.getsize(work + '-wal')
t = time.time()-t0
print('wal MB', walsz>>20)
print(variant, B, f"{len(rows)/t:.0f} rows/s", f"{t:.2f}s")
db.close()
for ext in ('', '-wal', '-shm'):
    if os.path.exists(work + ext): os.remove(work + ext)
