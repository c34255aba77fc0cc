#!/usr/bin/python3
# Reference oracle: reads subunit v2 files with python-subunit + testtools' StreamToDict, prints one JSON line per file.
"""Usage: /usr/bin/python3 subunit_events.py FILE...

For each FILE prints {"tests": [...], "output": [...], "crashed": null|str}:
- tests: StreamToDict records in the order on_test received them (id, route_code, status,
  sorted tags, start_us/end_us as integer microseconds since the epoch or null, attachments
  in insertion order with the raw MIME type of the packet that created them, base64 bytes);
- output: file events with no test id, joined per file name (first MIME type kept);
- crashed: the exception that stopped python-subunit itself (it has a few: struct.error on a
  number past the packet end, ValueError on a negative length), else null.

Two deliberate, documented presentation changes against the bare reference, so that our decoder
can be compared byte for byte:
- the `Parser Error` reason gets " at byte N" (offset of the packet's signature) appended;
- MIME types are recorded raw: testtools would parse them (and raise on odd ones) when it makes
  its Content objects, which is presentation, not which packet's type is kept.
"""
import base64
import datetime
import json
import sys

import subunit.v2 as v2
import testtools
import testtools.testresult.real as real

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


class RawType:
    """Stands in for testtools' ContentType, keeping the MIME string as sent (or None)."""

    def __init__(self, mime):
        self.mime = mime

    def __repr__(self):
        return repr(self.mime)


real._make_content_type = lambda mime_type=None: RawType(mime_type)


class OffsetParser(v2.ByteStreamToStreamResult):
    """The reference parser, with the packet's byte offset added to its error reason."""

    def _parse_packet(self, result):
        offset = self.source.tell() - 1
        try:
            packet = [v2.SIGNATURE]
            self._parse(packet, result)
        except v2.ParseError as error:
            result.status(test_id="subunit.parser", eof=True,
                          file_name="Packet data", file_bytes=b''.join(packet),
                          mime_type="application/octet-stream")
            result.status(test_id="subunit.parser", test_status='fail',
                          eof=True, file_name="Parser Error",
                          file_bytes=('%s at byte %d' % (error.args[0], offset)).encode('utf8'),
                          mime_type="text/plain;charset=utf8")


class TopLevelRecorder(testtools.StreamResult):
    """Keeps the file events that have no test id, as our assembler's stream output does."""

    def __init__(self):
        super().__init__()
        self.files = {}

    def status(self, test_id=None, test_status=None, test_tags=None, runnable=True,
               file_name=None, file_bytes=None, eof=False, mime_type=None,
               route_code=None, timestamp=None):
        if test_id is not None or file_name is None or not file_bytes:
            return
        entry = self.files.setdefault(file_name, {'mime': mime_type, 'parts': []})
        entry['parts'].append(bytes(file_bytes))


def micros(ts):
    if ts is None:
        return None
    return (ts - EPOCH) // datetime.timedelta(microseconds=1)


def read(path):
    tests = []

    def on_test(d):
        atts = []
        for name, content in d['details'].items():
            atts.append({
                'name': name,
                'mime': content.content_type.mime,
                'b64': base64.b64encode(b''.join(bytes(b) for b in content.iter_bytes())).decode('ascii'),
            })
        start, end = d['timestamps']
        tests.append({
            'id': d['id'],
            'status': d['status'],
            'tags': sorted(d['tags']),
            'start_us': micros(start),
            'end_us': micros(end),
            'attachments': atts,
        })

    recorder = TopLevelRecorder()
    result = testtools.CopyStreamResult([testtools.StreamToDict(on_test), recorder])
    crashed = None
    result.startTestRun()
    with open(path, 'rb') as f:
        try:
            OffsetParser(f, non_subunit_name='stdout').run(result)
        except Exception as e:  # the reference's own crashes, reported rather than hidden
            crashed = '%s: %s' % (type(e).__name__, e)
    if crashed is None:
        result.stopTestRun()
    output = [{'name': name, 'mime': e['mime'],
               'b64': base64.b64encode(b''.join(e['parts'])).decode('ascii')}
              for name, e in recorder.files.items()]
    return {'tests': tests, 'output': output, 'crashed': crashed}


if __name__ == '__main__':
    for p in sys.argv[1:]:
        sys.stdout.write(json.dumps(read(p)) + '\n')
