#!/usr/bin/env python3
"""A synthetic run record of N steps (default 10,000) for bench/report/run.sh:
events.jsonl as drydock writes it and a 3-line log per step. Ten phases; in
each, steps form 8 chains (step i needs step i-8), so 8 run at once; every
997th step fails, the last 50 are skipped. Usage: gen_record.py DIR [N]"""
import json
import os
import sys

out, count = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 10000
lanes, per_phase = 8, max(1, count // 10)
os.makedirs(os.path.join(out, "logs"), exist_ok=True)
os.makedirs(os.path.join(out, "test-results"), exist_ok=True)
os.makedirs(os.path.join(out, "artifacts"), exist_ok=True)


def step_id(i):
    return "phase%d.override[%d]" % (i // per_phase, i % per_phase)


def line(event, t, **fields):
    return json.dumps({"event": event, "t": t, **fields}, separators=(",", ":")) + "\n"


steps = [{"id": step_id(i), "name": "make target-%d && ./check %d" % (i, i), "group": "phase%d" % (i // per_phase),
          "kind": "shell", "needs": [step_id(i - lanes)] if i >= lanes else [], "runs_in": "host",
          "background": False} for i in range(count)]
skipped_from = count - 50
end = (skipped_from // lanes + 1) * 6 + 10
with open(os.path.join(out, "events.jsonl"), "w") as events:
    events.write(line("run_started", 0, version=1, config="circle.yml", commit="0" * 40, branch="main", tag="",
                      build=1, drydock="0.1.0", owner="1:1", started_at="2026-01-01T00:00:00Z", dry_run=False,
                      steps=steps))
    events.write(line("service_ready", 3, service="postgresql", ms=310, step=step_id(0)))
    for i in range(skipped_from):
        start = (i // lanes) * 6
        needs = [step_id(i - lanes)] if i >= lanes else []
        events.write(line("step_started", start, step=step_id(i), needs=needs, released_by=needs))
        failed = i % 997 == 996
        events.write(line("step_finished", start + 5, step=step_id(i), status="failed" if failed else "succeeded",
                          exit_code=1 if failed else 0, signal=None, timed_out=False, duration_ms=5, message=""))
        name = "%03d-%s.log" % (i, step_id(i).replace("[", "_").replace("]", "_"))
        with open(os.path.join(out, "logs", name), "w") as log:
            log.write("building target-%d\nchecking target-%d: %s\ndone in 5 ms\n"
                      % (i, i, "FAILED" if failed else "ok"))
    for i in range(skipped_from, count):
        events.write(line("step_skipped", end, step=step_id(i), reason="an earlier step failed"))
    events.write(line("run_finished", end, result="failed", duration_ms=end, message=""))
