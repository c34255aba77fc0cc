// Failure signatures: variable parts normalised, one group per cause, largest first.
import { describe, expect, it } from 'vitest';
import { failureSignature, groupFailures } from './failure-groups';

describe('failureSignature', () => {
  it('normalises numbers, UUIDs, hex addresses, IPs and paths', () => {
    expect(
      failureSignature(
        'tempest.lib.exceptions.SSHTimeout: Connection to the 172.24.5.7 via SSH timed out.\nUser: cirros',
      ),
    ).toBe('tempest.lib.exceptions.SSHTimeout: Connection to the <ip> via SSH timed out.');
    expect(
      failureSignature(
        'NotFound: Server 3f2a9c1e-1b2c-4d5e-8f90-0123456789ab not found at 0x7f3a2c10 after 30.5 s',
      ),
    ).toBe('NotFound: Server <uuid> not found at <hex> after <n> s');
    expect(failureSignature("IOError: [Errno 2] No such file: '/opt/stack/logs/n-cpu.log'")).toBe(
      "IOError: [Errno <n>] No such file: '<path>'",
    );
    expect(failureSignature('E: fe80::1:2:3 and 10.0.0.1:8080')).toBe('E: <ip> and <ip>');
    expect(failureSignature(null)).toBe('');
  });

  it('keeps what tells causes apart: the type and the words', () => {
    expect(failureSignature('ValueError: bad 1')).not.toBe(failureSignature('TypeError: bad 1'));
    expect(failureSignature('ValueError: bad 1')).toBe(failureSignature('ValueError: bad 22'));
  });
});

describe('groupFailures', () => {
  it('groups by signature, largest group first, members in input order', () => {
    const groups = groupFailures([
      { exception: 'ValueError: x 1', details: null },
      { exception: 'SSHTimeout: to 10.0.0.1', details: null },
      { exception: 'ValueError: x 2', details: null },
      { exception: null, details: null },
      { details: ['old: 5'] },
    ]);
    expect(groups.map((g) => [g.signature, g.members])).toEqual([
      ['ValueError: x <n>', [0, 2]],
      ['SSHTimeout: to <ip>', [1]],
      ['', [3]],
      ['old: <n>', [4]],
    ]);
    expect(groups[0]?.example).toBe('ValueError: x 1');
  });
});
