// The side-by-side benchmark's load generator: `node bench/loadgen/main.mjs '<plan JSON>'`.
//
// Spreads `connections` members over `rooms` (member g is in room g % rooms) and over
// `workers` child processes or worker threads, opens them `concurrency` at a time (hello,
// wait for welcome, join, wait for joined), then runs each step of the plan: the first
// `sendersPerRoom` members of every room send on a fixed open-loop schedule (one message
// every `interval_s`, random phase, never "after the previous reply") for `warmup_s` plus
// `duration_s`; the copies of messages sent during `duration_s` are timed when they arrive
// and counted against sent × room size. Prints one JSON object per line on stdout:
// {"event":"connected"}, {"event":"measure_start"}, {"event":"measure_end"},
// {"event":"step"} with the step's figures, and {"event":"done"}. Progress goes to stderr.
// With `stop_when` ({p99_ms, min_ratio, retry}) the steps stop after the first one outside
// it (with `retry`, after the first rate that misses twice in a row).
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Worker as Thread } from "node:worker_threads";

import { Histogram, nowUs } from "./histogram.mjs";

const WORKER = fileURLToPath(new URL("./worker.mjs", import.meta.url));
const plan = JSON.parse(process.argv[2]);
const emit = (event, fields = {}) => process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);
const note = (text) => process.stderr.write(`loadgen: ${text}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const cpuUs = () => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};

// A worker behind one interface, whichever kind it is; `ask` sends a command and resolves
// with its reply (commands go to one worker one at a time, so replies come back in order).
function spawn(config) {
  const handle =
    plan.mode === "thread"
      ? new Thread(WORKER, { workerData: config })
      : fork(WORKER, [], { env: { ...process.env, LOADGEN_WORKER: JSON.stringify(config) } });
  const waiting = [];
  handle.on("message", (message) => waiting.shift()?.(message));
  handle.on("error", (error) => {
    note(`worker failed: ${error.stack ?? error}`);
    process.exit(2);
  });
  const send = plan.mode === "thread" ? (m) => handle.postMessage(m) : (m) => handle.send(m);
  return {
    ask: (command) =>
      new Promise((resolve) => {
        waiting.push(resolve);
        send(command);
      }),
  };
}

const all = (workers, command) => Promise.all(workers.map((w) => w.ask(command)));
const add = (into, table) => {
  for (const [key, n] of Object.entries(table)) into[key] = (into[key] ?? 0) + n;
  return into;
};

async function main() {
  const slotsPerRoom = Math.ceil(plan.connections / plan.rooms);
  const workers = [];
  for (let w = 0; w < plan.workers; w += 1) {
    const members = [];
    for (let g = w; g < plan.connections; g += plan.workers) members.push(g);
    workers.push(
      spawn({
        url: plan.url,
        rooms: plan.rooms,
        slotsPerRoom,
        sendersPerRoom: plan.senders_per_room,
        stalled: plan.stalled ?? [],
        members,
        concurrency: Math.max(1, Math.ceil(plan.concurrency / plan.workers)),
        connectTimeoutS: plan.connect_timeout_s,
      }),
    );
  }
  const openedAt = nowUs();
  const opened = await all(workers, { cmd: "open" });
  const perRoom = opened.reduce((acc, o) => add(acc, o.perRoom), {});
  const stalledPerRoom = opened.reduce((acc, o) => add(acc, o.stalledPerRoom), {});
  const roomSizes = Array.from(
    { length: plan.rooms },
    (_, r) => (perRoom[r] ?? 0) - (stalledPerRoom[r] ?? 0),
  );
  const connected = {
    requested: plan.connections,
    established: opened.reduce((n, o) => n + o.ready, 0),
    failures: opened.reduce((n, o) => n + o.failures, 0),
    timeouts: opened.reduce((n, o) => n + o.timeouts, 0),
    failure_reasons: opened.reduce((acc, o) => add(acc, o.errors), {}),
    seconds: Math.round((nowUs() - openedAt) / 1e4) / 100,
    workers: plan.workers,
    mode: plan.mode,
  };
  emit("connected", connected);
  note(`${connected.established}/${plan.connections} connected in ${connected.seconds} s`);
  await all(workers, { cmd: "sizes", roomSizes });

  // Each attempt gets its own index: copies are matched to the attempt that sent them.
  let index = -1;
  for (let planned = 0; planned < plan.steps.length; planned += 1) {
    const retry = index >= 0 && plan.steps[planned] === plan.steps[planned - 1];
    const step = plan.steps[planned];
    index += 1;
    const sendStartUs = nowUs() + 200_000;
    const measureStartUs = sendStartUs + step.warmup_s * 1e6;
    const measureEndUs = measureStartUs + step.duration_s * 1e6;
    await all(workers, {
      cmd: "step",
      index,
      intervalUs: step.interval_s * 1e6,
      sendStartUs,
      measureStartUs,
      measureEndUs,
    });
    await sleep((measureStartUs - nowUs()) / 1000);
    const ownCpuStart = cpuUs();
    emit("measure_start", { step: index });
    await sleep((measureEndUs - nowUs()) / 1000);
    const ownCpu = cpuUs() - ownCpuStart;
    emit("measure_end", { step: index });
    // Wait for the copies still on their way, up to drain_s.
    const drainUntil = nowUs() + step.drain_s * 1e6;
    let drained = false;
    while (!drained && nowUs() < drainUntil) {
      await sleep(200);
      const counts = await all(workers, { cmd: "count" });
      drained = counts.reduce((n, c) => n + c.delivered - c.expected, 0) >= 0;
    }
    const reports = await all(workers, { cmd: "report" });
    const result = summarise(step, index, reports, ownCpu);
    result.retry = retry;
    emit("step", result);
    if (plan.stop_when && !withinBounds(result, plan.stop_when)) {
      // On a shared machine one step can miss for reasons of its own: a miss ends the
      // ladder only when the same rate misses again.
      if (retry || !plan.stop_when.retry) break;
      plan.steps.splice(planned + 1, 0, step);
    }
  }
  await all(workers, { cmd: "close" });
  emit("done");
  setTimeout(() => process.exit(0), 200).unref();
}

// A ladder stops at the first step the server does not sustain (or cannot be judged,
// because the generator itself ran out of CPU).
function withinBounds(result, bounds) {
  return (
    result.latency.p99_ms !== null &&
    result.latency.p99_ms < bounds.p99_ms &&
    result.delivery_ratio >= bounds.min_ratio &&
    result.errors.total === 0 &&
    !result.generator_saturated
  );
}

function summarise(step, index, reports, ownCpu) {
  const windowUs = step.duration_s * 1e6;
  const sum = (key) => reports.reduce((n, r) => n + r[key], 0);
  const delivered = sum("delivered");
  const expected = sum("expected");
  // Threads share one process, so the main thread's figure already counts every worker.
  const workerCpu = plan.mode === "thread" ? [] : reports.map((r) => (100 * r.cpuUs) / windowUs);
  const totalCpu = (100 * ownCpu) / windowUs + workerCpu.reduce((a, b) => a + b, 0);
  // Closes between joining and the first step are charged to the first step.
  const closes = reports.reduce(
    (acc, r) => add(add(acc, r.unexpectedCloses), index === 0 ? r.preStepCloses : {}),
    {},
  );
  const errorEvents = reports.reduce((acc, r) => add(acc, r.errorEvents), {});
  const closeCount = Object.values(closes).reduce((a, b) => a + b, 0);
  const errorCount = Object.values(errorEvents).reduce((a, b) => a + b, 0);
  const round = (v, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;
  return {
    step: index,
    name: step.name ?? `step ${index}`,
    interval_s: step.interval_s,
    duration_s: step.duration_s,
    sent: sum("sentMeasured"),
    sent_warmup: sum("sentWarmup"),
    expected,
    delivered,
    delivery_ratio: expected === 0 ? null : round(delivered / expected, 5),
    deliveries_per_s: round(delivered / step.duration_s, 0),
    latency: Histogram.merge(reports.map((r) => r.latency)).summary(),
    send_lag: Histogram.merge(reports.map((r) => r.sendLag)).summary(),
    errors: {
      total: closeCount + errorCount + sum("outOfOrder") + sum("sendSkipped"),
      unexpected_closes: closes,
      error_events: errorEvents,
      out_of_order: sum("outOfOrder"),
      send_skipped: sum("sendSkipped"),
    },
    late_copies: sum("late"),
    worst_ms_by_second: reports[0].worstBySecond.map((_, i) =>
      round(Math.max(...reports.map((r) => r.worstBySecond[i])) / 1000, 0),
    ),
    generator_loop_delay_ms: {
      p99: round(Math.max(...reports.map((r) => r.loopDelayP99Ms)), 1),
      max: round(Math.max(...reports.map((r) => r.loopDelayMaxMs)), 1),
    },
    generator_cpu_percent: round(totalCpu),
    generator_worker_cpu_percent: workerCpu.map((v) => round(v)),
    generator_saturated: totalCpu > 85,
  };
}

main().catch((error) => {
  note(error.stack ?? String(error));
  process.exit(1);
});
