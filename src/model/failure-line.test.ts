import { describe, expect, it } from 'vitest';
import { exceptionLine } from './failure-line.js';

const SSH_TIMEOUT = `Traceback (most recent call last):
  File "/opt/stack/tempest/tempest/lib/common/ssh.py", line 131, in _get_ssh_connection
    ssh.connect(self.host, port=self.port, username=self.username,
  File "/usr/lib/python3/dist-packages/paramiko/client.py", line 368, in connect
    raise NoValidConnectionsError(errors)
tempest.lib.exceptions.SSHTimeout: Connection to the 172.24.5.212 via SSH timed out.
User: cirros, Password: None
`;

describe('exceptionLine', () => {
  it('finds the exception after the last frame, not the last line', () => {
    expect(exceptionLine(SSH_TIMEOUT)).toBe(
      'tempest.lib.exceptions.SSHTimeout: Connection to the 172.24.5.212 via SSH timed out.',
    );
  });

  it('keeps a Details line with it', () => {
    const tb = [
      'Traceback (most recent call last):',
      '  File "t.py", line 3, in test_x',
      '    self.client.show_server(sid)',
      'tempest.lib.exceptions.NotFound: Object not found',
      "Details: {'code': 404, 'message': 'Instance could not be found.'}",
    ].join('\n');
    expect(exceptionLine(tb)).toBe(
      "tempest.lib.exceptions.NotFound: Object not found\nDetails: {'code': 404, 'message': 'Instance could not be found.'}",
    );
  });

  it('reads the last of chained tracebacks, skipping carets and CRLF line ends', () => {
    const tb = [
      'Traceback (most recent call last):',
      '  File "a.py", line 1, in f',
      '    g()',
      'KeyError: 1',
      '',
      'During handling of the above exception, another exception occurred:',
      '',
      'Traceback (most recent call last):',
      '  File "b.py", line 2, in h',
      '    x = d[k] + 1',
      '        ~~~~~^~~',
      'ValueError: bad value',
    ].join('\r\n');
    expect(exceptionLine(tb)).toBe('ValueError: bad value');
  });

  it('takes a bare exception name', () => {
    expect(
      exceptionLine('Traceback (most recent call last):\n  File "x", line 1, in y\n    z\nStopIteration\n'),
    ).toBe('StopIteration');
  });

  it('falls back to the last line, or two with Details, for other text', () => {
    expect(exceptionLine('something went wrong\nreally')).toBe('really');
    expect(exceptionLine('MismatchError: 1 != 2\nDetails: x')).toBe('MismatchError: 1 != 2\nDetails: x');
    expect(exceptionLine('  \n\n')).toBeNull();
    expect(exceptionLine(null)).toBeNull();
  });
});
