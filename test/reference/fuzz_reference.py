#!/usr/bin/python3
# Reference reading for the damage fuzzer: each file's (test id, status) list, read as v1 or v2 as our detection said.
"""Usage: /usr/bin/python3 fuzz_reference.py v1:FILE|v2:FILE ...

For each argument prints one JSON line {"tests": [[id, status], ...], "crashed": null|str}, the tests in
the order StreamToDict handed them over. `v2:` files are read as subunit_events.py reads them
(python-subunit's ByteStreamToStreamResult + testtools' StreamToDict); `v1:` files as v1_tests.py does
(python-subunit's v1 TestProtocolServer transcoded to v2 as stestr does, then the same). `crashed` is set
when python-subunit itself raised: such a case is counted, not compared.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# v1_tests first: it keeps testtools' own content types before subunit_events replaces them.
import v1_tests  # noqa: E402
import subunit_events  # noqa: E402


def read(arg):
    version, path = arg.split(':', 1)
    res = v1_tests.read(path) if version == 'v1' else subunit_events.read(path)
    return {'tests': [[t['id'], t['status']] for t in res['tests']], 'crashed': res['crashed']}


if __name__ == '__main__':
    for a in sys.argv[1:]:
        sys.stdout.write(json.dumps(read(a)) + '\n')
