// One load-generator worker (a child process or a worker thread of main.mjs): opens its
// share of the members, says hello and joins, sends on an open-loop schedule and times every
// delivered copy of every message. Commands come from main.mjs; see main.mjs for the plan.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";

import WebSocket from "ws";

import { Histogram, nowUs } from "./histogram.mjs";

const post = parentPort ? (m) => parentPort.postMessage(m) : (m) => process.send(m);
const onCommand = (handler) =>
  parentPort ? parentPort.on("message", handler) : process.on("message", handler);

const bump = (table, key) => {
  table[key] = (table[key] ?? 0) + 1;
};

// The text of a `message` event, or null for any other event. Both servers put `type`
// first, so the common case skips JSON.parse; any other shape takes the general path. A JSON string value cannot contain `"text":"`
// unescaped, so the first one is the key; the benchmark's texts contain no quotes.
const MESSAGE_PREFIX = '{"type":"message"';
const TEXT_KEY = '"text":"';
function messageText(data) {
  const frame = data.toString("latin1");
  if (!frame.startsWith(MESSAGE_PREFIX)) {
    const event = JSON.parse(frame);
    return event.type === "message" ? event.text : null;
  }
  const start = frame.indexOf(TEXT_KEY) + TEXT_KEY.length;
  return frame.slice(start, frame.indexOf('"', start));
}

class Worker {
  constructor(config) {
    this.config = config;
    this.members = config.members.map((g) => ({
      g,
      room: g % config.rooms,
      slot: Math.floor(g / config.rooms),
      sender: Math.floor(g / config.rooms) < config.sendersPerRoom && !config.stalled.includes(g),
      stalled: config.stalled.includes(g),
      ws: null,
      ready: false,
      counter: 0,
      lastSeen: null, // per sender slot of the room: the last counter received, for order
    }));
    this.closing = false;
    this.roomSizes = [];
    this.step = null;
    this.connect = { ready: 0, failures: 0, errors: {}, timeouts: 0 };
    this.unexpectedCloses = {}; // before and between steps; each step keeps its own too
  }

  // --- connection set-up -------------------------------------------------------------

  openAll() {
    const { concurrency, connectTimeoutS } = this.config;
    const started = nowUs();
    return new Promise((resolve) => {
      let next = 0;
      let inflight = 0;
      let settled = 0;
      const finish = () => {
        clearTimeout(deadline);
        const perRoom = {};
        for (const m of this.members) if (m.ready) bump(perRoom, m.room);
        const stalledPerRoom = {};
        for (const m of this.members) if (m.ready && m.stalled) bump(stalledPerRoom, m.room);
        resolve({
          ...this.connect,
          perRoom,
          stalledPerRoom,
          durationMs: (nowUs() - started) / 1000,
        });
      };
      const deadline = setTimeout(() => {
        this.connect.timeouts = this.members.length - settled;
        finish();
      }, connectTimeoutS * 1000);
      const launch = () => {
        while (inflight < concurrency && next < this.members.length) {
          inflight += 1;
          this.open(this.members[next], () => {
            inflight -= 1;
            settled += 1;
            if (settled === this.members.length) finish();
            else launch();
          });
          next += 1;
        }
      };
      if (this.members.length === 0) finish();
      else launch();
    });
  }

  open(member, settle) {
    let settledOnce = false;
    const done = (ok, reason) => {
      if (settledOnce) return;
      settledOnce = true;
      if (ok) this.connect.ready += 1;
      else {
        this.connect.failures += 1;
        bump(this.connect.errors, reason);
      }
      settle();
    };
    const ws = new WebSocket(this.config.url, {
      perMessageDeflate: false,
      handshakeTimeout: 30000,
      // ws checks UTF-8 in JavaScript without the optional native module: per copy, for
      // nothing (the servers' frames are JSON from json.dumps / pydantic).
      skipUTF8Validation: true,
    });
    member.ws = ws;
    const room = `bench-${member.room}`;
    ws.on("open", () => ws.send(`{"type":"hello","name":"m${member.g}"}`));
    ws.on("message", (data) => {
      if (member.ready) {
        this.receive(member, data);
        return;
      }
      const event = JSON.parse(data);
      if (event.type === "welcome") ws.send(`{"type":"join","room":"${room}"}`);
      else if (event.type === "joined") {
        member.ready = true;
        member.lastSeen = new Float64Array(this.config.slotsPerRoom).fill(-1);
        if (member.stalled) ws._socket.pause(); // stop reading: the kernel buffers fill
        done(true);
      } else if (event.type === "error") done(false, `error event ${event.code}`);
    });
    ws.on("error", (error) => done(false, error.code ?? error.message));
    ws.on("close", (code) => {
      if (!member.ready) done(false, `closed ${code}`);
      else if (!this.closing) {
        member.ready = false;
        bump(this.step ? this.step.unexpectedCloses : this.unexpectedCloses, code);
      }
    });
  }

  // --- one step: send on schedule, time every copy -------------------------------------

