#!/usr/bin/env python3
"""bench_lttng - uncontended lock+unlock pair cost, side by side in one run: plain, conviz
writing JSON, conviz with LTTng output but the session stopped (tracepoints disabled), conviz
writing JSON and LTTng (a session with conviz:* active), conviz writing LTTng only.  Generated into build/bin by bench/lttng/CMakeLists.txt (paths filled in).

As root it runs in a private mount namespace with its own lttng-sessiond (as the tests do);
the daemon is stopped at the end.  Usage: bench_lttng [PAIRS]
"""
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

PROG = "@BENCH_PROG@"
PRELOAD = "@PRELOAD@"
HAVE_LTTNG_LIB = os.path.exists("@LTTNG_LIB@")
BENCH_TRACER = "@BENCH_TRACER@"  # tracer-core's bench, when built: run once with a session


def run(env, pairs):
    r = subprocess.run([PROG, str(pairs)], env=env, capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        return None, r.stderr.strip()
    return float(r.stdout.split()[-1]), r.stderr.strip()


def main():
    pairs = int(sys.argv[1]) if len(sys.argv) > 1 else 4000
    if os.geteuid() == 0 and os.environ.get("CVZ_BENCH_NS") != "1" and shutil.which("unshare"):
        env = dict(os.environ, CVZ_BENCH_NS="1")
        rc = subprocess.run(["unshare", "-m", "--propagation", "private", sys.executable]
                            + sys.argv, env=env).returncode
        if rc != 3:  # 3: unshare worked but mounting did not: run without a namespace
            return rc
    if os.environ.get("CVZ_BENCH_NS") == "1" and os.environ.get("CVZ_BENCH_MOUNTED") != "1":
        for target in ("/run", "/dev/shm"):
            if subprocess.run(["mount", "-t", "tmpfs", "cvz-bench", target]).returncode != 0:
                return 3
        os.environ["CVZ_BENCH_MOUNTED"] = "1"
    work = tempfile.mkdtemp(prefix="cvz-bench-lttng-")
    base = dict(os.environ, HOME=work, LTTNG_HOME=work, CONVIZ_QUIET="1")
    base.pop("LD_PRELOAD", None)
    json_out = os.path.join(work, "bench.json")
    # (name, environment, LTTng session started?)
    rows = [("plain", dict(base), None)]
    rows.append(("conviz JSON", dict(base, LD_PRELOAD=PRELOAD, CONVIZ_OUT=json_out), None))
    sessiond = None
    note = ""
    if not HAVE_LTTNG_LIB:
        note = "libconviz-lttng.so not built: no LTTng rows"
    elif not (shutil.which("lttng-sessiond") and shutil.which("lttng")):
        note = "lttng-tools not installed: no LTTng rows"
    else:
        log = open(os.path.join(work, "sessiond.log"), "w")
        libc = ctypes.CDLL(None)
        sessiond = subprocess.Popen(["lttng-sessiond", "--no-kernel"], env=base, stdout=log,
                                    stderr=subprocess.STDOUT,
                                    preexec_fn=lambda: libc.prctl(1, signal.SIGTERM))
        lttng = lambda *a: subprocess.run(["lttng"] + list(a), env=base, capture_output=True,
                                          text=True)
        for _ in range(150):
            if lttng("list").returncode == 0:
                break
            time.sleep(0.1)
        lttng("create", "bench", "--output=" + os.path.join(work, "ctf"))
        lttng("enable-channel", "-u", "--subbuf-size=4M", "--num-subbuf=8", "big")
        lttng("enable-event", "-u", "-c", "big", "conviz:*")
        both = dict(base, LD_PRELOAD=PRELOAD, CONVIZ_OUT=json_out, CONVIZ_LTTNG="1")
        rows.append(("JSON+LTTng, stopped", both, False))
        rows.append(("conviz JSON+LTTng", both, True))
        rows.append(("conviz LTTng only", dict(both, CONVIZ_LTTNG="only"), True))
    try:
        # the modes interleaved, 3 times, best of each: a busy moment hits all modes alike
        best = {name: (None, "") for name, _, _ in rows}
        started = False
        for _ in range(3):
            for name, env, active in rows:
                if active is not None and active != started:
                    lttng("start" if active else "stop")
                    started = active
                if os.path.exists(json_out):
                    os.unlink(json_out)
                ns, err = run(env, pairs)
                if ns is not None and (best[name][0] is None or ns < best[name][0]):
                    best[name] = (ns, err)
                elif best[name][0] is None:
                    best[name] = (None, err)
        results = [(name,) + best[name] for name, _, _ in rows]
        tracer_table = ""
        if sessiond:
            if not started:
                lttng("start")
            if BENCH_TRACER and os.path.exists(BENCH_TRACER):
                r = subprocess.run([BENCH_TRACER], env=dict(base, CONVIZ_QUIET="0"),
                                   capture_output=True, text=True, timeout=600)
                tracer_table = r.stdout
            stop = subprocess.run(["lttng", "stop", "bench"], env=base, capture_output=True,
                                  text=True)
            lost = [l for l in (stop.stdout + stop.stderr).splitlines() if "discarded" in l]
            if lost:
                note = "LTTng: " + " ".join(lost).strip()
            subprocess.run(["lttng", "destroy", "bench"], env=base, capture_output=True)
    finally:
        if sessiond:
            sessiond.terminate()
            try:
                sessiond.wait(timeout=10)
            except subprocess.TimeoutExpired:
                sessiond.kill()
        shutil.rmtree(work, ignore_errors=True)
    plain = results[0][1]
    print("uncontended pthread_mutex_lock+unlock pair, best of 3 runs x 25 rounds x %d pairs"
          % pairs)
    print("  %-22s %10s %10s" % ("mode", "ns/pair", "vs plain"))
    for name, ns, err in results:
        if ns is None:
            print("  %-22s %10s   (%s)" % (name, "failed", err[:60]))
        else:
            print("  %-22s %10.1f %9.1fx" % (name, ns, ns / plain if plain else 0))
    if note:
        print("  " + note)
    if sessiond and tracer_table:
        print("\nbench_tracer (bench/tracer) with the same LTTng session active, so that its "
              "conviz+lttng column records to LTTng:")
        print(tracer_table, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
