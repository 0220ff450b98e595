#!/usr/bin/env python3
"""Hostile client for gfmc's coordinator socket: raw TCP bytes, no ZeroMQ library needed.

    hostile-client.py HOST PORT [--rounds N] [--seed S] [--timeout SECONDS]
    hostile-client.py HOST PORT --oversized-ready COUNT [--field-bytes B]

With --oversized-ready, sends only COUNT well-formed gfmc `ready` messages (one connection each) whose `host` and
`workerVersion` are B bytes each (default 7 MB), reads what comes back for a moment, and exits.

Each round opens fresh TCP connections and sends, in turn:
  1. random garbage bytes (not a ZMTP greeting);
  2. a truncated ZMTP greeting, then close;
  3. a valid ZMTP 3.0 NULL greeting + READY(Socket-Type=DEALER), then gfmc-shaped messages that are wrong:
     garbage frames, unknown protocol tags and versions, unknown and wrong-direction message types, malformed JSON
     bodies, a body-less type with a body;
  4. a valid handshake, then a frame header that announces 2^40 bytes (and sends a few), then close;
  5. a valid handshake, then a frame that announces 1 MiB but is cut after 100 bytes, then close;
  6. a valid handshake, then a ZMTP command frame with an unknown command name.
Every socket operation has a timeout; a peer that closes the connection is expected (and counted), not an error.
Exit status 0 when all rounds ran (whatever the server did), 2 on bad arguments, 1 when no connection could be
made at all (the coordinator is not listening)."""

import argparse
import random
import socket
import struct
import sys
import time

TAG_V1 = b"GFMC\x00\x01"


def greeting(mechanism=b"NULL", major=3, minor=0):
    return (b"\xff" + b"\x00" * 8 + b"\x7f" + bytes([major, minor]) + mechanism.ljust(20, b"\x00")
            + b"\x00" + b"\x00" * 31)


def command(name, body=b""):
    payload = bytes([len(name)]) + name + body
    if len(payload) > 255:
        return b"\x06" + struct.pack(">Q", len(payload)) + payload
    return b"\x04" + bytes([len(payload)]) + payload


def ready_command(socket_type=b"DEALER"):
    prop_name = b"Socket-Type"
    prop = bytes([len(prop_name)]) + prop_name + struct.pack(">I", len(socket_type)) + socket_type
    return command(b"READY", prop)


def frame(data, more):
    flags = 0x01 if more else 0x00
    if len(data) > 255:
        return bytes([flags | 0x02]) + struct.pack(">Q", len(data)) + data
    return bytes([flags, len(data)]) + data


def message(frames):
    out = b""
    for i, data in enumerate(frames):
        out += frame(data, i < len(frames) - 1)
    return out


def hostile_messages(rng):
    """gfmc-shaped multipart messages that a coordinator must reject without harm."""
    junk = bytes(rng.getrandbits(8) for _ in range(64))
    return [
        [junk],                                                    # one garbage frame
        [b"", b"", b""],                                           # empty frames
        [junk, junk, junk, junk, junk],                            # too many frames
        [b"GFM", b"ready", b"{}"],                                 # truncated tag
        [b"XXXX\x00\x01", b"ready", b"{}"],                        # unknown tag
        [b"GFMC\x00\x02", b"heartbeat", b""],                      # future version
        [b"GFMC\x00\x00", b"heartbeat", b""],                      # version 0
        [b"GFMC\xff\xff", b"ready", b'{"credits": 1}'],            # absurd version
        [TAG_V1, b"launch_missiles", b"{}"],                       # unknown type
        [TAG_V1, b"x" * 200, b""],                                 # overlong type name
        [TAG_V1, b"task", b'{"taskID": {"epoch": 1, "serial": 1}, "studyHash": "0", "trials": []}'],  # wrong direction
        [TAG_V1, b"welcome", b'{"studyHash": "0", "studyJSON": "{}"}'],  # wrong direction
        [TAG_V1, b"shutdown", b""],                                # wrong direction
        [TAG_V1, b"ready", b'{"credits": '],                       # truncated JSON
        [TAG_V1, b"ready", b'{"credits": -5, "slots": 1, "host": "h", "pid": 1, "workerVersion": "x"}'],
        [TAG_V1, b"ready", b'{"credits": "many"}'],                # wrong key type
        [TAG_V1, b"ready", junk],                                  # binary body
        [TAG_V1, b"heartbeat", b"not empty"],                      # body-less type with a body
        [TAG_V1, b"result", b'{"taskID": {"epoch": 0, "serial": 0}, "studyHash": "0", "results": [], "trialSeconds": []}'],
        [TAG_V1, b"result", b'{"taskID": 5}'],
        [TAG_V1, b"goodbye", b'{"returnedTaskIDs": [{"epoch": 1, "serial": 2}]}'],
        [TAG_V1, b"task_failed", b'{"taskID": {"epoch": 9, "serial": 9}, "reason": "hostile"}'],
    ]


