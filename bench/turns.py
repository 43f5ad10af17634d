"""Turn latency of whole conversations through the REST channel, with 1 and with 20
concurrent residents, against Rasa's own `rasa init` example bot served the same way in
the same run; plus our model's training time and the Rasa server's peak memory.

Targets (issue 3): median turn within 1.3x the example bot's, p95 under 150 ms with one
resident, server memory under 1 GB. Printed as figures and ratios; nothing is asserted.

    .venv/bin/python bench/turns.py [--conversations 10] [--skip-training]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Dict, List, Sequence

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from asbcr.stack import Stack, free_port  # noqa: E402

RASA = Path(sys.executable).parent / "rasa"
OUR_CONVERSATION = [
    "hiya the lads next door r causing me grief, loud music every weekend. reported it to the police 3 times",
    "no",
    "yes its still going on",
    "3 oct, 20/10 and 1st nov",
    "yeah same lads",
    "no just me",
    "why?",
    "what have I told you",
]
EXAMPLE_CONVERSATION = ["hello", "I am sad", "yes", "great", "bye", "hi", "I'm happy", "bye"]


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def talk(url: str, script: List[str], latencies: List[float], lock: threading.Lock) -> None:
    sender = uuid.uuid4().hex
    session = requests.Session()
    for text in script:
        start = time.perf_counter()
        session.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=120).raise_for_status()
        with lock:
            latencies.append((time.perf_counter() - start) * 1000)


def measure(url: str, script: List[str], residents: int, conversations: int) -> List[float]:
    latencies: List[float] = []
    lock = threading.Lock()
    talk(url, script, [], lock)  # warm-up, not counted
    remaining = conversations

    def worker() -> None:
        nonlocal remaining
        while True:
            with lock:
                if remaining <= 0:
                    return
                remaining -= 1
            talk(url, script, latencies, lock)

    threads = [threading.Thread(target=worker) for _ in range(residents)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def peak_memory_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of a process and its children."""
    total = 0.0
    pids = [pid] + [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()]
    for one in pids:
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


def example_bot(workdir: Path) -> Path:
    subprocess.run([str(RASA), "init", "--no-prompt", "--init-dir", str(workdir)], check=True, capture_output=True, cwd=workdir)
    models = sorted((workdir / "models").glob("*.tar.gz"))
    return models[-1]


def serve_example(workdir: Path, model: Path, port: int) -> subprocess.Popen:
    # Served the same way as ours: the same SQL (SQLite) tracker store, so only the bots differ.
    (workdir / "endpoints.yml").write_text(
        f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {workdir / 'tracker.db'}\n"
        f"action_endpoint:\n  url: http://127.0.0.1:{free_port()}/webhook\n"
    )
    process = subprocess.Popen(
        [str(RASA), "run", "--model", str(model), "--port", str(port), "--endpoints", str(workdir / "endpoints.yml")],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/webhooks/rest/", timeout=2).ok:
                return process
        except requests.RequestException:
            time.sleep(0.5)
    process.kill()
    raise SystemExit("the example bot did not start")


def report(name: str, ours: List[float], theirs: List[float]) -> None:
    our_p50, their_p50 = statistics.median(ours), statistics.median(theirs)
    print(
        f"{name:<22} ours p50 {our_p50:7.1f} ms  p95 {percentile(ours, 0.95):7.1f} ms | "
        f"example p50 {their_p50:7.1f} ms  p95 {percentile(theirs, 0.95):7.1f} ms | "
        f"ratio p50 {our_p50 / their_p50:4.2f}x  p95 {percentile(ours, 0.95) / percentile(theirs, 0.95):4.2f}x  (n={len(ours)})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=10)
    parser.add_argument("--skip-training", action="store_true", help="don't time a fresh training of our model")
    args = parser.parse_args()

    results: Dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        if not args.skip_training:
            start = time.perf_counter()
            # A cold training: an empty cache, as on a fresh clone.
            subprocess.run(
                [
                    str(RASA),
                    "train",
                    "--config",
                    "config.yml",
                    "--domain",
                    "bot/domain.yml",
                    "--data",
                    "bot/data",
                    "--out",
                    str(tmp_path / "models"),
                    "--quiet",
                ],
                cwd=ROOT,
                check=True,
                capture_output=True,
                env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "RASA_CACHE_DIRECTORY": str(tmp_path / "cache")},
            )
            results["training_s"] = time.perf_counter() - start

        example_dir = tmp_path / "example"
        example_dir.mkdir()
        example_model = example_bot(example_dir)
        example_port = free_port()
        example = serve_example(example_dir, example_model, example_port)
        var = tmp_path / "var"
        env = {**os.environ, "ASBCR_TODAY": "2026-11-25", "ASBCR_DATABASE_URL": f"sqlite:///{var / 'applications.db'}"}
        try:
            with Stack(var=var, env=env, rasa_port=free_port(), actions_port=free_port(), with_web=False) as stack:
                example_url = f"http://127.0.0.1:{example_port}"
                print(f"Turn latency, {args.conversations} conversations of {len(OUR_CONVERSATION)} turns each\n")
                for residents in (1, 20):
                    ours = measure(
                        stack.rasa_url,
                        OUR_CONVERSATION,
                        residents,
                        args.conversations if residents == 1 else max(args.conversations, 20),
                    )
                    theirs = measure(
                        example_url,
                        EXAMPLE_CONVERSATION,
                        residents,
                        args.conversations if residents == 1 else max(args.conversations, 20),
                    )
                    report(f"{residents} resident(s)", ours, theirs)
                rasa_memory = peak_memory_mb(stack.processes["rasa"].pid)
                actions_memory = peak_memory_mb(stack.processes["actions"].pid)
            example_memory = peak_memory_mb(example.pid)
        finally:
            example.terminate()
            example.wait(30)
        shutil.rmtree(tmp_path / "models", ignore_errors=True)

    print()
    if "training_s" in results:
        print(f"training time (rasa train, cold cache, 2 cores): {results['training_s']:.1f} s")
    print(
        f"peak memory: Rasa server {rasa_memory:.0f} MB (example bot {example_memory:.0f} MB, "
        f"ratio {rasa_memory / example_memory:.2f}x); action server {actions_memory:.0f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
