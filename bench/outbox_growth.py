#!/usr/bin/env python3
# How fast events are staged as the outbox grows, under each unique key the outbox has had: the messageId (a hash,
# schema version 9) and (activation, dedup key) (version 10). Both start from the outbox's own schema, indexes and
# triggers, as a state store that run_bench left holds them (DIR/state.sqlite, at version 10), and insert TOTAL
# events (default 4,000,000) as StageEvents does: transactions of B events (default 2,000), each sorted by the
# unique key, with the outbox's SQLite settings. Events are those of a backfill: two activations, profiles in
# order, the payload of a real event. Prints, per step of 500,000 events, the events/s of each key.
#
#   python3 bench/outbox_growth.py DIR/state.sqlite [TOTAL]
import hashlib, os, shutil, sqlite3, sys, time

source = sys.argv[1]
total = int(sys.argv[2]) if len(sys.argv) > 2 else 4_000_000
batch = int(os.environ.get('B', '2000'))
step = 500_000


def prepare(variant):
    work = f'{source}.{variant}'
    for ext in ('', '-wal', '-shm'):
        if os.path.exists(work + ext): os.remove(work + ext)
    shutil.copy(source, work)
    db = sqlite3.connect(work, isolation_level=None)
    for pragma in ('journal_mode = WAL', 'synchronous = NORMAL', 'cache_size = -65536', 'foreign_keys = ON'):
        db.execute('PRAGMA ' + pragma)
    payload = db.execute('SELECT payload FROM outbox LIMIT 1').fetchone()[0]
    activations = [r[0] for r in db.execute('SELECT id FROM activations ORDER BY id LIMIT 2')]
    run = db.execute('SELECT max(id) FROM runs').fetchone()[0]
    db.execute('BEGIN IMMEDIATE')
    db.execute('DELETE FROM outbox')
    db.execute("UPDATE runs SET status = 'running' WHERE id = ?", (run,))
    if variant == 'messageid':
        # Version 9's key: the messageId, unique across the outbox.
        db.execute('DROP INDEX outbox_dedup')
        db.execute('CREATE UNIQUE INDEX outbox_message_id ON outbox (message_id)')
    db.execute('COMMIT')
    db.execute('VACUUM')
    return db, work, payload, activations, run


def events(activations, start, count):
    for i in range(start, start + count):
        pid = f'p{i:09d}'
        for a in activations:
            key = f'backfill\x1fentered\x1f{pid}'
            digest = hashlib.sha256(f'kith-event\x1f{a}\x1f{key}'.encode()).hexdigest()
            mid = f'{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}'
            yield a, mid, key


def run(variant):
    db, work, payload, activations, run_id = prepare(variant)
    if variant == 'messageid':
        sql = ('INSERT INTO outbox (activation_id, run_id, message_id, event_name, payload, status, next_attempt_at, '
               'created_at) VALUES (?, ?, ?, ?, ?, \'pending\', 0, 0) ON CONFLICT (message_id) DO NOTHING')
        order = lambda e: e[1]
        row = lambda e: (e[0], run_id, e[1], 'Entered', payload)
    else:
        sql = ('INSERT INTO outbox (activation_id, run_id, message_id, event_name, payload, status, next_attempt_at, '
               'created_at, dedup_key) VALUES (?, ?, ?, ?, ?, \'pending\', 0, 0, ?) '
               'ON CONFLICT (activation_id, coalesce(dedup_key, message_id)) DO NOTHING')
        order = lambda e: (e[0], e[2])
        row = lambda e: (e[0], run_id, e[1], 'Entered', payload, e[2])
    db.execute('UPDATE outbox_totals_switch SET by_batch = 1')
    rates = []
    profiles_per_batch = batch // len(activations)
    done, t0 = 0, time.time()
    while done < total:
        rows = sorted(events(activations, done // len(activations), profiles_per_batch), key=order)
        db.execute('BEGIN IMMEDIATE')
        db.executemany(sql, [row(e) for e in rows])
        db.execute('COMMIT')
        done += len(rows)
        if done % step == 0:
            now = time.time()
            rates.append(step / (now - t0))
            t0 = now
            print(f'{variant}: {done:,} events, {rates[-1]:,.0f} events/s', file=sys.stderr)
    db.close()
    for ext in ('', '-wal', '-shm'):
        if os.path.exists(work + ext): os.remove(work + ext)
    return rates


old = run('messageid')
new = run('dedupkey')
print(f'| events in the outbox | messageId (v9): events/s | (activation, dedup key) (v10): events/s | v10 / v9 |')
print('|---:|---:|---:|---:|')
for i, (a, b) in enumerate(zip(old, new)):
    print(f'| {i * step:,} to {(i + 1) * step:,} | {a:,.0f} | {b:,.0f} | {b / a:.2f} |')
