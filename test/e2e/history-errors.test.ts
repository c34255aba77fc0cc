// Black-box tests of the history commands on bad stores: each is one line, exit 1 (2 for usage), the store as
// it was; PostgreSQL's (no schema, a read-only role, an unreachable server, a wrong password) included.
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, FAILURE, STREAMS, sv, tmp } from '../history/cli.js';
import {
  freePort,
  freshDatabase,
  grantRead,
  passwordCluster,
  type TestDatabase,
} from '../history/pg-server.js';

describe('bad stores: one line, exit 1, nothing changed', () => {
  it('a file that is not a store, or an SQLite file of something else', () => {
    const dir = tmp();
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'just some text, not a database at all\n');
    for (const args of [
      ['record', '--db', text, '--job', 'j', '-f', FAILURE],
      ['history', '--db', text],
    ]) {
      const r = sv(args);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(
        `stackviz ${args[0] as string}: '${text}' is not a stackviz store (not an SQLite database)\n`,
      );
    }
    expect(readFileSync(text, 'utf8')).toBe('just some text, not a database at all\n');
    const other = join(dir, 'other.sqlite');
    const mk = spawnSync('sqlite3', [other, 'CREATE TABLE x (a)'], { encoding: 'utf8' });
    if (mk.status !== 0) {
      // No sqlite3 shell: make it with the driver.
      writeFileSync(other, '');
    }
    const r = sv(['history', '--db', other]);
    expect(r.status).toBe(mk.status === 0 ? 1 : 2);
    if (mk.status === 0) {
      expect(r.stderr).toBe(
        `stackviz history: '${other}' is not a stackviz store (an SQLite database without its tables)\n`,
      );
    }
  });

  it('a missing store for history, and no store left behind by a bad input', () => {
    const dir = tmp();
    const db = join(dir, 'h.sqlite');
    const r = sv(['history', '--db', db]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`stackviz history: no store at '${db}' (stackviz record creates one)\n`);
    const bad = sv(['record', '--db', db, '-f', join(dir, 'missing.subunit')]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^stackviz record: cannot read '.*missing\.subunit': no such file\n$/);
    // compare's sides are files, folders or run ids: a wrong path with no store says both, in one line.
    const cmp = sv(['compare', join(dir, 'nope.subunit'), FAILURE, '--db', db]);
    expect(cmp.status).toBe(1);
    expect(cmp.stderr).toBe(
      `stackviz compare: cannot read '${join(dir, 'nope.subunit')}': no such file, nor a run id: ` +
        `no store at '${db}' (stackviz record creates one)\n`,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('usage mistakes exit 2', () => {
    for (const [args, message] of [
      [['record'], 'no input: give at least one of -f FILE, -r DIR, -i'],
      [['record', '-f', FAILURE, '--meta', 'novalue'], '--meta "novalue": expected KEY=VALUE'],
      [['history', '--window', '0'], '--window takes a whole number of runs, 1 or more'],
    ] as const) {
      const r = sv([...args], { cwd: tmp() });
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(`stackviz ${args[0]}: ${message} (see stackviz ${args[0]} --help)\n`);
    }
    expect(sv(['record', '--bogus']).status).toBe(2);
  });

  it('a read-only embedded store', () => {
    const dir = tmp();
    const db = join(dir, 'h.sqlite');
    expect(sv(['record', '--db', db, '--job', 'j', '-f', FAILURE]).status).toBe(0);
    const before = readFileSync(db);
    chmodSync(db, 0o444);
    chmodSync(dir, 0o555);
    // root writes anyway: run the CLI as an unprivileged user then (nobody may read what root left here).
    const root = process.getuid?.() === 0;
    if (root) for (let d = dir; d !== '/' && d !== tmpdir(); d = join(d, '..')) chmodSync(d, 0o755);
    if (root) chmodSync(tmpdir(), 0o755);
    const args = ['record', '--db', db, '--job', 'j', '-f', join(STREAMS, 'tempest.subunit')];
    const r = root
      ? spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, BIN, ...args], {
          encoding: 'utf8',
          env: { ...process.env, STACKVIZ_DB: '' },
        })
      : sv(args);
    expect(r.stderr).toBe(`stackviz record: '${db}' is read-only: cannot write to the store\n`);
    expect(r.status).toBe(1);
    expect(readFileSync(db).equals(before)).toBe(true);
    const h = root
      ? spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, BIN, 'history', '--db', db, '--json'], {
          encoding: 'utf8',
        })
      : sv(['history', '--db', db, '--json']);
    expect(h.status).toBe(0);
    chmodSync(dir, 0o755);
  });

  it('an unreachable server', async () => {
    const port = await freePort();
    const url = `postgres://someone:secret@127.0.0.1:${port}/history`;
    for (const args of [
      ['record', '--db', url, '--job', 'j', '-f', FAILURE],
      ['history', '--db', url],
      ['history', 'migrate', '--db', url],
    ]) {
      const r = sv(args);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(
        `stackviz ${args[0] === 'history' && args[1] === 'migrate' ? 'history migrate' : (args[0] as string)}: cannot connect to postgres://someone:***@127.0.0.1:${port}/history: connection refused (is the server running?)\n`,
      );
    }
  });

  describe('PostgreSQL stores', () => {
    let d: TestDatabase;
    beforeAll(async () => {
      d = await freshDatabase();
    });
    afterAll(() => d.drop());

    it('a database without the schema asks for migrate; a read-only role cannot record', async () => {
      const r = sv(['record', '--db', d.url, '--job', 'j', '-f', FAILURE]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(
        /^stackviz record: postgres:\/\/.*:\*\*\*@.* has no stackviz schema yet: run `stackviz history migrate --db .*`\n$/,
      );
      expect(sv(['history', 'migrate', '--db', d.url]).status).toBe(0);
      expect(sv(['record', '--db', d.url, '--job', 'j', '-f', FAILURE]).status).toBe(0);
      await grantRead(d);
      const ro = sv(['record', '--db', d.readOnlyUrl, '--job', 'j', '-f', join(STREAMS, 'tempest.subunit')]);
      expect(ro.status).toBe(1);
      expect(ro.stderr).toMatch(/^stackviz record: postgres:\/\/.*: permission denied for table runs\n$/);
      expect(sv(['history', '--db', d.readOnlyUrl, '--json']).status).toBe(0);
    });
  });

  it('a wrong password, and none, on a server that asks for one', async () => {
    const cluster = await passwordCluster();
    try {
      const wrong = cluster.url.replace('right-password', 'wrong-password');
      const r = sv(['history', 'migrate', '--db', wrong]);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(
        `stackviz history migrate: postgres://owner:***@127.0.0.1:${cluster.port}/postgres: password authentication failed for user "owner"\n`,
      );
      const none = sv(['history', '--db', `postgres://owner@127.0.0.1:${cluster.port}/postgres`], {
        env: { PGPASSWORD: '' },
      });
      expect(none.status).toBe(1);
      expect(none.stderr).toMatch(
        /^stackviz history: postgres:\/\/owner@127\.0\.0\.1:\d+\/postgres: (the server asks for a password and none was given|password authentication failed .*)\n$/,
      );
      // The right one works.
      expect(sv(['history', 'migrate', '--db', cluster.url]).status).toBe(0);
      expect(sv(['record', '--db', cluster.url, '--job', 'j', '-f', FAILURE]).status).toBe(0);
    } finally {
      cluster.stop();
    }
  });
});
