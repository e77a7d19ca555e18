"""The Python peers, ipyparallel and Dask distributed, each with 2 local worker processes,
through the same workloads as Crew. Usage: python3 py_peer.py dask|ipyparallel [--quick]

Every function the workers run is defined here, in __main__, so it travels by value.
"""
import json
import logging
import sys
import time
import warnings

WHICH = sys.argv[1]
QUICK = "--quick" in sys.argv
N = 1000 if QUICK else 4000
CALLS = 100 if QUICK else 300


def inc(x):
    return x + 1


def inc_chunk(c):
    return [x + 1 for x in c]


def one():
    return 1


def ident(a):
    return a


def spin(n):
    x = 0
    for i in range(n):
        x = (x + i * 7) % 1000003
    return x


def calibrate():
    n = 20000
    while True:
        t0 = time.perf_counter()
        spin(n)
        ms = (time.perf_counter() - t0) * 1000
        if ms > 50:
            break
        n *= 2
    rates = []
    for _ in range(3):
        t0 = time.perf_counter()
        spin(n)
        rates.append(n / ((time.perf_counter() - t0) * 1000))
    return sorted(rates)[1]


def uneven_costs():
    costs = [1] * 200
    for i in (10, 50, 90, 130, 170):
        costs[i] = 50
    return costs


def percentile(sorted_xs, p):
    return sorted_xs[min(len(sorted_xs) - 1, int(p / 100 * len(sorted_xs)))]


class Dask:
    def start(self):
        from distributed import Client, LocalCluster

        self.cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        self.client = Client(self.cluster)
        self.client.wait_for_workers(2)

    def map(self, f, xs):
        return self.client.gather(self.client.map(f, xs, pure=False))

    def call(self, f, *args):
        return self.client.submit(f, *args, pure=False).result()

    def close(self):
        self.client.close()
        self.cluster.close()


class Ipyparallel:
    def start(self):
        import ipyparallel as ipp

        self.cluster = ipp.Cluster(n=2, log_level=logging.ERROR)
        self.rc = self.cluster.start_and_connect_sync()
        self.rc.wait_for_engines(2)
        self.view = self.rc.load_balanced_view()

    def map(self, f, xs):
        return list(self.view.map_sync(f, xs))

    def call(self, f, *args):
        return self.view.apply_sync(f, *args)

    def close(self):
        self.rc.close()
        self.cluster.stop_cluster_sync()


def main():
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    peer = {"dask": Dask, "ipyparallel": Ipyparallel}[WHICH]()
    m = {}
    t0 = time.perf_counter()
    peer.start()
    peer.map(one_arg, [0, 1])
    m["startup_s"] = time.perf_counter() - t0
    try:
        run(peer, m)
    finally:
        peer.close()
    print("BENCH " + json.dumps({"system": WHICH, "metrics": m}), flush=True)


def one_arg(_):
    return 1


def run(peer, m):
    xs = list(range(N))
    expect = N * (N + 1) // 2
    peer.map(inc, xs[:200])

    t = time.perf_counter()
    out = peer.map(inc, xs)
    m["map_per_element"] = N / (time.perf_counter() - t)
    assert sum(out) == expect

    chunks = [xs[i:i + 1000] for i in range(0, N, 1000)]
    t = time.perf_counter()
    grouped = peer.map(inc_chunk, chunks)
    m["map_grouped"] = N / (time.perf_counter() - t)
    assert sum(sum(c) for c in grouped) == expect

    for _ in range(20):
        peer.call(one)
    lat = []
    for _ in range(CALLS):
        s = time.perf_counter()
        peer.call(one)
        lat.append((time.perf_counter() - s) * 1000)
    lat.sort()
    m["call_p50_ms"] = percentile(lat, 50)
    m["call_p99_ms"] = percentile(lat, 99)

    per_ms = calibrate()
    n200 = round(200 * per_ms)
    # Ideal: 4 tasks' compute time, each timed here on the same loop.
    alone = []
    for _ in range(3):
        s = time.perf_counter()
        spin(n200)
        alone.append(time.perf_counter() - s)
    alone.sort()
    t = time.perf_counter()
    peer.map(spin, [n200] * 8)
    m["cpu_efficiency"] = 4 * alone[1] / (time.perf_counter() - t)

    costs = uneven_costs()
    t = time.perf_counter()
    peer.map(spin, [round(c * per_ms) for c in costs])
    ideal = max(sum(costs) / 2, max(costs)) / 1000
    m["uneven_vs_ideal"] = (time.perf_counter() - t) / ideal

    import numpy as np

    big = np.arange(8 * 1024 * 1024, dtype=np.float64)
    rates = []
    for _ in range(3):
        s = time.perf_counter()
        back = peer.call(ident, big)
        secs = time.perf_counter() - s
        assert len(back) == len(big) and back[12345] == 12345
        rates.append(2 * big.nbytes / 2**20 / secs)
    rates.sort()
    m["large_mib_s"] = rates[1]


if __name__ == "__main__":
    main()
