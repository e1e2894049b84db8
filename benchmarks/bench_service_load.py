"""Load test of ``emolens serve``: concurrent clients on loopback, with and without micro-batching.

Each of ``--clients`` (50) clients sends ``--requests`` (20) real single-face images (multipart
``POST /v1/analyze``): FER2013 PublicTest faces pasted into 320x240 JPEGs, keeping only faces the
detector finds so that each image has exactly one face. The server runs in a subprocess per
configuration (``--workers`` list x micro-batching off/on) and gets a warm-up round first; the clients
run in this process with httpx. Each ``--rate`` is one round: ``0`` sends back-to-back (each client
sends its next image when the last one is answered: the most the server does), a number paces the
clients together at that many images/s and measures latency from each request's scheduled time (so a
server that falls behind shows it). Printed per round: images/s, p50/p95/p99 latency, errors (by kind),
faces per image, the mean classifier batch and the clients' own CPU ms per request (they share the 2
cores with the server).

The ceiling: the same clients, back-to-back, against ``GET /healthz`` of the same server (a trivial
endpoint: what the framework, the clients and loopback allow on this machine); analyse throughput is
printed as a share of it. Each round (and the ceiling) runs ``--rounds`` times against the same server
and the median round (by images/s) is printed: single rounds on 2 shared cores vary by tens of percent.
Goal: >= 200 single-face images/s on 2 cores with p99 < 250 ms and no
errors, or >= 70 % of the ceiling when the ceiling is below that.

``--serve-option`` passes options on to every ``emolens serve`` (e.g. ``--serve-option=--threads=2`` to
compare with a setting other than the default).

    python benchmarks/bench_service_load.py [--clients 50] [--requests 20] [--workers 1 2] [--rate 0 200]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass

import cv2
import httpx
import numpy as np

from emolens import EmotionRecognizer
from emolens.cpu import describe_cpu
from emolens.labels import FER_CLASSES
from emolens.paths import default_data_path
from emolens.testing.media import compose_photo


@dataclass
class Run:
    batching: bool
    workers: int
    offered: float
    seconds: float
    latencies_ms: list[float]
    errors: Counter
    faces: int
    mean_batch: float | None
    client_cpu_ms: float

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.seconds

    @property
    def p99(self) -> float:
        return float(np.percentile(self.latencies_ms, 99)) if self.latencies_ms else float("nan")

    def row(self) -> str:
        p50, p95, p99 = np.percentile(self.latencies_ms, [50, 95, 99]) if self.latencies_ms else (0, 0, 0)
        batch = "-" if self.mean_batch is None else f"{self.mean_batch:.2f}"
        total = len(self.latencies_ms) + self.errors.total()
        return (
            f"| {'on' if self.batching else 'off'} | {self.workers} | {f'{self.offered:g}' if self.offered else 'max'} | {total} "
            f"| {self.errors.total()} | {self.rate:.1f} "
            f"| {p50:.1f} | {p95:.1f} | {p99:.1f} | {self.faces / max(1, len(self.latencies_ms)):.2f} | {batch} "
            f"| {self.client_cpu_ms:.2f} |"
        )


def single_face_images(size: tuple[int, int], count: int) -> list[bytes]:
    """JPEGs of one real FER face each (faces the detector misses are skipped)."""
    root = default_data_path()
    files = [f for name in FER_CLASSES for f in sorted((root / "test" / name).glob("PublicTest_*.jpg"))[:12]]
    rec = EmotionRecognizer(threads=2)
    images: list[bytes] = []
    for i, file in enumerate(files):
        face = cv2.imread(str(file), cv2.IMREAD_GRAYSCALE)
        photo, _ = compose_photo(face[None], size=size, face_px=min(size) * 5 // 8, seed=i)
        data = cv2.imencode(".jpg", photo, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()
        if len(rec.analyze(data).faces) == 1:
            images.append(data)
        if len(images) == count:
            break
    return images


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, batching: bool, workers: int, options: list[str]) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "emolens.cli", "serve", "--port", str(port), "--workers", str(workers),
        "--log-level", "warning", "--max-pending", "10000", "--batching" if batching else "--no-batching", *options,
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited: {process.stderr.read().decode()[-2000:] if process.stderr else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit("the server did not start in 120 s")


async def load(
    url: str, images: list[bytes], clients: int, requests: int, rate: float, trivial: bool = False
) -> tuple[float, list[float], Counter, int, float]:
    """One round; (seconds, latencies of successful requests in ms, errors by kind, faces found, the
    clients' CPU ms per request).

    Each round opens fresh connections, so none sits idle past the server's keep-alive timeout between
    rounds. With ``rate`` > 0, client ``k`` sends its ``i``-th image at ``(i * clients + k) / rate`` s.
    ``trivial`` sends ``GET /healthz`` instead of the images (the framework's ceiling)."""
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    faces = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def one_client(client: httpx.AsyncClient, k: int, start: float) -> None:
        nonlocal faces
        for i in range(requests):
            data = images[(k * requests + i) % len(images)]
            scheduled = start + (i * clients + k) / rate if rate else time.perf_counter()
            await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
            try:
                if trivial:
                    response = await client.get("/healthz")
                else:
                    response = await client.post("/v1/analyze", files={"file": ("face.jpg", data, "image/jpeg")})
            except httpx.HTTPError as exc:
                errors[f"{type(exc).__name__}: {exc}"] += 1
                continue
            if response.status_code != 200:
                errors[f"HTTP {response.status_code}: {response.text[:100]}"] += 1
                continue
            latencies.append(1000 * (time.perf_counter() - scheduled))
            faces += 0 if trivial else len(response.json()["faces"])

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:
        cpu = time.process_time()
        started = time.perf_counter()
        await asyncio.gather(*(one_client(client, k, started) for k in range(clients)))
        seconds = time.perf_counter() - started
        client_ms = 1000 * (time.process_time() - cpu) / max(1, clients * requests)
        return seconds, latencies, errors, faces, client_ms


def median_round(rounds: list[Run]) -> Run:
    """The round with the median images/s."""
    return sorted(rounds, key=lambda run: run.rate)[len(rounds) // 2]


def measure(images: list[bytes], batching: bool, workers: int, args: argparse.Namespace) -> tuple[list[Run], Run]:
    """Start a server, warm it up, run one round per rate against it, and one against ``/healthz``."""
    port = free_port()
    server = start_server(port, batching, workers, args.serve_option)
    url = f"http://127.0.0.1:{port}"
    try:
        asyncio.run(load(url, images, args.clients, 2, 0.0))

        def analyse_round(rate: float) -> Run:
            before = httpx.get(f"{url}/healthz").json()
            seconds, latencies, errors, faces, client_ms = asyncio.run(
                load(url, images, args.clients, args.requests, rate)
            )
            after = httpx.get(f"{url}/healthz").json()
            calls = after["classifier_calls"] - before["classifier_calls"]
            classified = after["faces_classified"] - before["faces_classified"]
            mean_batch = classified / calls if calls and workers == 1 else None
            return Run(batching, workers, rate, seconds, latencies, errors, faces, mean_batch, client_ms)

        def ceiling_round() -> Run:
            seconds, latencies, errors, _, client_ms = asyncio.run(
                load(url, images, args.clients, args.requests, 0.0, trivial=True)
            )
            return Run(batching, workers, 0.0, seconds, latencies, errors, 0, None, client_ms)

        runs = [median_round([analyse_round(rate) for _ in range(args.rounds)]) for rate in args.rate]
        ceiling = median_round([ceiling_round() for _ in range(args.rounds)])
    finally:
        server.terminate()
        server.wait(30)
    return runs, ceiling


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20, help="Images each client sends per round.")
    parser.add_argument("--rounds", type=int, default=3, help="Rounds per setting; the median one is printed.")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="Server processes to try.")
    parser.add_argument("--rate", type=float, nargs="+", default=[0, 200], help="Offered images/s (0: back-to-back).")
    parser.add_argument("--size", default="320x240", help="Image size WxH.")
    parser.add_argument("--serve-option", action="append", default=[], help="An option for emolens serve (repeat).")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    images = single_face_images(size, 60)  # type: ignore[arg-type]
    print(
        f"# emolens serve under load: {args.clients} clients x {args.requests} single-face {args.size} JPEGs "
        f"({len(images)} distinct), median of {args.rounds} rounds, loopback, {describe_cpu()}, serve options: {' '.join(args.serve_option) or 'defaults'}"
    )
    print(
        "| batching | workers | offered/s | requests | errors | images/s | p50 ms | p95 ms | p99 ms | faces/image "
        "| mean batch | client CPU ms/request |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    runs: dict[tuple[int, bool, float], Run] = {}
    ceilings: dict[tuple[int, bool], Run] = {}
    for workers in args.workers:
        for batching in (False, True):
            measured, ceilings[workers, batching] = measure(images, batching, workers, args)
            for run in measured:
                runs[workers, batching, run.offered] = run
                print(run.row(), flush=True)
                for kind, count in run.errors.items():
                    print(f"  error x{count}: {kind}")
    print("\n# the ceiling: the same clients back-to-back on GET /healthz of the same server")
    print(
        "| batching | workers | requests/s | p99 ms | client CPU ms/request | analyse images/s (max) | share of ceiling |"
    )
    print("|---|---|---|---|---|---|---|")
    for (workers, batching), ceiling in ceilings.items():
        best = runs.get((workers, batching, 0.0))
        share = f"{best.rate:.1f} | {100 * best.rate / ceiling.rate:.0f} %" if best else "- | -"
        print(
            f"| {'on' if batching else 'off'} | {workers} | {ceiling.rate:.0f} | {ceiling.p99:.1f} "
            f"| {ceiling.client_cpu_ms:.2f} | {share} |"
        )
    for workers in args.workers:
        for rate in args.rate:
            off, on = runs[workers, False, rate], runs[workers, True, rate]
            print(
                f"micro-batching with {workers} worker(s), offered {f'{rate:g}/s' if rate else 'max'}: {on.rate / off.rate:.2f}x images/s, "
                f"p99 {on.p99:.0f} ms vs {off.p99:.0f} ms"
            )
    for rate in args.rate:
        best = max((r for r in runs.values() if r.offered == rate), key=lambda r: (r.errors.total() == 0, r.rate))
        print(
            f"offered {f'{rate:g}/s' if rate else 'max'}: best {best.rate:.1f} images/s (batching {'on' if best.batching else 'off'}, "
            f"{best.workers} worker(s)), p99 {best.p99:.0f} ms, errors {best.errors.total()}"
        )
    print("goal: >= 200 images/s with p99 < 250 ms and no errors, on 2 cores, or >= 70 % of the ceiling")


if __name__ == "__main__":
    main()
