#!/usr/bin/python3
# Reference table: how CPython's incremental UTF-8 decoder (python-subunit's mid-character tracker) takes each byte.
"""Usage: /usr/bin/python3 utf8_table.py MAXLEN

Explores every pending-byte state the decoder can reach (up to MAXLEN pending bytes) and prints
JSON {state_hex: outcomes}, outcomes being 256 letters for the next byte 0x00..0xFF:
'c' a character completed, 'p' still pending (python-subunit's mid_character), 'e' raised.
"""
import codecs
import json
import sys


def outcome(state, b):
    d = codecs.getincrementaldecoder('utf-8')()
    d.setstate((state, 0))
    try:
        return 'c' if d.decode(bytes([b])) else 'p'
    except UnicodeDecodeError:
        return 'e'


def main(maxlen):
    table = {}
    todo = [b'']
    while todo:
        state = todo.pop()
        row = ''.join(outcome(state, b) for b in range(256))
        table[state.hex()] = row
        if len(state) < maxlen:
            todo.extend(state + bytes([b]) for b in range(256) if row[b] == 'p')
    sys.stdout.write(json.dumps(table))


main(int(sys.argv[1]))
