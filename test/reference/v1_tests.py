#!/usr/bin/python3
# Reference oracle for v1: transcodes a v1 stream as stestr does, then assembles it as subunit_events.py does.
"""Usage: /usr/bin/python3 v1_tests.py FILE...

For each FILE (subunit v1 text) prints one JSON line in subunit_events.py's shape:
{"tests": [...], "output": [...], "crashed": null|str}.

The transcoding is stestr's `_DiskRun.get_subunit_stream` (what `stestr last --subunit` prints):
`subunit.ProtocolTestCase(v1).run(ExtendedToStreamDecorator(StreamResultToBytes(out)))`; the v2 bytes
are then read by subunit_events.read (python-subunit's v2 parser + testtools' StreamToDict).

Two deliberate differences from bare stestr, both documented in src/formats/subunit/v1.ts:
- lines that are not protocol go to the passthrough stream (stestr lets them reach its own stdout); here
  they are collected and reported as the output named `stdout`, as our reader hands them on;
- before the first `time:` line testtools stamps events with the wall clock; here they get no timestamp.
"""
import io
import json
import os
import sys
import tempfile

import subunit
import subunit.v2
import testtools
import testtools.testresult.real as real

_ORIGINAL_CONTENT_TYPE = real._make_content_type
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import subunit_events  # noqa: E402  (replaces real._make_content_type for its StreamToDict)

_RAW_CONTENT_TYPE = real._make_content_type


class NoClockDecorator(testtools.ExtendedToStreamDecorator):
    """ExtendedToStreamDecorator whose 'now' is the last time: value, or None (never the wall clock)."""

    def _now(self):
        return self._ExtendedToStreamDecorator__now


def transcode(data):
    out = io.BytesIO()
    passthrough = io.BytesIO()
    # The transcoding must run with testtools' real content types; only the reading side uses raw ones.
    real._make_content_type = _ORIGINAL_CONTENT_TYPE
    try:
        result = NoClockDecorator(subunit.v2.StreamResultToBytes(out))
        result.startTestRun()
        subunit.ProtocolTestCase(io.BytesIO(data), passthrough=passthrough).run(result)
        result.stopTestRun()
    finally:
        real._make_content_type = _RAW_CONTENT_TYPE
    return out.getvalue(), passthrough.getvalue()


def read(path):
    with open(path, 'rb') as f:
        data = f.read()
    try:
        v2bytes, stdout = transcode(data)
    except Exception as e:  # python-subunit's own crashes (bad UTF-8, bad time, bad chunking), reported
        return {'tests': [], 'output': [], 'crashed': '%s: %s' % (type(e).__name__, e)}
    fd, tmp = tempfile.mkstemp(suffix='.subunit')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(v2bytes)
        res = subunit_events.read(tmp)
    finally:
        os.unlink(tmp)
    if stdout:
        res['output'].insert(0, {'name': 'stdout', 'mime': None,
                                 'b64': subunit_events.base64.b64encode(stdout).decode('ascii')})
    return res


if __name__ == '__main__':
    for p in sys.argv[1:]:
        sys.stdout.write(json.dumps(read(p)) + '\n')
