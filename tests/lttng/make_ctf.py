#!/usr/bin/env python3
"""make_ctf.py - write a tiny CTF 1.8 trace shaped like an LTTng kernel + conviz session.

The kernel tracer's modules do not load in containers, so the sched_switch path of
`conviz import` is tested on this hand-made trace: two CPUs, kernel sched_switch events (the
fields of lttng-modules: prev_comm, prev_tid, prev_prio, prev_state, next_comm, next_tid,
next_prio) and a few conviz:* events naming the traced threads (fields as the generated
provider writes them).  Usage: make_ctf.py [--kernel-only] OUT_DIR.  The expected RUNNING slices are in
EXPECTED_RUNS (tid, cpu, t0 ns, t1 ns, out), which lttng_test.py checks.
"""
import os
import struct
import sys

PID = 100
EXPECTED_RUNS = [
    (101, 0, 1000, 2000, "block"),    # prev_state 1 (TASK_INTERRUPTIBLE): went to sleep
    (102, 1, 1300, 2500, "preempt"),  # prev_state 0x100 (TASK_REPORT_MAX): preempted
    (102, 0, 3000, 4000, "preempt"),  # prev_state 0 (TASK_RUNNING): still runnable
    (101, 0, 4000, 6000, "open"),     # still on the CPU when the trace ends
]

METADATA = """/* CTF 1.8 */
typealias integer { size = 8; align = 8; signed = false; } := uint8_t;
typealias integer { size = 32; align = 8; signed = false; } := uint32_t;
typealias integer { size = 64; align = 8; signed = false; } := uint64_t;
typealias integer { size = 32; align = 8; signed = true; } := int32_t;
typealias integer { size = 64; align = 8; signed = true; } := int64_t;
typealias integer { size = 64; align = 8; signed = false; base = 16; } := hex64_t;

trace {
    major = 1;
    minor = 8;
    byte_order = le;
    packet.header := struct { uint32_t magic; uint32_t stream_id; };
};

env {
    domain = "kernel";
    tracer_name = "lttng-modules";
};

clock {
    name = "monotonic";
    description = "Monotonic Clock";
    freq = 1000000000;
    offset_s = 0;
    offset = 0;
    precision = 1;
    absolute = FALSE;
};

typealias integer { size = 64; align = 8; signed = false; map = clock.monotonic.value; } := clock_t;

stream {
    id = 0;
    packet.context := struct {
        clock_t timestamp_begin;
        clock_t timestamp_end;
        uint64_t content_size;
        uint64_t packet_size;
        uint32_t cpu_id;
    };
    event.header := struct { uint32_t id; clock_t timestamp; };
};

event {
    name = "sched_switch";
    id = 0;
    stream_id = 0;
    fields := struct {
        string prev_comm;
        int32_t prev_tid;
        int32_t prev_prio;
        int64_t prev_state;
        string next_comm;
        int32_t next_tid;
        int32_t next_prio;
    };
};

event {
    name = "conviz:thread_start";
    id = 1;
    stream_id = 0;
    fields := struct { uint64_t ts; int32_t pid; int32_t tid; int64_t parent; };
};

event {
    name = "conviz:lock_acquire";
    id = 2;
    stream_id = 0;
    fields := struct {
        uint64_t ts; int32_t pid; int32_t tid; hex64_t obj; string mode; string res;
        int64_t wait_ns; int64_t depth; int64_t count;
    };
};

event {
    name = "sched_waking";
    id = 3;
    stream_id = 0;
    fields := struct { string comm; int32_t tid; int32_t prio; int32_t target_cpu; };
};
"""


def cstr(text):
    return text.encode() + b"\0"


def sched_switch(ts, prev_tid, prev_state, next_tid):
    body = (cstr("p%d" % prev_tid) + struct.pack("<iiq", prev_tid, 20, prev_state) +
            cstr("n%d" % next_tid) + struct.pack("<ii", next_tid, 20))
    return ts, struct.pack("<IQ", 0, ts) + body


def thread_start(ts, tid):
    return ts, struct.pack("<IQ", 1, ts) + struct.pack("<Qiiq", ts, PID, tid, PID)


def lock_acquire(ts, tid, obj):
    body = (struct.pack("<QiiQ", ts, PID, tid, obj) + cstr("w") + cstr("ok") +
            struct.pack("<qqq", 0, 1, -1))
    return ts, struct.pack("<IQ", 2, ts) + body


def sched_waking(ts, tid):
    return ts, struct.pack("<IQ", 3, ts) + cstr("t%d" % tid) + struct.pack("<iii", tid, 20, 0)


STREAMS = {
    0: [thread_start(500, 101), thread_start(600, 102),
        sched_switch(1000, 0, 0, 101), lock_acquire(1500, 101, 0x5000),
        sched_switch(2000, 101, 1, 0), sched_waking(2900, 102), sched_switch(3000, 0, 0, 102),
        sched_switch(4000, 102, 0, 101)],
    1: [sched_switch(1200, 0, 0, 999), sched_switch(1300, 999, 0, 102),
        lock_acquire(1400, 102, 0x5000), sched_switch(2500, 102, 0x100, 0),
        sched_switch(6000, 0, 0, 999)],
}


def packet(cpu, events):
    payload = b"".join(data for _, data in events)
    header_size = 4 + 4 + 8 + 8 + 8 + 8 + 4
    size_bits = (header_size + len(payload)) * 8
    head = struct.pack("<IIQQQQI", 0xC1FC1FC1, 0, events[0][0], events[-1][0], size_bits,
                       size_bits, cpu)
    return head + payload


def main():
    args = [a for a in sys.argv[1:] if a != "--kernel-only"]
    if len(args) != 1:
        sys.exit("usage: make_ctf.py [--kernel-only] OUT_DIR")
    out = args[0]
    kernel_only = "--kernel-only" in sys.argv
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "metadata"), "w") as f:
        f.write(METADATA)
    for cpu, events in STREAMS.items():
        with open(os.path.join(out, "stream_%d" % cpu), "wb") as f:
            if kernel_only:  # a trace without conviz events: import must refuse it
                events = [e for e in events if struct.unpack_from("<I", e[1])[0] in (0, 3)]
            f.write(packet(cpu, events))


if __name__ == "__main__":
    main()
