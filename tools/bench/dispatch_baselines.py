#!/usr/bin/env python3
"""Dispatch baselines for `gfmc bench --parts coordinator`: how many trivial one-trial tasks per second
other systems hand out and collect on this machine with 2 workers, the same work gfmc's DispatchBenchmark
measures (minus gfmc's durable store).

Peers: a bare pyzmq ROUTER/DEALER loop with one task in flight per worker (like a gfmc worker with one
slot) and with 8 in flight ("pyzmq-pipelined"),
Ray (remote no-op function) and Dask distributed (LocalCluster, 2 worker processes, 1 thread each).
A peer whose package is missing is installed from PyPI with pip when --install is given; a peer that still
cannot run prints its reason instead of a rate.

Output: one JSON object per line:
  {"peer": "pyzmq", "tasks": N, "workers": 2, "seconds": S, "tasks_per_second": R}
  {"peer": "ray", "error": "..."}
Usage: dispatch_baselines.py [--tasks N] [--workers K] [--peers pyzmq,ray,dask] [--install]
"""
import argparse
import importlib
import json
import multiprocessing
import subprocess
import sys
import time


def ensure(module, package, install):
    try:
        return importlib.import_module(module)
    except ImportError:
        if not install:
            raise
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", package], check=True, timeout=600,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    importlib.invalidate_caches()
    return importlib.import_module(module)


def pyzmq_worker(endpoint):
    import zmq
    context = zmq.Context()
    socket = context.socket(zmq.DEALER)
    socket.connect(endpoint)
    socket.send(b"ready")
    while True:
        message = socket.recv()
        if message == b"stop":
            break
        socket.send(b"result " + message)
    socket.close(linger=0)
    context.term()


def run_pyzmq(tasks, workers, install, in_flight=1):
    zmq = ensure("zmq", "pyzmq", install)
    context = zmq.Context()
    router = context.socket(zmq.ROUTER)
    port = router.bind_to_random_port("tcp://127.0.0.1")
    endpoint = f"tcp://127.0.0.1:{port}"
    processes = [multiprocessing.Process(target=pyzmq_worker, args=(endpoint,)) for _ in range(workers)]
    for p in processes:
        p.start()
    start = time.perf_counter()
    sent = done = 0
    while done < tasks:
        identity, message = router.recv_multipart()
        if message != b"ready":
            done += 1
        # A worker's first message primes `in_flight` tasks; each result then earns the next one.
        for _ in range(in_flight if message == b"ready" else 1):
            if sent < tasks:
                router.send_multipart([identity, b"task %d" % sent])
                sent += 1
    seconds = time.perf_counter() - start
    for p in processes:
        p.terminate()
        p.join()
    router.close(linger=0)
    context.term()
    return seconds


def noop(x):
    return x


def run_ray(tasks, workers, install):
    ray = ensure("ray", "ray", install)
    ray.init(num_cpus=workers, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    try:
        remote = ray.remote(noop)
        ray.get([remote.remote(i) for i in range(min(100, tasks))])  # warm the worker pool
        start = time.perf_counter()
        ray.get([remote.remote(i) for i in range(tasks)])
        return time.perf_counter() - start
    finally:
        ray.shutdown()


def run_dask(tasks, workers, install):
    ensure("distributed", "dask[distributed]", install)
    from distributed import Client, LocalCluster
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            client.gather(client.map(noop, range(min(100, tasks)), pure=False))
            start = time.perf_counter()
            client.gather(client.map(noop, range(tasks), pure=False))
            return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--peers", default="pyzmq,pyzmq-pipelined,ray,dask")
    parser.add_argument("--install", action="store_true")
    args = parser.parse_args()
    runners = {"pyzmq": run_pyzmq, "pyzmq-pipelined": lambda t, w, i: run_pyzmq(t, w, i, in_flight=8),
               "ray": run_ray, "dask": run_dask}
    for peer in args.peers.split(","):
        # Ray and Dask pay per task far more than the loop: fewer tasks keep their run short.
        tasks = args.tasks if peer.startswith("pyzmq") else max(1, args.tasks // 4)
        try:
            seconds = runners[peer](tasks, args.workers, args.install)
            line = {"peer": peer, "tasks": tasks, "workers": args.workers, "seconds": seconds,
                    "tasks_per_second": tasks / seconds}
        except Exception as error:  # report the reason, keep measuring the others
            line = {"peer": peer, "error": f"{type(error).__name__}: {error}".splitlines()[0][:300]}
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