class Counters:
    def __init__(self):
        self.connections = 0
        self.refused = 0
        self.closed_by_peer = 0
        self.bytes_sent = 0


def connect(host, port, timeout, counters):
    try:
        s = socket.create_connection((host, port), timeout=timeout)
    except OSError:
        counters.refused += 1
        return None
    s.settimeout(timeout)
    counters.connections += 1
    return s


def send(s, data, counters):
    try:
        s.sendall(data)
        counters.bytes_sent += len(data)
        return True
    except OSError:
        counters.closed_by_peer += 1
        return False


def drain(s, seconds):
    """Reads whatever the server says for a moment (its greeting), so it never blocks on a full buffer."""
    end = time.monotonic() + seconds
    s.settimeout(0.05)
    try:
        while time.monotonic() < end:
            if not s.recv(65536):
                break
    except OSError:
        pass


def handshake(s, counters):
    if not send(s, greeting() + ready_command(), counters):
        return False
    drain(s, 0.1)
    return True


def one_round(host, port, timeout, rng, counters):
    # 1. garbage instead of a greeting
    s = connect(host, port, timeout, counters)
    if s:
        send(s, bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 4096))), counters)
        drain(s, 0.05)
        s.close()
    # 2. truncated greeting
    s = connect(host, port, timeout, counters)
    if s:
        send(s, greeting()[: rng.randint(1, 40)], counters)
        s.close()
    # 3. valid handshake, then wrong gfmc messages
    s = connect(host, port, timeout, counters)
    if s:
        if handshake(s, counters):
            for frames in hostile_messages(rng):
                if not send(s, message(frames), counters):
                    break
            drain(s, 0.1)
        s.close()
    # 4. a frame announcing 2^40 bytes
    s = connect(host, port, timeout, counters)
    if s:
        if handshake(s, counters):
            send(s, b"\x02" + struct.pack(">Q", 1 << 40) + b"\x00" * 1000, counters)
            drain(s, 0.05)
        s.close()
    # 5. a frame announcing 1 MiB, cut short
    s = connect(host, port, timeout, counters)
    if s:
        if handshake(s, counters):
            send(s, b"\x00" + b"\x02" + struct.pack(">Q", 1 << 20) + b"A" * 100, counters)
        s.close()
    # 6. an unknown ZMTP command
    s = connect(host, port, timeout, counters)
    if s:
        if handshake(s, counters):
            send(s, command(b"LAUNCH", b"\x00" * 10), counters)
            drain(s, 0.05)
        s.close()


def oversized_ready(host, port, timeout, count, field_bytes, counters):
    import json
    for i in range(count):
        s = connect(host, port, timeout, counters)
        if not s:
            continue
        if handshake(s, counters):
            body = json.dumps({"credits": 4, "slots": 4, "host": "h" * field_bytes, "pid": 1000 + i,
                               "workerVersion": "v" * field_bytes}).encode()
            send(s, message([TAG_V1, b"ready", body]), counters)
            drain(s, 0.2)
        s.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--oversized-ready", type=int, default=0)
    parser.add_argument("--field-bytes", type=int, default=7_000_000)
    args = parser.parse_args()
    if args.rounds < 1 or not (0 < args.port < 65536):
        print("hostile-client: --rounds must be >= 1 and port in 1..65535", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    counters = Counters()
    if args.oversized_ready > 0:
        oversized_ready(args.host, args.port, args.timeout, args.oversized_ready, args.field_bytes, counters)
        print(f"hostile-client: oversized-ready={args.oversized_ready} connections={counters.connections} "
              f"closed_by_peer={counters.closed_by_peer} bytes_sent={counters.bytes_sent}")
        return 0 if counters.connections > 0 else 1
    for _ in range(args.rounds):
        one_round(args.host, args.port, args.timeout, rng, counters)
    print(f"hostile-client: rounds={args.rounds} connections={counters.connections} refused={counters.refused} "
          f"closed_by_peer={counters.closed_by_peer} bytes_sent={counters.bytes_sent}")
    return 0 if counters.connections > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
