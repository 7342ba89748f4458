"""Per-round ratios and their median, for benches/assertions.sh and benches/dpop.sh.

Reads a file of wrk `RESULT` lines (benches/*.lua `done`) with the server's `server_ticks` (CPU
clock ticks, user + system) and `switches` (context switches) of the round appended, each line
prefixed by `base` or `other`, alternating base, other, base, other…; prints each round's rates,
ratio other/base, the server's CPU µs and context switches per request, p50s and failures,
then the medians: of the rate ratio, and of the ratio of tokens per server CPU-second.

    python3 benches/ratio_rounds.py ROUNDS_FILE BASE_NAME OTHER_NAME GOAL
"""
import os
import re
import statistics
import sys

path, base_name, other_name, goal = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
hz = os.sysconf("SC_CLK_TCK")
rows = [line.split(" ", 1) for line in open(path).read().splitlines()]
kv = lambda line: dict(re.findall(r"(\w+)=([\d.]+)", line))
pairs = [(kv(b), kv(o)) for (_, b), (_, o) in zip(rows[0::2], rows[1::2])]


def cpu_us(k):
    """Server CPU µs per request of a round."""
    return float(k["server_ticks"]) / hz * 1e6 / max(float(k["requests"]), 1)


ratios, cpu_ratios, failed = [], [], 0
print(f"{'round':>5} {base_name + '/s':>9} {other_name + '/s':>16} {'ratio':>6}  "
      f"{'CPU µs/req':>13} {'CPU ratio':>9}  {'cs/req':>9}  {'p50 ms':>13} {'non2xx':>7}")
for i, (b, o) in enumerate(pairs, 1):
    ratio = float(o["rps"]) / float(b["rps"])
    cpu_ratio = cpu_us(b) / cpu_us(o)
    ratios.append(ratio)
    cpu_ratios.append(cpu_ratio)
    failed += sum(int(k[f]) for k in (b, o) for f in ("non2xx", "socket_errors"))
    cs = lambda k: float(k["switches"]) / max(float(k["requests"]), 1)
    print(f"{i:>5} {float(b['rps']):>9.0f} {float(o['rps']):>16.0f} {ratio:>6.3f}  "
          f"{cpu_us(b):>6.0f}/{cpu_us(o):<6.0f} {cpu_ratio:>9.3f}  {cs(b):>4.2f}/{cs(o):<4.2f}  "
          f"{b['p50_ms']:>6}/{o['p50_ms']:<6} {b['non2xx']:>3}/{o['non2xx']}")
print(f"median {other_name}/{base_name} ratio: tokens/s {statistics.median(ratios):.3f}, "
      f"tokens per server CPU-second {statistics.median(cpu_ratios):.3f} (goal >= {goal})")
if failed:
    print(f"WARNING: {failed} requests failed: the rates count them, the ratio is not a clean one")
