"""Many residents at once: whole conversations through the public relay (`POST /api/chat`),
driven by locust used as a library, with the number of residents stepped up stage by stage.

Each simulated resident is a new sender id who holds one plain conversation to its decision
(bench/load_stack.py's conversations: the tests' plain case and four tuned cases of the first
blind set), thinking 5-20 s before each message; the next resident takes its place. For each
stage it prints: residents at once, turns per second, p50/p95 turn latency, errors, and the CPU
and peak memory (RSS) of every server process; then, per shape, the most residents at once with
p95 under 1 s and no errors, and the ratio of two replicas to one at that point. Figures and
ratios only: nothing is asserted (issue 9, item 8).

It starts each shape itself with bench/load_stack.py (the project's .venv): `run` is `make run`
(the relay and one Rasa, SQLite tracker store); `cluster1` and `cluster2` are `make run-cluster`
with one and two Rasa replicas behind nginx (PostgreSQL tracker store, Redis lock store), when
this tree has the cluster (asbcr/cluster.py).

    .venv-load/bin/python bench/load.py                       # what `make bench-load` runs
    .venv-load/bin/python bench/load.py --shapes run --stages 10,20 --window 20   # a short look
    .venv-load/bin/python bench/load.py --profile-at 100      # py-spy on every server at 100 (or: all)
    .venv-load/bin/python bench/load.py --url http://127.0.0.1:8000 --conversations talks.json
    .venv-load/bin/python bench/load.py --smoke 5 --url ... --conversations ...   # tests/conversation/test_load_harness.py
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()  # before anything imports socket or ssl (locust would do it on import)

import argparse  # noqa: E402
import collections  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Dict, List, Optional, Sequence, Tuple  # noqa: E402

import gevent  # noqa: E402
import psutil  # noqa: E402
from locust import FastHttpUser, constant, task  # noqa: E402
from locust.env import Environment  # noqa: E402
from locust.exception import StopUser  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PROJECT_PYTHON = ROOT / ".venv" / "bin" / "python"
PY_SPY = Path(sys.executable).parent / "py-spy"
STACK_HELPER = ROOT / "bench" / "load_stack.py"
PROFILE_RATE = 50  # samples a second per process

CONFIRM = "yes, that's right"
MAX_TURNS = 25  # a conversation still undecided after this many messages is an error
THINK_SECONDS = (5.0, 20.0)  # issue 9: 5-20 s between a resident's messages
TARGET_P95_SECONDS = 1.0
TARGET_RESIDENTS_PER_REPLICA = 500  # issue 9's target, at p95 under TARGET_P95_SECONDS and no errors
DEFAULT_STAGES = (25, 50, 100, 150, 200, 300, 400, 500)
STARTUP_SECONDS = 420  # a cluster starts every Rasa replica at once on 2 cores
SHAPES = {
    "run": ("run", 1, "make run: relay -> one Rasa (SQLite tracker store)"),
    "cluster1": ("cluster", 1, "make run-cluster with one Rasa replica: nginx -> relay -> nginx -> Rasa"),
    "cluster2": ("cluster", 2, "make run-cluster with two Rasa replicas"),
}


# --- what the residents did ------------------------------------------------------------


class Stuck(Exception):
    """The conversation cannot go on: the bot asked something the resident has no answer for."""


@dataclass
class Tally:
    """Every turn and conversation since the last `reset` (one stage's measuring window)."""

    latencies: List[float] = field(default_factory=list)  # seconds, answered turns only
    by_turn: Dict[str, List[float]] = field(
        default_factory=lambda: collections.defaultdict(list)
    )  # "opening" or the ask answered
    errors: "collections.Counter[str]" = field(default_factory=collections.Counter)
    decided: int = 0
    wrong_outcomes: List[str] = field(default_factory=list)
    started_at: float = field(default_factory=time.monotonic)

    def reset(self) -> None:
        self.__init__()


TALLY = Tally()


def latest(replies: Sequence[Dict[str, Any]], key: str) -> Any:
    """The `custom.<key>` of the newest reply that has one (an incident index may be 0)."""
    for message in reversed(replies):
        value = (message.get("custom") or {}).get(key)
        if value is not None:
            return value
    return None


def next_message(talk: Dict[str, Any], replies: Sequence[Dict[str, Any]]) -> str:
    """What the resident says to the bot's replies: the answer for what it asks, by `ask` name;
    the incident's own answer when it asks about one incident; yes to the check."""
    ask = latest(replies, "ask")
    if ask is None:
        # An empty answer is what Rasa sends when a turn fails inside it (an action timed out).
        raise Stuck("an empty answer" if not replies else "the bot asked nothing and decided nothing")
    if ask == "check":
        return CONFIRM
    incident = latest(replies, "incident")
    per_incident = talk["incident_answers"]
    if isinstance(incident, int) and ask in ("incident_dates", "reported_to") and 0 <= incident < len(per_incident):
        words = per_incident[incident].get("when" if ask == "incident_dates" else "reported_to")
        if words:
            return words
    if ask not in talk["answers"]:
        raise Stuck(f"no answer for {ask!r}")
    return talk["answers"][ask]


class Resident(FastHttpUser):
    """One simulated resident after another: each a new sender id, one whole conversation."""

    talks: List[Dict[str, Any]] = []
    think: Tuple[float, float] = THINK_SECONDS
    conversations_each: Optional[int] = None  # --smoke: stop after this many
    wait_time = constant(0)  # the think time is inside the conversation, before every message
    # The relay's timeout to Rasa is 60 s; a turn slower than that is already an error there.
    network_timeout = 75.0
    connection_timeout = 10.0
    _next_talk = itertools.count()

    def on_start(self) -> None:
        self.held = 0
        gevent.sleep(random.uniform(0, self.think[1]))  # residents arrive spread out, not all at once

    def pause(self) -> None:
        gevent.sleep(random.uniform(*self.think))

    @task
    def converse(self) -> None:
        if self.conversations_each is not None and self.held >= self.conversations_each:
            raise StopUser()
        self.held += 1
        talk = self.talks[next(self._next_talk) % len(self.talks)]  # an even mix of the conversations
        sender = f"load-{uuid.uuid4().hex}"
        text, answering = talk["opening"], "opening"
        for _ in range(MAX_TURNS):
            replies = self.say(sender, text, answering)
            if replies is None:
                self.pause()  # an error, counted; this resident gives up and another comes later
                return
            decision = latest(replies, "decision")
            if decision:
                TALLY.decided += 1
                if decision.get("outcome") != talk["expected_outcome"]:
                    TALLY.wrong_outcomes.append(f"{talk['id']}: {decision.get('outcome')}")
                self.pause()  # the next resident arrives a think time later
                return
            try:
                text, answering = next_message(talk, replies), latest(replies, "ask")
            except Stuck as stuck:
                TALLY.errors[f"stuck: {stuck}"] += 1
                self.pause()
                return
            self.pause()
        TALLY.errors[f"no decision after {MAX_TURNS} messages"] += 1

    def say(self, sender: str, text: str, answering: str) -> Optional[List[Dict[str, Any]]]:
        start = time.perf_counter()
        # A new connection for every message: a resident thinks longer than nginx keeps an idle
        # connection (15 s), and a message sent down a connection the server is closing would be
        # counted as the service's error.
        with self.client.post(
            "/api/chat",
            json={"sender": sender, "message": text},
            name="/api/chat",
            headers={"Connection": "close"},
            catch_response=True,
        ) as response:
            elapsed = time.perf_counter() - start
            if response.status_code != 200:
                kind = f"HTTP {response.status_code}" if response.status_code else type(response.error).__name__
                TALLY.errors[kind] += 1
                response.failure(kind)
                return None
            try:
                replies = response.json()
            except ValueError:
                replies = None
            if not isinstance(replies, list):
                TALLY.errors["an answer that is not a list"] += 1
                response.failure("not a list")
                return None
            TALLY.latencies.append(elapsed)
            TALLY.by_turn[answering].append(elapsed)
            return replies


# --- the servers' processes ----------------------------------------------------------


def _tree(pid: int) -> List[psutil.Process]:
    try:
        process = psutil.Process(pid)
        return [process, *process.children(recursive=True)]
    except psutil.Error:
        return []


def _cpu_seconds(processes: Sequence[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            continue
    return total


def _rss_mb(processes: Sequence[psutil.Process]) -> float:
    total = 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.Error:
            continue
    return total / 2**20


class Watch:
    """CPU (share of one core) and peak RSS of each server process (with its children) over a
    stage's window, the residents' own process too, and how busy the whole machine was."""

    def __init__(self, pids: Dict[str, int]) -> None:
        self.pids = dict(pids)
        self.peak: Dict[str, float] = {}
        self._sampler: Optional[gevent.Greenlet] = None

    def processes(self, name: str) -> List[psutil.Process]:
        if name == "residents":  # this process alone: its children are the servers' helper
            return [psutil.Process()]
        return _tree(self.pids[name])

    def start(self) -> None:
        self.names = [*self.pids, "residents"]
        self.peak = {name: 0.0 for name in self.names}
        self._cpu0 = {name: _cpu_seconds(self.processes(name)) for name in self.names}
        self._machine0 = psutil.cpu_times()
        self._t0 = time.monotonic()
        self._sampler = gevent.spawn(self._sample)

    def _sample(self) -> None:
        while True:
            for name in self.names:
                self.peak[name] = max(self.peak[name], _rss_mb(self.processes(name)))
            gevent.sleep(1.0)

    def stop(self) -> Dict[str, Any]:
        if self._sampler is not None:
            self._sampler.kill()
        seconds = time.monotonic() - self._t0
        cpu = {name: 100 * (_cpu_seconds(self.processes(name)) - self._cpu0[name]) / seconds for name in self.names}
        machine = psutil.cpu_times()
        busy = sum(
            getattr(machine, f) - getattr(self._machine0, f) for f in ("user", "nice", "system", "irq", "softirq", "steal")
        )
        idle = sum(getattr(machine, f) - getattr(self._machine0, f) for f in ("idle", "iowait"))
        machine_busy = 100 * psutil.cpu_count() * busy / max(busy + idle, 1e-9)
        # The machine is shared: what else ran meanwhile (PostgreSQL and Redis count here too).
        return {
            "cpu_percent": cpu,
            "rss_mb": dict(self.peak),
            "machine_busy_percent": machine_busy,
            "others_percent": max(0.0, machine_busy - sum(cpu.values())),
        }


# --- py-spy: where the time goes ------------------------------------------------------


def start_profiles(pids: Dict[str, int], seconds: float, folder: Path) -> Dict[str, Tuple[subprocess.Popen, Path]]:
    """py-spy on every Python server (not nginx) for `seconds`, without pausing them."""
    running = {}
    for name, pid in pids.items():
        if name.startswith("nginx"):
            continue
        out = folder / f"{name}.txt"
        # --gil: only samples where Python holds the GIL, i.e. Python at work (Rasa and the action
        # server wait in uvloop's C code, which py-spy would otherwise count as running).
        command = [
            str(PY_SPY),
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(int(seconds)),
            "--rate",
            str(PROFILE_RATE),
            "--format",
            "raw",
            "--function",
            "--gil",
            "--nonblocking",
            "--output",
            str(out),
        ]
        running[name] = (subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), out)
    return running


# Packages whose time is worth telling apart folder by folder.
SPLIT_BY_FOLDER = {"rasa", "rasa_sdk", "bot", "asbcr", "web", "rules", "casework"}


def _package(frame: str) -> str:
    """`serve (sanic/server/runners.py:37)` -> `sanic`; `rasa/core/...` -> `rasa/core`; `bot/nlp/...` ->
    `bot/nlp`; a stdlib module by its file (`asyncio`, `json`)."""
    if "(" not in frame:
        return frame
    parts = frame[frame.rfind("(") + 1 :].rstrip(")").split(":")[0].split("/")
    if parts[0] in SPLIT_BY_FOLDER and len(parts) > 2:
        return "/".join(parts[:2])
    return parts[0].replace(".py", "")


def summarize_profile(path: Path, top: int = 6) -> Optional[Dict[str, Any]]:
    """Shares of the samples, from py-spy's raw (collapsed) output: by the package of the frame
    running (self), by package anywhere on the stack (inclusive, leaving out the entry frames
    that every sample has), and by function."""
    if not path.exists():
        return None
    own: "collections.Counter[str]" = collections.Counter()
    inclusive: "collections.Counter[str]" = collections.Counter()
    functions: "collections.Counter[str]" = collections.Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        samples = int(count)
        total += samples
        own[_package(frames[-1])] += samples
        functions[frames[-1]] += samples
        for package in {_package(frame) for frame in frames}:
            inclusive[package] += samples
    if not total:
        return None

    def shares(counter):
        # Frames on (nearly) every stack are the server's entry (sanic, runpy, the REST channel): left out.
        return [(name, round(100 * n / total, 1)) for name, n in counter.most_common() if n < 0.8 * total][:top]

    return {"samples": total, "self": shares(own), "inclusive": shares(inclusive), "functions": shares(functions)}


# --- stages ---------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))] if ordered else float("nan")


def run_stages(
    url: str, talks: List[Dict[str, Any]], pids: Dict[str, int], args: argparse.Namespace, label: str
) -> List[Dict[str, Any]]:
    smoke(url, talks, len(talks), (0, 0), timeout=180)  # warm-up, not counted: a new server's first turns are slow
    Resident.talks, Resident.think, Resident.conversations_each = talks, tuple(args.think), None
    environment = Environment(user_classes=[Resident], host=url)
    runner = environment.create_local_runner()
    results: List[Dict[str, Any]] = []
    watch = Watch(pids)
    previous = 0
    print(
        f"\n{label}\n{'residents':>9} {'turns/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'errors':>6} "
        f"{'decided':>7}  CPU (% of one core) and peak RSS per process",
        flush=True,
    )
    try:
        for residents in args.stages:
            # New residents arrive over ramp seconds; each waits up to one think time before its
            # first message, so the load is steady one think time after the last arrived.
            runner.start(residents, spawn_rate=max(1.0, (residents - previous) / args.ramp))
            gevent.sleep(args.ramp + args.think[1])
            previous = residents
            TALLY.reset()
            profiles = {}
            if args.profile_at in ("all", str(residents)):
                folder = Path(tempfile.mkdtemp(prefix="asbcr-profile-"))
                profiles = start_profiles(pids, args.window, folder)
            watch.start()
            gevent.sleep(args.window)
            seconds = time.monotonic() - TALLY.started_at
            processes = watch.stop()
            stage = {
                "residents": residents,
                "window_seconds": seconds,
                "turns": len(TALLY.latencies),
                "turns_per_second": len(TALLY.latencies) / seconds,
                "p50_ms": 1000 * percentile(TALLY.latencies, 0.5),
                "p95_ms": 1000 * percentile(TALLY.latencies, 0.95),
                "errors": dict(TALLY.errors),
                "decided": TALLY.decided,
                "wrong_outcomes": list(TALLY.wrong_outcomes),
                "p95_ms_by_turn": {turn: 1000 * percentile(values, 0.95) for turn, values in TALLY.by_turn.items()},
                **processes,
            }
            for name, (process, out) in profiles.items():
                process.wait()
                stage.setdefault("profile", {})[name] = summarize_profile(out)
            results.append(stage)
            print_stage(stage)
            if not passes(stage, args.target) and not args.all_stages:
                break
    finally:
        runner.quit()
    return results


def passes(stage: Dict[str, Any], target_seconds: float) -> bool:
    return stage["turns"] > 0 and not stage["errors"] and stage["p95_ms"] < 1000 * target_seconds


def print_stage(stage: Dict[str, Any]) -> None:
    errors = sum(stage["errors"].values())
    servers = "  ".join(
        f"{name} {stage['cpu_percent'][name]:.0f}% {stage['rss_mb'][name]:.0f} MB" for name in stage["cpu_percent"]
    )
    print(
        f"{stage['residents']:>9} {stage['turns_per_second']:>8.2f} {stage['p50_ms']:>7.0f} {stage['p95_ms']:>7.0f} "
        f"{errors:>6} {stage['decided']:>7}  {servers}  (machine {stage['machine_busy_percent']:.0f}% of "
        f"{100 * psutil.cpu_count()}%, others {stage['others_percent']:.0f}%)",
        flush=True,
    )
    slowest = sorted(stage["p95_ms_by_turn"].items(), key=lambda item: -item[1])[:3]
    print(f"{'':>9} slowest turns (p95): " + ", ".join(f"{turn} {ms:.0f} ms" for turn, ms in slowest), flush=True)
    if stage["errors"]:
        print(f"{'':>9} errors: {stage['errors']}", flush=True)
    if stage["wrong_outcomes"]:
        print(f"{'':>9} unexpected outcomes: {collections.Counter(stage['wrong_outcomes'])}", flush=True)
    for name, profile in (stage.get("profile") or {}).items():
        if not profile:
            print(f"{'':>9} py-spy {name}: no samples", flush=True)
            continue
        busy = 100 * profile["samples"] / (PROFILE_RATE * stage["window_seconds"])
        print(
            f"{'':>9} py-spy {name}: Python busy {busy:.0f}% of the window; inclusive: "
            + ", ".join(f"{p} {s}%" for p, s in profile["inclusive"]),
            flush=True,
        )
        print(f"{'':>9}   running: " + ", ".join(f"{p} {s}%" for p, s in profile["self"]), flush=True)
        print(f"{'':>9}   functions: " + ", ".join(f"{p} {s}%" for p, s in profile["functions"][:4]), flush=True)


def capacity(stages: List[Dict[str, Any]], target_seconds: float) -> Optional[Dict[str, Any]]:
    """The stage with the most residents that passed, every stage below it passing too."""
    best = None
    for stage in stages:
        if not passes(stage, target_seconds):
            break
        best = stage
    return best


# --- the shapes -----------------------------------------------------------------------


def start_shape(shape: str, log: Path) -> Tuple[subprocess.Popen, Dict[str, Any]]:
    kind, replicas, _ = SHAPES[shape]
    command = [str(PROJECT_PYTHON), str(STACK_HELPER), "--shape", kind, "--replicas", str(replicas)]
    helper = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log.open("ab"), text=True)
    line = ""
    with gevent.Timeout(STARTUP_SECONDS, False):
        line = helper.stdout.readline()
    ready = json.loads(line) if line.strip().startswith("{") else {"error": f"no answer within {STARTUP_SECONDS}s; see {log}"}
    if "error" in ready:
        stop_shape(helper)
        raise SystemExit(f"{shape}: could not start: {ready['error']}")
    return helper, ready


def stop_shape(helper: subprocess.Popen) -> None:
    if helper.stdin:
        helper.stdin.close()  # the helper stops the servers when its input closes
    try:
        helper.wait(90)
    except subprocess.TimeoutExpired:
        helper.kill()
        helper.wait()


def available_shapes() -> List[str]:
    return ["run"] + (["cluster1", "cluster2"] if (ROOT / "asbcr" / "cluster.py").exists() else [])


def report(results: Dict[str, List[Dict[str, Any]]], target_seconds: float, think: Sequence[float]) -> None:
    print(f"\nMost residents at once with p95 under {target_seconds:g} s and no errors (think time {think[0]:g}-{think[1]:g} s):")
    best = {shape: capacity(stages, target_seconds) for shape, stages in results.items()}
    for shape, stage in best.items():
        if stage is None:
            first = results[shape][0] if results[shape] else None
            why = (
                f"p95 {first['p95_ms']:.0f} ms, {sum(first['errors'].values())} errors at {first['residents']}"
                if first
                else "not run"
            )
            print(f"  {shape:<9} none ({why})")
        else:
            print(
                f"  {shape:<9} {stage['residents']} residents, {stage['turns_per_second']:.2f} turns/s, "
                f"p50 {stage['p50_ms']:.0f} ms, p95 {stage['p95_ms']:.0f} ms"
            )
    one = best.get("cluster1") or (None if "cluster1" in results else best.get("run"))
    two = best.get("cluster2")
    if "cluster2" in results:
        baseline = "cluster1" if "cluster1" in results else "run"
        if one and two:
            print(
                f"  two replicas / one ({baseline}): residents {two['residents'] / one['residents']:.2f}x, "
                f"turns/s {two['turns_per_second'] / one['turns_per_second']:.2f}x"
            )
        else:
            print(f"  two replicas / one ({baseline}): no ratio (a shape passed no stage)")
    for shape, stage in best.items():
        target = TARGET_RESIDENTS_PER_REPLICA * (SHAPES[shape][1] if shape in SHAPES else 1)
        if stage is None or stage["residents"] < target:
            print(
                f"  {shape}: the target ({TARGET_RESIDENTS_PER_REPLICA} residents per replica, {target} here) "
                f"is not shown on this machine"
            )


# --- smoke: a handful of conversations to their decisions ------------------------------


def smoke(url: str, talks: List[Dict[str, Any]], residents: int, think: Sequence[float], timeout: float) -> Dict[str, Any]:
    Resident.talks, Resident.think, Resident.conversations_each = talks, tuple(think), 1
    environment = Environment(user_classes=[Resident], host=url)
    runner = environment.create_local_runner()
    TALLY.reset()
    runner.start(residents, spawn_rate=residents)
    deadline = time.monotonic() + timeout
    while TALLY.decided + sum(TALLY.errors.values()) < residents and time.monotonic() < deadline:
        gevent.sleep(0.2)
    runner.quit()
    return {
        "residents": residents,
        "decided": TALLY.decided,
        "turns": len(TALLY.latencies),
        "errors": dict(TALLY.errors),
        "wrong_outcomes": TALLY.wrong_outcomes,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--shapes",
        default=",".join(available_shapes()),
        help=f"comma-separated, of {', '.join(SHAPES)} (default: every one this tree has)",
    )
    parser.add_argument(
        "--stages",
        default=",".join(map(str, DEFAULT_STAGES)),
        help="residents at once, stage by stage; stops after the first stage that fails",
    )
    parser.add_argument("--window", type=float, default=60, help="seconds measured per stage")
    parser.add_argument("--ramp", type=float, default=10, help="seconds over which a stage's new residents arrive")
    parser.add_argument(
        "--think", default=f"{THINK_SECONDS[0]:g},{THINK_SECONDS[1]:g}", help="seconds between a resident's messages, MIN,MAX"
    )
    parser.add_argument("--target", type=float, default=TARGET_P95_SECONDS, help="p95 turn latency that passes (s)")
    parser.add_argument("--all-stages", action="store_true", help="go on after a stage fails")
    parser.add_argument(
        "--profile-at",
        metavar="N|all",
        help="profile every server with py-spy during the stage of "
        "N residents (or every stage; py-spy costs a few percent of a core a process)",
    )
    parser.add_argument("--url", help="a relay already running: drive it instead of starting the shapes")
    parser.add_argument(
        "--conversations", type=Path, help="with --url: the conversations (bench/load_stack.py --conversations-only)"
    )
    parser.add_argument("--smoke", type=int, metavar="N", help="with --url: N residents, one conversation each; JSON out")
    parser.add_argument("--json", type=Path, help="write every figure here too")
    args = parser.parse_args()
    args.stages = [int(n) for n in args.stages.split(",")]
    args.think = [float(n) for n in args.think.split(",")]
    logging.getLogger("locust").setLevel(logging.WARNING)

    if args.url:
        if not args.conversations:
            parser.error("--url needs --conversations")
        talks = json.loads(args.conversations.read_text())
        if args.smoke:
            outcome = smoke(args.url, talks, args.smoke, args.think, timeout=120)
            print(json.dumps(outcome), flush=True)
            return 0 if outcome["decided"] == args.smoke and not outcome["errors"] else 1
        results = {"given": run_stages(args.url, talks, {}, args, f"the relay at {args.url}")}
    else:
        results = {}
        shapes = [s for s in args.shapes.split(",") if s]
        unknown = [s for s in shapes if s not in SHAPES]
        if unknown:
            parser.error(f"unknown shape(s): {', '.join(unknown)}")
        log = Path(tempfile.gettempdir()) / f"asbcr-load-{os.getpid()}.log"
        print(
            f"{time.strftime('%Y-%m-%d %H:%M')}, {psutil.cpu_count()} cores, "
            f"{psutil.virtual_memory().total / 2**30:.0f} GB; think time {args.think[0]:g}-{args.think[1]:g} s, "
            f"{args.window:g} s measured per stage; the servers' logs in {log}",
            flush=True,
        )
        for shape in shapes:
            helper, ready = start_shape(shape, log)
            try:
                results[shape] = run_stages(
                    ready["url"], ready["conversations"], ready["pids"], args, f"{shape}: {SHAPES[shape][2]}"
                )
            finally:
                stop_shape(helper)
    report(results, args.target, args.think)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    try:
        code = main()
    except SystemExit as leaving:  # argparse, or a shape that cannot start
        if isinstance(leaving.code, str):
            print(leaving.code, file=sys.stderr)
        code = leaving.code if isinstance(leaving.code, int) else 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # gevent's finalizers otherwise print noise about the logging lock at exit
