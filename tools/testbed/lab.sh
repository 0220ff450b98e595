#!/usr/bin/env bash
# A private multi-host lab on one machine (shared/docs/testbed.md): a `lab` namespace holding a bridge, and host
# namespaces each with one veth whose peer is enslaved to that bridge. Addresses 10.77.0.0/24 exist only inside the
# lab; nothing is routed through, or reachable from, the root namespace.
#
#   lab.sh up PREFIX N      create PREFIX-lab and hosts PREFIX-h1 … PREFIX-hN (10.77.0.1 … 10.77.0.N)
#   lab.sh down PREFIX      kill every process inside the namespaces, then delete them (idempotent)
#   lab.sh cut PREFIX I     take host I's link down;   lab.sh heal PREFIX I   bring it back
set -euo pipefail

cmd=${1:?usage: lab.sh up|down|cut|heal PREFIX [N|I]}
prefix=${2:?missing PREFIX}

host_ns() { echo "${prefix}-h$1"; }

case "$cmd" in
up)
    count=${3:?missing host count}
    ip netns add "${prefix}-lab"
    ip -n "${prefix}-lab" link add br0 type bridge
    ip -n "${prefix}-lab" link set br0 up
    ip -n "${prefix}-lab" link set lo up
    for i in $(seq 1 "$count"); do
        ns=$(host_ns "$i")
        ip netns add "$ns"
        ip -n "$ns" link add eth0 type veth peer name "veth$i" netns "${prefix}-lab"
        ip -n "${prefix}-lab" link set "veth$i" master br0 up
        ip -n "$ns" addr add "10.77.0.$i/24" dev eth0
        ip -n "$ns" link set eth0 up
        ip -n "$ns" link set lo up
    done
    ;;
down)
    for ns in $(ip netns list | awk '{print $1}' | grep -E "^${prefix}-(lab|h[0-9]+)$" || true); do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    done
    for ns in $(ip netns list | awk '{print $1}' | grep -E "^${prefix}-(h[0-9]+|lab)$" || true); do
        ip netns delete "$ns" 2>/dev/null || true
    done
    ;;
cut)  ip -n "$(host_ns "${3:?missing host}")" link set eth0 down ;;
heal) ip -n "$(host_ns "${3:?missing host}")" link set eth0 up ;;
*) echo "lab.sh: unknown command $cmd" >&2; exit 64 ;;
esac