  receive(member, data) {
    const step = this.step;
    const text = messageText(data);
    if (text === null) {
      const event = JSON.parse(data);
      if (event.type === "error" && step) bump(step.errorEvents, event.code);
      return;
    }
    // text: "<step> <m|w> <sender g> <sender counter> <sent at, µs>"
    const parts = text.split(" ");
    const senderSlot = Math.floor(Number(parts[2]) / this.config.rooms);
    const counter = Number(parts[3]);
    if (!step) return;
    if (counter <= member.lastSeen[senderSlot]) step.outOfOrder += 1;
    member.lastSeen[senderSlot] = counter;
    if (parts[1] !== "m") return;
    if (Number(parts[0]) !== step.index) {
      step.late += 1;
      return;
    }
    step.delivered += 1;
    const now = nowUs();
    const latency = now - Number(parts[4]);
    step.latency.record(latency);
    // the worst copy of each second since the window opened: shows pauses, not just tails
    const second = Math.floor((now - step.measureStartUs) / 1e6);
    if (second >= 0 && second < step.worstBySecond.length && latency > step.worstBySecond[second])
      step.worstBySecond[second] = latency;
  }

  startStep(plan) {
    const step = {
      index: plan.index,
      sentWarmup: 0,
      sentMeasured: 0,
      expected: 0,
      delivered: 0,
      late: 0,
      outOfOrder: 0,
      sendSkipped: 0,
      errorEvents: {},
      unexpectedCloses: {},
      latency: new Histogram(),
      measureStartUs: plan.measureStartUs,
      worstBySecond: new Float64Array(Math.ceil((plan.measureEndUs - plan.measureStartUs) / 1e6) + 10),
      sendLag: new Histogram(),
      cpuStart: null,
      cpuUs: null,
    };
    this.step = step;
    const senders = this.members
      .filter((m) => m.sender && m.ready)
      .map((m) => ({ m, phase: Math.random() * plan.intervalUs }))
      .sort((a, b) => a.phase - b.phase);
    const sample = () => {
      const usage = process.cpuUsage();
      return usage.user + usage.system;
    };
    // How late this worker's loop ran: a late loop times copies late, whatever its CPU %.
    step.loopDelay = monitorEventLoopDelay({ resolution: 5 });
    setTimeout(() => {
      step.cpuStart = sample();
      step.loopDelay.enable();
    }, (plan.measureStartUs - nowUs()) / 1000);
    setTimeout(() => {
      step.cpuUs = sample() - step.cpuStart;
      step.loopDelay.disable();
    }, (plan.measureEndUs - nowUs()) / 1000);
    if (senders.length === 0) return;
    let cursor = 0;
    let round = 0;
    const tick = () => {
      const now = nowUs();
      for (;;) {
        const sender = senders[cursor];
        const due = plan.sendStartUs + sender.phase + round * plan.intervalUs;
        if (due >= plan.measureEndUs) return;
        if (due > now) {
          setTimeout(tick, Math.max(0, (due - now) / 1000));
          return;
        }
        this.send(step, sender.m, due >= plan.measureStartUs, due);
        cursor += 1;
        if (cursor === senders.length) {
          cursor = 0;
          round += 1;
        }
      }
    };
    tick();
  }

  send(step, member, measured, due) {
    if (member.ws.readyState !== WebSocket.OPEN || !member.ready) {
      step.sendSkipped += 1;
      return;
    }
    member.counter += 1;
    const at = nowUs();
    step.sendLag.record(at - due);
    const text = `${step.index} ${measured ? "m" : "w"} ${member.g} ${member.counter} ${at.toFixed(1)}`;
    member.ws.send(`{"type":"send","room":"bench-${member.room}","text":"${text}"}`);
    if (measured) {
      step.sentMeasured += 1;
      step.expected += this.roomSizes[member.room];
    } else step.sentWarmup += 1;
  }

  report() {
    const step = this.step;
    return {
      index: step.index,
      sentWarmup: step.sentWarmup,
      sentMeasured: step.sentMeasured,
      expected: step.expected,
      delivered: step.delivered,
      late: step.late,
      outOfOrder: step.outOfOrder,
      sendSkipped: step.sendSkipped,
      errorEvents: step.errorEvents,
      unexpectedCloses: step.unexpectedCloses,
      latency: step.latency.toJSON(),
      sendLag: step.sendLag.toJSON(),
      cpuUs: step.cpuUs,
      worstBySecond: Array.from(step.worstBySecond),
      loopDelayP99Ms: step.loopDelay.percentile(99) / 1e6,
      loopDelayMaxMs: step.loopDelay.max / 1e6,
    };
  }
}

// A forked worker whose parent died (killed by the runner's timeout) must not linger.
if (!parentPort) process.on("disconnect", () => process.exit(0));

const worker = new Worker(parentPort ? workerData : JSON.parse(process.env.LOADGEN_WORKER));
onCommand(async (command) => {
  switch (command.cmd) {
    case "open":
      post({ reply: "opened", ...(await worker.openAll()) });
      break;
    case "sizes":
      // copies a room's message should reach: its ready members less the stalled ones
      worker.roomSizes = command.roomSizes;
      post({ reply: "sized" });
      break;
    case "step":
      worker.startStep(command);
      post({ reply: "stepping" });
      break;
    case "count":
      post({
        reply: "count",
        delivered: worker.step.delivered,
        expected: worker.step.expected,
      });
      break;
    case "report":
      post({ reply: "report", ...worker.report(), preStepCloses: worker.unexpectedCloses });
      break;
    case "close":
      worker.closing = true;
      for (const m of worker.members) m.ws?.terminate();
      post({ reply: "closed" });
      setTimeout(() => process.exit(0), 100).unref();
      if (parentPort) parentPort.close();
      break;
    default:
      throw new Error(`unknown command ${command.cmd}`);
  }
});
