#!/usr/bin/env python3
"""A swarm of fake gfmc workers in plaintext (ZMTP NULL), raw TCP, no ZeroMQ library needed.

    fake-worker-swarm.py HOST PORT [--workers N] [--rounds R] [--credits C] [--hold SECONDS] [--timeout SECONDS]
                         [--worker-version V] [--fingerprint F] [--no-learn]

Each round opens N connections at once; each one greets as a ZMTP 3.0 NULL DEALER, announces itself with a gfmc
`ready` that claims C credits, keeps whatever the coordinator sends for HOLD seconds (taking tasks, never
answering) and vanishes (closes the socket). This is the attack that must neither quarantine nor change anything.

Like a real attacker, the swarm first learns what to claim: while the coordinator answers its `ready` with
`refused` naming the coordinator's gfmc version or numerics fingerprint, a probe adopts the named value and tries
again (at most 4 probes; --no-learn skips this). The values used are reported.

Prints one JSON line: connections made, connections whose handshake the server refused (it does not speak NULL,
e.g. it requires CURVE, or it closed the connection), `welcome`, `refused` and `task` messages received, and the
version and fingerprint claimed. Exit status 0 when all
rounds ran, 1 when no connection could be made at all, 2 on bad arguments."""

import argparse
import json
import re
import socket
import struct
import sys
import time

TAG_V1 = b"GFMC\x00\x01"


def greeting():
    return b"\xff" + b"\x00" * 8 + b"\x7f" + bytes([3, 0]) + b"NULL".ljust(20, b"\x00") + b"\x00" + b"\x00" * 31


def ready_command():
    name, value = b"Socket-Type", b"DEALER"
    body = bytes([len(name)]) + name + struct.pack(">I", len(value)) + value
    payload = bytes([5]) + b"READY" + body
    return b"\x04" + bytes([len(payload)]) + payload


def message(frames):
    out = b""
    for i, data in enumerate(frames):
        flags = 0x01 if i < len(frames) - 1 else 0x00
        if len(data) > 255:
            out += bytes([flags | 0x02]) + struct.pack(">Q", len(data)) + data
        else:
            out += bytes([flags, len(data)]) + data
    return out


def ready_message(credits, index, claims):
    fields = {"credits": credits, "slots": credits, "host": "fake-%d" % index, "pid": 100000 + index,
              "workerVersion": claims["version"]}
    if claims["fingerprint"]:
        fields["numericsFingerprint"] = claims["fingerprint"]
    return message([TAG_V1, b"ready", json.dumps(fields, sort_keys=True).encode()])


def learn(reason, claims):
    """Adopts the coordinator's value named in a refusal's reason; True when something was learnt."""
    version = re.search(r'coordinator\'s "([^"]*)"', reason)
    if version and claims["version"] != version.group(1):
        claims["version"] = version.group(1)
        return True
    fingerprint = re.search(r"coordinator's ([0-9A-Za-z:_+/=-]+)", reason)
    if fingerprint and claims["fingerprint"] != fingerprint.group(1):
        claims["fingerprint"] = fingerprint.group(1)
        return True
    return False


class Connection:
    """One fake worker: its socket and what it has read so far."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""
        self.greeted = False
        self.refused = False
        self.closed = False
        self.welcomed = False
        self.announcement = b""
        self.last_type = None
        self.refusal = None

    def read(self):
        try:
            data = self.sock.recv(1 << 20)
        except (BlockingIOError, socket.timeout):
            return
        except OSError:
            self.closed = True
            return
        if not data:
            self.closed = True
            return
        self.buffer += data

    def frames(self):
        """Complete ZMTP frames after the greeting: (is_command, body)."""
        if not self.greeted:
            if len(self.buffer) < 64:
                return []
            mechanism = self.buffer[12:32].rstrip(b"\x00")
            self.greeted = True
            if mechanism != b"NULL":
                self.refused = True
            self.buffer = self.buffer[64:]
        out = []
        while len(self.buffer) >= 2:
            flags = self.buffer[0]
            if flags & 0x02:
                if len(self.buffer) < 9:
                    break
                size, start = struct.unpack(">Q", self.buffer[1:9])[0], 9
            else:
                size, start = self.buffer[1], 2
            if len(self.buffer) < start + size:
                break
            out.append((bool(flags & 0x04), self.buffer[start:start + size]))
            self.buffer = self.buffer[start + size:]
        return out


def converse(args, claims, counters, round_index, count):
    """Opens `count` fake workers at once, holds them for --hold seconds, closes them; their connections."""
    connections = []
    for i in range(count):
        try:
            s = socket.create_connection((args.host, args.port), timeout=args.timeout)
        except OSError:
            counters["unreachable"] += 1
            continue
        counters["connections"] += 1
        try:
            s.sendall(greeting())
        except OSError:
            pass
        s.setblocking(False)
        connection = Connection(s)
        # libzmq finishes its greeting only after the peer's; the worker speaks once it has seen the server's.
        connection.announcement = ready_command() + ready_message(args.credits, round_index * args.workers + i, claims)
        connections.append(connection)
    end = time.monotonic() + args.hold
    while time.monotonic() < end:
        for c in connections:
            if c.closed:
                continue
            c.read()
            frames = c.frames()
            if c.greeted and not c.refused and c.announcement:
                try:
                    c.sock.setblocking(True)
                    c.sock.sendall(c.announcement)
                    c.sock.setblocking(False)
                except OSError:
                    c.closed = True
                c.announcement = b""
            for is_command, body in frames:
                if is_command:
                    continue
                if c.last_type == b"refused":
                    try:
                        c.refusal = json.loads(body.decode()).get("reason", "")
                    except (ValueError, UnicodeDecodeError, AttributeError):
                        c.refusal = ""
                c.last_type = body
                if body == b"welcome":
                    counters["welcomes"] += 1
                    c.welcomed = True
                elif body == b"refused":
                    counters["refusals"] += 1
                elif body == b"task":
                    counters["tasks"] += 1
        time.sleep(0.01)
    for c in connections:
        # Refused: the server greeted with another mechanism than NULL, or hung up before welcoming this worker.
        if c.refused or (c.closed and not c.welcomed):
            counters["refused"] += 1
        c.sock.close()
    return connections


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--workers", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--credits", type=int, default=256)
    parser.add_argument("--hold", type=float, default=0.5)
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--worker-version", default="fake")
    parser.add_argument("--fingerprint", default="")
    parser.add_argument("--no-learn", action="store_true")
    args = parser.parse_args()
    if args.workers < 1 or args.rounds < 1 or args.hold < 0:
        parser.error("--workers and --rounds must be >= 1, --hold >= 0")
    claims = {"version": args.worker_version, "fingerprint": args.fingerprint}
    probes = {"connections": 0, "unreachable": 0, "refused": 0, "welcomes": 0, "refusals": 0, "tasks": 0}
    for _ in range(0 if args.no_learn else 4):
        reasons = [c.refusal for c in converse(args, claims, probes, 0, 1) if c.refusal]
        if not reasons or not learn(reasons[0], claims):
            break
    counters = {"connections": 0, "unreachable": 0, "refused": 0, "welcomes": 0, "refusals": 0, "tasks": 0}
    for r in range(args.rounds):
        converse(args, claims, counters, r, args.workers)
    counters["claimedVersion"] = claims["version"]
    counters["claimedFingerprint"] = claims["fingerprint"]
    print(json.dumps(counters, sort_keys=True))
    return 0 if counters["connections"] > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
