#!/usr/bin/env bash
# A private multi-host lab on one machine (shared/docs/testbed.md): a `lab` namespace holding a bridge, and host
# namespaces each with one veth whose peer is enslaved to that bridge. Addresses 10.77.0.0/24 exist only inside the
# lab; nothing is routed through, or reachable from, the root namespace (the hosts have no default route, so any
# other address is "Network is unreachable").
#
#   lab.sh check                  exit 0 when this machine can run a lab (root, `ip netns` works); else print why, exit 1
#   lab.sh up PREFIX N            create PREFIX-lab and hosts PREFIX-h1 … PREFIX-hN (10.77.0.1 … 10.77.0.N, N ≤ 250);
#                                 on any failure everything already created is removed again
#   lab.sh exec PREFIX I CMD…     run CMD inside host I (replaces this shell: the caller's PID is CMD's PID)
#   lab.sh down PREFIX            SIGKILL every process inside the namespaces (by PID), then delete them (idempotent)
#   lab.sh cut PREFIX I           take host I's link down;   lab.sh heal PREFIX I   bring it back
#   lab.sh loss PREFIX I P        drop P % of host I's packets at random, each way (iptables statistic rules on its
#                                 eth0, inside the host); P = 0 removes them
#   lab.sh list PREFIX            the namespaces of this lab, one per line
#
# PREFIX: letters, digits and '-', at most 20 characters (namespace names must stay short and unique per lab).
set -euo pipefail

usage="usage: lab.sh check | up PREFIX N | exec PREFIX I CMD… | down PREFIX | cut PREFIX I | heal PREFIX I | loss PREFIX I P | list PREFIX"
cmd=${1:?$usage}

if [[ $cmd == check ]]; then
    if [[ $(id -u) != 0 ]]; then echo "lab.sh: needs root (network namespaces)"; exit 1; fi
    if ! command -v ip >/dev/null; then echo "lab.sh: the 'ip' command (iproute2) is missing"; exit 1; fi
    probe="gfmc-probe-$$"
    if ! err=$(ip netns add "$probe" 2>&1); then echo "lab.sh: 'ip netns add' fails: $err"; exit 1; fi
    ok=1
    if ! err=$(ip -n "$probe" link add br0 type bridge 2>&1); then
        echo "lab.sh: cannot create a bridge inside a namespace: $err"; ok=0
    elif ! err=$(ip -n "$probe" link add eth0 type veth peer name vprobe 2>&1); then
        echo "lab.sh: cannot create a veth pair inside a namespace: $err"; ok=0
    fi
    if [[ $ok == 1 ]] && ! err=$(ip netns exec "$probe" iptables -A INPUT -m statistic --mode random --probability 0.2 -j DROP 2>&1); then
        echo "lab.sh: cannot add a random-loss rule inside a namespace (iptables statistic): $err"; ok=0
    fi
    ip netns delete "$probe" 2>/dev/null || true
    [[ $ok == 1 ]] && exit 0 || exit 1
fi

prefix=${2:?missing PREFIX; $usage}
if ! [[ $prefix =~ ^[A-Za-z0-9-]{1,20}$ ]]; then echo "lab.sh: bad PREFIX '$prefix' (letters, digits, '-', ≤ 20)" >&2; exit 64; fi

host_ns() {
    [[ $1 =~ ^[0-9]+$ ]] || { echo "lab.sh: bad host number '$1'" >&2; exit 64; }
    echo "${prefix}-h$1"
}

lab_namespaces() {
    ip netns list | awk '{print $1}' | grep -E "^${prefix}-(lab|h[0-9]+)$" || true
}

down() {
    local ns pid
    # Hosts first, the lab (bridge) last. Processes are killed by PID before their namespace goes away.
    for ns in $(lab_namespaces); do
        for pid in $(ip netns pids "$ns" 2>/dev/null || true); do kill -KILL "$pid" 2>/dev/null || true; done
    done
    for ns in $(lab_namespaces | grep -v -- '-lab$' || true) "${prefix}-lab"; do
        ip netns delete "$ns" 2>/dev/null || true
    done
}

case "$cmd" in
up)
    count=${3:?missing host count}
    if ! [[ $count =~ ^[0-9]+$ ]] || (( count < 1 || count > 250 )); then
        echo "lab.sh: host count must be 1…250, got '$count'" >&2; exit 64
    fi
    if [[ -n $(lab_namespaces) ]]; then echo "lab.sh: lab '$prefix' already exists (run: lab.sh down $prefix)" >&2; exit 1; fi
    trap 'down' ERR
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
    trap - ERR
    ;;
exec)
    ns=$(host_ns "${3:?missing host}")
    shift 3
    exec ip netns exec "$ns" "$@"
    ;;
down) down ;;
cut)  ip -n "$(host_ns "${3:?missing host}")" link set eth0 down ;;
heal) ip -n "$(host_ns "${3:?missing host}")" link set eth0 up ;;
loss)
    ns=$(host_ns "${3:?missing host}")
    percent=${4:?missing loss percentage}
    if ! [[ $percent =~ ^[0-9]+$ ]] || (( percent > 100 )); then echo "lab.sh: loss must be 0…100, got '$percent'" >&2; exit 64; fi
    ip netns exec "$ns" iptables -F INPUT
    ip netns exec "$ns" iptables -F OUTPUT
    if (( percent > 0 )); then
        probability=$(printf '0.%02d' "$percent"); (( percent == 100 )) && probability=1
        ip netns exec "$ns" iptables -A INPUT -i eth0 -m statistic --mode random --probability "$probability" -j DROP
        ip netns exec "$ns" iptables -A OUTPUT -o eth0 -m statistic --mode random --probability "$probability" -j DROP
    fi
    ;;
list) lab_namespaces ;;
*) echo "lab.sh: unknown command $cmd; $usage" >&2; exit 64 ;;
esac
