#!/usr/bin/env python3
"""The service under load, faults and bad input, on loopback; every part stops by itself.

    make reliability     # or: .venv-peers/bin/python Benchmarks/reliability/run.py [--duration 60]

1. load: context and search under 32 and 128 connections (wrk), throughput, p50/p99, errors;
2. database restart during load: what each route answers while PostgreSQL is down, and how
   long after it is back until every route answers again;
3. kill -9 of `onering cohorts rebuild` and of `onering import` at several moments: the
   active run, the run count and the imported rows must be exactly as before;
4. schemathesis against /openapi.json, with an admin token and without: no 5xx, every
   response as documented;
5. leaks: generations whose client disconnects mid-stream and generations against a
   provider that never answers; open files, threads, provider connections and PostgreSQL
   backends counted before and after;
6. the bad-input table: each malformed request, its status and error code, and the row
   counts unchanged;
7. other creators: what one creator's outlier date, poisoned search vector, stalled
   connections, abandoned generations and unauthenticated floods do to another creator.
Writes bench-out/reliability/report.md. Needs wrk and the embedded server's binaries.
"""
import argparse
import atexit
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
ONERING = str(ROOT / ".build/release/onering")
PSQL_DSN = "host=/tmp port=54329 user=onering dbname=onering"
LOAD_SCHEMA, SCRATCH = "onering_bench_engine", "onering_reliability"
PORT = 18090
report = []
failures = []


def say(text=""):
    print(text, flush=True)
    report.append(text)


def check(condition, what):
    if not condition:
        failures.append(what)
    return condition


def onering(*arguments, check_exit=True):
    process = subprocess.run([ONERING, *map(str, arguments)], capture_output=True, text=True)
    if check_exit and process.returncode != 0:
        sys.exit(f"onering {' '.join(map(str, arguments))} failed: {process.stderr}")
    return process.stdout


def sql(query, schema=SCRATCH):
    """One value, as text, from the embedded server."""
    with psycopg.connect(PSQL_DSN, autocommit=True) as connection:
        connection.execute(f"SET search_path TO {schema}")
        row = connection.execute(query).fetchone()
    return "" if row is None or row[0] is None else str(row[0])


class Service:
    """`onering serve` on loopback, ready when /readyz says so."""

    def __init__(self, schema, *extra, environment=None):
        if request("GET", "/healthz")[0] != 0:
            sys.exit(f"something already listens on 127.0.0.1:{PORT}: stop it first")
        self.log = open(ROOT / "bench-out/reliability/serve.log", "a")
        self.process = subprocess.Popen(
            [ONERING, "serve", "--schema", schema, "--port", str(PORT), "--no-jobs", "--generation-limit", "1000000",
             "--concurrent-generations", "200", "--max-generations", "400", *extra],
            stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, **(environment or {})})
        atexit.register(self.process.kill)
        deadline = time.time() + 120
        while time.time() < deadline and self.process.poll() is None:
            if request("GET", "/readyz")[0] == 200:
                return
            time.sleep(0.2)
        sys.exit("the service did not become ready (bench-out/reliability/serve.log)")

    def stop(self):
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def counts(self):
        pid = self.process.pid
        threads = int(re.search(r"Threads:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1))
        return dict(files=len(os.listdir(f"/proc/{pid}/fd")), threads=threads,
                    backends=int(sql("SELECT count(*) FROM pg_stat_activity WHERE datname = 'onering' AND pid <> pg_backend_pid()")))


def request(method, path, body=None, token=None, headers=None, timeout=10):
    """(status, parsed JSON or text) from the service; (0, error) when it does not answer."""
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=timeout)
    all_headers = dict(headers or {})
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
        all_headers.setdefault("Content-Type", "application/json")
    try:
        connection.request(method, path, body=body, headers=all_headers)
        response = connection.getresponse()
        data = response.read()
        try:
            return response.status, json.loads(data)
        except ValueError:
            return response.status, data.decode(errors="replace")
    except OSError as error:
        return 0, str(error)
    finally:
        connection.close()


def error_code(payload):
    return payload.get("error", {}).get("code") if isinstance(payload, dict) else None


# MARK: 1. load

def wrk(script, connections, duration, environment):
    output = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "--latency",
                             "-s", str(ROOT / script), f"http://127.0.0.1:{PORT}"],
                            capture_output=True, text=True, env={**os.environ, **environment}).stdout
    rate = float(re.search(r"Requests/sec:\s+([0-9.]+)", output).group(1))
    p50 = re.search(r"\s50%\s+(\S+)", output).group(1)
    p99 = re.search(r"\s99%\s+(\S+)", output).group(1)
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    return rate, p50, p99, errors


def load(token, duration):
    say("## 1. Load (100,000 creators, auth on, wrk 2 threads)")
    say("")
    say("| load | connections | req/s | p50 | p99 | errors |")
    say("| --- | --- | --- | --- | --- | --- |")
    service = Service(LOAD_SCHEMA)
    for name, script, extra in (("context, exact", "Benchmarks/service/context.lua", {}),
                                ("context, partitioned nprobe 3", "Benchmarks/service/context.lua", {"CONTEXT_QUERY": "k=10&nprobe=3"}),
                                ("search by vector, exact", "Benchmarks/service/search.lua", {})):
        for connections in (32, 128):
            rate, p50, p99, errors = wrk(script, connections, duration, {"TOKEN": token, **extra})
            check(errors == 0, f"load {name} at {connections} connections: {errors} errors")
            say(f"| {name} | {connections} | {rate:.1f} | {p50} | {p99} | {errors} |")
    service.stop()
    say("")


# MARK: 2. database restart

def restart(token):
    say("## 2. PostgreSQL restarted under load")
    say("")
    service = Service(LOAD_SCHEMA)
    routes = {
        "GET /v1/users/1/context": ("GET", "/v1/users/1/context", None),
        "GET /v1/cohorts": ("GET", "/v1/cohorts", None),
        "PUT /v1/users/1/profile": ("PUT", "/v1/users/1/profile", {
            "handle": sql("SELECT handle FROM users WHERE id = 1", LOAD_SCHEMA),
            "name": sql("SELECT display_name FROM users WHERE id = 1", LOAD_SCHEMA)}),
        "POST /v1/search (vector)": ("POST", "/v1/search", {"vector": [1.0] * 1536, "k": 10, "mode": "exact"}),
        "GET /readyz": ("GET", "/readyz", None),
    }
    samples, stop = [], threading.Event()

    def sample():
        while not stop.is_set():
            for name, (method, path, body) in routes.items():
                sent = time.time()
                status, payload = request(method, path, body, token=token, timeout=5)
                samples.append((sent, name, status, error_code(payload)))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample)
    load_thread = threading.Thread(target=wrk, args=("Benchmarks/service/search.lua", 32, 30, {"TOKEN": token}))
    sampler.start()
    load_thread.start()
    time.sleep(5)
    stopping_at = time.time()
    onering("db", "stop")
    down_at = time.time()  # pg_ctl stop -w has returned: the server is down
    time.sleep(8)
    onering("db", "start")
    up_at = time.time()
    time.sleep(15)
    stop.set()
    sampler.join()
    load_thread.join()
    service.stop()
    say(f"PostgreSQL was stopped 5 s into a 30 s search load (32 connections; the stop took "
        f"{down_at - stopping_at:.1f} s) and was back {up_at - down_at:.1f} s after it was down; every route was "
        "sampled every 100 ms (a sample's time is when its request was sent). \"While down\" is from the stop's end "
        "to the start's end.")
    say("")
    say("| route | while down: statuses (error codes) | back after the server was | answers after recovery |")
    say("| --- | --- | --- | --- |")
    for name in routes:
        down = [(s, c) for t, n, s, c in samples if n == name and down_at < t < up_at]
        after = [(t, s) for t, n, s, c in samples if n == name and t >= up_at]
        statuses = sorted({f"{s} ({c})" if c else f"{s}" for s, c in down})
        # Recovered: from this sample on, every answer is a success.
        recovered = next((t for i, (t, s) in enumerate(after) if all(200 <= s2 < 300 for _, s2 in after[i:])), None)
        recovery = f"{recovered - up_at:.1f} s" if recovered else "never"
        say(f"| {name} | {', '.join(statuses) or '—'} | {recovery} | {sum(200 <= s < 300 for _, s in after)}/{len(after)} |")
        check(recovered is not None and recovered - up_at <= 5, f"restart: {name} did not recover within 5 s")
        if name.startswith("POST /v1/search"):
            check(all(s == 200 for s, _ in down), "restart: in-memory search failed while the database was down")
        elif name != "GET /readyz":
            check(all(s == 200 or (s == 503 and c) for s, c in down), f"restart: {name} answered something else than 200 or a JSON 503 while down")
    say("")


# MARK: 3. kill -9

def killed(command, delay):
    process = subprocess.Popen([ONERING, *map(str, command)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    finished = process.poll() is not None
    process.kill()
    process.wait()
    return finished


def cohort_state():
    return (sql("SELECT coalesce(max(id) FILTER (WHERE active), 0) FROM cohort_runs"), sql("SELECT count(*) FROM cohort_runs"),
            sql("SELECT count(*) FROM cohorts"), sql("SELECT count(*) FROM cohort_members"))


def store_state():
    return (sql("SELECT count(*) FROM users"), sql("SELECT count(*) FROM posts"),
            sql("SELECT coalesce(sum(hashtext(id::text || handle || display_name || bio)::numeric), 0) FROM users"),
            sql("SELECT coalesce(sum(hashtext(id::text || user_id::text || content || views::text)::numeric), 0) FROM posts"))


def kill_nine(generated):
    say("## 3. kill -9 during a cohort rebuild and during an import")
    say("")
    started = time.time()
    onering("cohorts", "rebuild", "--schema", SCRATCH, "-k", 16)
    rebuild_seconds = time.time() - started
    say("| command | killed after | finished first | state before = state after |")
    say("| --- | --- | --- | --- |")
    kills("cohorts rebuild -k 16", ["cohorts", "rebuild", "--schema", SCRATCH, "-k", 16, "--no-warm-start", "--seed", 99],
          rebuild_seconds, cohort_state, "active run, runs, cohorts, members")
    started = time.time()
    arguments = ["import", "--schema", SCRATCH, "--users", generated / "users.jsonl", "--posts", generated / "posts.jsonl"]
    baseline = store_state()
    onering(*arguments)
    import_seconds = time.time() - started
    check(store_state() != baseline, "the reference import changed nothing, so the kills below prove nothing")
    # The sample creators again before each kill, so that the killed import would change them.
    sample = ["import", "--schema", SCRATCH, "--users", ROOT / "data/users.jsonl", "--posts", ROOT / "data/posts.jsonl"]
    kills("import of 20,000 creators", arguments, import_seconds, store_state, "users, posts, checksums",
          prepare=lambda: onering(*sample))
    say("")


def kills(label, command, seconds, state, what, prepare=None):
    """kill -9 of `command` at several moments of its `seconds`; the state must not move."""
    for fraction in (0.2, 0.5, 0.8, 0.95):
        if prepare:
            prepare()
        before = state()
        finished = killed(command, seconds * fraction)
        after = state()
        if not finished:
            check(before == after, f"kill -9 of {label} at {fraction:.0%}: {before} became {after}")
        say(f"| {label} (full run {seconds:.1f} s) | {seconds * fraction:.1f} s | {'yes' if finished else 'no'} | "
            f"{'yes' if before == after else 'no'}: {what} {after} |")


# MARK: 4. fuzzing

def fuzz(token, examples):
    say("## 4. schemathesis against /openapi.json")
    say("")
    service = Service(SCRATCH)
    binary = Path(sys.executable).with_name("schemathesis")
    for label, headers in (("admin token", ["-H", f"Authorization: Bearer {token}"]), ("no token", [])):
        process = subprocess.run([str(binary), "run", f"http://127.0.0.1:{PORT}/openapi.json", *headers,
                                  "-c", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
                                  "-n", str(examples), "--workers", "2", "--request-timeout", "20",
                                  "--generation-deterministic"],
                                 capture_output=True, text=True)
        summary = [line for line in process.stdout.splitlines() if re.search(r"(passed|failed|error|Test cases|API Operations|checks)", line, re.I)]
        say(f"- {label}: exit {process.returncode}; " + " / ".join(line.strip() for line in summary[-6:]))
        (ROOT / f"bench-out/reliability/schemathesis-{label.replace(' ', '-')}.txt").write_text(process.stdout + process.stderr)
        check(process.returncode == 0, f"schemathesis with {label} found failures (bench-out/reliability)")
    service.stop()
    say("")


# MARK: 5. leaks

class Provider(BaseHTTPRequestHandler):
    """An OpenAI-compatible chat endpoint: streams slowly, or never answers."""
    hang = False
    open_connections = 0
    lock = threading.Lock()

    def do_POST(self):
        with Provider.lock:
            Provider.open_connections += 1
        try:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if Provider.hang:
                while True:
                    time.sleep(0.05)
                    self.connection.settimeout(0.01)
                    try:
                        if self.connection.recv(1, socket.MSG_PEEK) == b"":
                            return
                    except (TimeoutError, BlockingIOError, socket.timeout):
                        pass
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for index in range(40):
                chunk = {"choices": [{"delta": {"content": f" word{index}"}, "index": 0}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
                time.sleep(0.05)
            self.wfile.write(b"data: [DONE]\n\n")
        except OSError:
            pass
        finally:
            with Provider.lock:
                Provider.open_connections -= 1

    def log_message(self, *arguments):
        pass


def generation(token, read_bytes, timeout):
    """Starts a generation, reads `read_bytes` of the stream, then hangs up."""
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=timeout)
    try:
        connection.request("POST", "/v1/generate/content", body=json.dumps({"user_id": 1, "platform": "x", "brief": "recovery weeks"}),
                           headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        response = connection.getresponse()
        response.read(read_bytes) if read_bytes else response.read()
    except OSError:
        pass
    finally:
        connection.close()


def leaks(token):
    say("## 5. Leaks: clients that hang up, a provider that never answers")
    say("")
    provider = ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    threading.Thread(target=provider.serve_forever, daemon=True).start()
    service = Service(SCRATCH, "--llm", "openai", environment={
        "OPENAI_BASE_URL": f"http://127.0.0.1:{provider.server_address[1]}", "OPENAI_API_KEY": "test"})
    for _ in range(3):
        generation(token, None, 30)

    def abuse():
        Provider.hang = False
        for _ in range(30):
            generation(token, 200, 10)
        Provider.hang = True
        for _ in range(10):
            generation(token, 1, 1.0)
        # The service notices a client that left a silent stream at its next keep-alive (every 5 s).
        time.sleep(12)

    def settled():
        """Waits (30 s at most) until no generation trace has been written for 3 s: every
        generation of the round has ended and been traced."""
        deadline, last, quiet_since = time.time() + 30, None, time.time()
        while time.time() < deadline:
            count = sql("SELECT count(*) FROM generation_traces")
            if count != last:
                last, quiet_since = count, time.time()
            elif time.time() - quiet_since >= 3:
                break
            time.sleep(0.5)

    # One round first, so the database pool reaches its working size; then the counted round.
    abuse()
    settled()
    before = service.counts()
    traces_before = sql("SELECT count(*) FILTER (WHERE status = 'cancelled') FROM generation_traces")
    abuse()
    settled()
    after = service.counts()
    traces_after = sql("SELECT count(*) FILTER (WHERE status = 'cancelled') FROM generation_traces")
    service.stop()
    provider.shutdown()
    say("A round: 30 generations read 200 bytes of their stream and hang up (the provider streams 40 tokens, 50 ms "
        "apart), then 10 hang up after 1 s waiting on a provider that accepts and never answers. Counted 12 s after "
        "a first round (the pool at its working size) and 12 s after a second:")
    say("")
    say("| count | before | after |")
    say("| --- | --- | --- |")
    for key in before:
        say(f"| {key} | {before[key]} | {after[key]} |")
    say(f"| provider connections still open | — | {Provider.open_connections} |")
    say(f"| generation traces `cancelled` | {traces_before} | {traces_after} |")
    say("")
    check(after["files"] <= before["files"] + 2, f"leaks: open files {before['files']} → {after['files']}")
    # The service's pool holds at most 8 connections (serve's store setting); more would be a leak.
    check(after["backends"] <= max(before["backends"], 8), f"leaks: PostgreSQL backends {before['backends']} → {after['backends']}")
    check(Provider.open_connections == 0, f"leaks: {Provider.open_connections} provider connections still open")
    check(int(traces_after) - int(traces_before) == 40, f"leaks: {int(traces_after) - int(traces_before)} of 40 generations traced as cancelled")


# MARK: 6. bad input

BAD_INPUTS = [
    ("GET", "/v1/users/1/context", None, "no token", False),
    ("GET", "/v1/users/1/context", None, "garbage token", "garbage"),
    ("GET", "/v1/users/abc/context", None, "user id not a number", True),
    ("GET", "/v1/users/99999999/context", None, "unknown user", True),
    ("GET", "/v1/users/1/context?k=0", None, "k = 0", True),
    ("GET", "/v1/users/1/context?k=100000", None, "k too large", True),
    ("GET", "/v1/users/1/context?budget=-5", None, "negative budget", True),
    ("GET", "/v1/users/1/context?nprobe=0", None, "nprobe = 0", True),
    ("POST", "/v1/search", "{", "truncated JSON", True),
    ("POST", "/v1/search", {}, "no user, text or vector", True),
    ("POST", "/v1/search", {"user_id": 1, "text": "a"}, "two query kinds", True),
    ("POST", "/v1/search", {"vector": [1, 2, 3]}, "vector of the wrong width", True),
    ("POST", "/v1/search", {"vector": [0.0] * 1536}, "zero vector", True),
    ("POST", "/v1/search", {"user_id": 1, "k": 1001}, "k over 1000", True),
    ("POST", "/v1/search", {"user_id": 1, "mode": "fast"}, "unknown mode", True),
    ("POST", "/v1/search", {"user_id": 1, "cohort": -1}, "negative cohort", True),
    ("POST", "/v1/search", {"user_id": "one"}, "user id a string", True),
    ("POST", "/v1/search", "x" * ((1 << 20) + 100), "body over 1 MiB", True),
    ("PUT", "/v1/users/1/profile", {"handle": "", "name": "A"}, "empty handle", True),
    ("PUT", "/v1/users/1/profile", {"name": "A"}, "no handle", True),
    ("PUT", "/v1/users/2/profile", {"handle": "HANDLE_OF_1", "name": "Taken"}, "handle of another user", True),
    ("POST", "/v1/users/1/posts", {"posts": []}, "no posts", True),
    ("POST", "/v1/users/1/posts", {"posts": [{"id": 1, "text": "x", "platform": "p" * 33, "published_at": "2026-01-01T00:00:00Z"}]}, "platform over 32 characters", True),
    ("POST", "/v1/users/1/posts", {"posts": [{"id": 2, "text": "x", "platform": "x", "published_at": "yesterday"}]}, "bad date", True),
    ("POST", "/v1/users/1/posts", {"posts": [{"id": 3, "text": "x", "platform": "x", "published_at": "2026-01-01T00:00:00Z", "views": -1}]}, "negative views", True),
    ("POST", "/v1/cohorts/rebuild", {"k": 0}, "k = 0", True),
    ("POST", "/v1/cohorts/rebuild", {"k": "many"}, "k not a number or auto", True),
    ("GET", "/v1/cohorts/999999", None, "unknown cohort", True),
    ("GET", "/v1/jobs/abc", None, "job id not a number", True),
    ("POST", "/v1/generate/content", {"user_id": 1, "platform": "fax"}, "unknown platform", True),
    ("POST", "/v1/generate/content", {"user_id": 2, "platform": "x"}, "another creator's generation (user token)", "user"),
    ("GET", "/v1/traces", None, "traces without the admin role", "user"),
]


def bad_input(admin, user):
    say("## 6. Bad input")
    say("")
    service = Service(SCRATCH)
    before = store_state() + cohort_state()
    say("| request | case | status | error code |")
    say("| --- | --- | --- | --- |")
    for method, path, body, case, token in BAD_INPUTS:
        chosen = {True: admin, False: None, "user": user}.get(token, token)
        if isinstance(body, dict) and body.get("handle") == "HANDLE_OF_1":
            body = {**body, "handle": sql("SELECT handle FROM users WHERE id = 1")}
        status, payload = request(method, path, body, token=chosen)
        code = error_code(payload)
        check(400 <= status < 500 and code, f"bad input {case}: {status} {payload}")
        say(f"| `{method} {path[:48]}` | {case} | {status} | {code or payload} |")
    after = store_state() + cohort_state()
    service.stop()
    say("")
    say(f"Rows before and after (users, posts, their checksums; cohort runs, cohorts, members): "
        f"{'unchanged' if before == after else f'CHANGED {before} → {after}'}.")
    check(before == after, "bad input changed the store")
    say("")


# MARK: 7. other creators

def timed_context(token, user, count):
    """Median and p99 seconds of `count` contexts of `user`, one after another."""
    seconds = []
    for _ in range(count):
        started = time.time()
        status, _ = request("GET", f"/v1/users/{user}/context", token=token)
        seconds.append(time.time() - started)
        check(status == 200, f"other creators: a context of creator {user} answered {status}")
    seconds.sort()
    return seconds[len(seconds) // 2], seconds[int(len(seconds) * 0.99) - 1]


def for_seconds(duration, threads, body):
    """Runs `body()` in `threads` threads for `duration` seconds; returns each result."""
    results, lock, stop = [], threading.Lock(), time.time() + duration

    def loop():
        while time.time() < stop:
            outcome = body()
            with lock:
                results.append(outcome)
    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results


def metric(name, labels):
    _, text = request("GET", "/metrics")
    total = 0.0
    for line in str(text).splitlines():
        if line.startswith(name + "{") and all(f'{key}="{value}"' in line for key, value in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def other_creators(admin):
    say("## 7. What one creator does to the others")
    say("")
    attacker, victim = 8, 1
    attacker_token = onering("token", attacker, "--lifetime", 7200).strip()
    victim_token = onering("token", victim, "--lifetime", 7200).strip()
    # Jobs queued by earlier parts (schemathesis queues rebuilds) run first: one rebuild at a time.
    onering("jobs", "run", "--schema", SCRATCH)
    service = Service(SCRATCH)

    # 1. Dates: far-future and pre-2000 dates are refused; the latest allowed (now) moves nobody's clock.
    codes = [request("POST", f"/v1/users/{attacker}/posts", {"posts": [{"id": 9_900_000 + index, "text": "from another time", "platform": "x",
                                                                      "published_at": date}]}, token=attacker_token)[0]
             for index, date in enumerate(["9999-01-01T00:00:00Z", "0001-01-01T00:00:00Z"])]

    def rebuild():
        nonlocal service
        status, job = request("POST", "/v1/cohorts/rebuild", {"k": 16}, token=admin)
        check(status == 202, f"other creators: the rebuild answered {status} {job}")
        service.stop()
        onering("jobs", "run", "--schema", SCRATCH)
        service = Service(SCRATCH)
    # A baseline run first, so both contexts are measured against runs of this build.
    rebuild()
    _, before = request("GET", f"/v1/users/{victim}/context?k=40&exemplars=20", token=victim_token)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    accepted = request("POST", f"/v1/users/{attacker}/posts", {"posts": [{"id": 9_900_010, "text": "posted now #marathon", "hashtags": ["marathon"],
                                                                        "platform": "x", "published_at": now, "views": 10, "likes": 9}]},
                       token=attacker_token)[0]
    rebuild()
    _, after = request("GET", f"/v1/users/{victim}/context?k=40&exemplars=20", token=victim_token)

    def recency(context):
        return {e["postID"]: e["breakdown"]["recency"] for e in context.get("exemplars", []) if e["postID"] != 9_900_010}
    moved = sum(1 for post, value in recency(after).items() if post in recency(before) and abs(value - recency(before)[post]) > 1e-9)
    say(f"- 1, outlier dates: 9999-01-01 and 0001-01-01 answered {codes}; a post dated now answered {accepted}. After a rebuild, "
        f"creator {victim}'s asOf {before.get('asOf')} → {after.get('asOf')}, {len(after.get('exemplars', []))} exemplars, "
        f"{len(after.get('trendingTopics', []))} trending topics, {moved} exemplars with another recency.")
    check(codes == [400, 400] and accepted == 201, f"other creators: dates answered {codes}, {accepted}")
    check(before.get("asOf") == after.get("asOf") and moved == 0 and after.get("exemplars"), "other creators: an outlier date moved another creator's context")

    # 3. A vector whose float32 norm overflows, sent by 4 threads while 8 threads of another creator search.
    poison = [3e38, 3e38] + [0.0] * 1534
    zero = [0.0] * 1536

    def poisoner():
        return request("POST", "/v1/search", {"vector": poison if random_bit() else zero, "k": 10}, token=attacker_token)[0]

    def searcher():
        return request("POST", "/v1/search", {"user_id": victim, "k": 10}, token=victim_token)[0]
    results = {}
    threads = [threading.Thread(target=lambda: results.__setitem__("poison", for_seconds(8, 4, poisoner))),
               threading.Thread(target=lambda: results.__setitem__("victim", for_seconds(8, 8, searcher)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    failed = sum(1 for status in results["victim"] if status != 200)
    say(f"- 3, poisoned vectors: the attacker's {len(results['poison'])} searches answered "
        f"{sorted(set(results['poison']))} (3e38 components: 200, normalised in double precision; zero vectors: 400); "
        f"creator {victim}'s {len(results['victim'])} searches meanwhile: {failed} failed.")
    check(failed == 0 and set(results["poison"]) <= {200, 400}, "other creators: a poisoned vector failed another creator's searches")

    # 5. A flood of ~1 MB bodies without a token against another creator's contexts.
    quiet = timed_context(victim_token, victim, 60)
    body = '{"text": "' + "x" * ((1 << 20) - 100) + '"}'

    def flood():
        return request("POST", "/v1/search", body)[0]
    flooding = threading.Thread(target=lambda: results.__setitem__("flood", for_seconds(10, 6, flood)))
    flooding.start()
    time.sleep(0.5)
    busy = timed_context(victim_token, victim, 60)
    flooding.join()
    say(f"- 5, unauthenticated 1 MB bodies ({len(results['flood'])} sent, answered {sorted(set(results['flood']))}; 0: the service closed "
        f"the connection after its 401 instead of reading the body): creator {victim}'s context "
        f"median {quiet[0] * 1000:.1f} ms quiet, {busy[0] * 1000:.1f} ms during the flood ({busy[0] / quiet[0]:.2f} ×; p99 "
        f"{quiet[1] * 1000:.1f} → {busy[1] * 1000:.1f} ms).")
    check(busy[0] <= 2 * quiet[0] + 0.002, "other creators: an unauthenticated flood moved the context median more than 2 ×")

    # 4. 2,000 connections that send headers and half a body, then stall.
    files_before = service.counts()["files"]
    stalled = []
    for _ in range(2000):
        try:
            connection = socket.create_connection(("127.0.0.1", PORT), timeout=2)
            connection.sendall(b"POST /v1/search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"k\": ")
            stalled.append(connection)
        except OSError:
            break
    during = timed_context(victim_token, victim, 20)
    files_during = service.counts()["files"]
    time.sleep(20)
    closed = 0
    for connection in stalled:
        # Closed by the service: whatever it wrote, then the end of the stream (or a reset).
        connection.settimeout(0.05)
        try:
            while connection.recv(65536):
                pass
            closed += 1
        except (socket.timeout, BlockingIOError):
            pass
        except OSError:
            closed += 1
        connection.close()
    files_after = service.counts()["files"]
    say(f"- 4, stalled connections: {len(stalled)} opened; open files {files_before} → {files_during} → {files_after} 20 s later "
        f"(idle timeout 15 s); {closed} of them closed by the service; creator {victim}'s context meanwhile "
        f"median {during[0] * 1000:.1f} ms, p99 {during[1] * 1000:.1f} ms.")
    check(closed == len(stalled) and files_after <= files_before + 10, "other creators: stalled connections were not closed")

    # 8. Generations whose client closes the socket right after the request.
    admitted_before = int(sql("SELECT count(*) FROM generation_admissions"))
    traces_before = int(sql("SELECT count(*) FROM generation_traces"))
    counted_before = metric("onering_generations_total", {})
    for _ in range(50):
        connection = socket.create_connection(("127.0.0.1", PORT), timeout=5)
        payload = json.dumps({"user_id": attacker, "platform": "x", "brief": "recovery"})
        connection.sendall((f"POST /v1/generate/content HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {attacker_token}\r\n"
                            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n{payload}").encode())
        connection.close()
    time.sleep(5)
    admitted = int(sql("SELECT count(*) FROM generation_admissions")) - admitted_before
    traces = int(sql("SELECT count(*) FROM generation_traces")) - traces_before
    counted = metric("onering_generations_total", {}) - counted_before
    abandoned = metric("onering_http_requests_total", {"status": "499"})
    say(f"- 8, abandoned generations: 50 sent and hung up at once; {admitted} admitted, {traces} traced, {counted:.0f} counted "
        f"in onering_generations_total; requests counted as 499 (client left) so far: {abandoned:.0f}.")
    check(admitted == traces == int(counted), f"other creators: {admitted} generations admitted, {traces} traced, {counted} counted")
    service.stop()
    say("")


def random_bit():
    return os.urandom(1)[0] & 1


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=60, help="seconds per load run")
    parser.add_argument("--examples", type=int, default=40, help="schemathesis examples per operation")
    parser.add_argument("--parts", default="load,restart,kill,fuzz,leaks,bad,others", help="comma-separated parts to run")
    arguments = parser.parse_args()
    parts = arguments.parts.split(",")
    out = ROOT / "bench-out/reliability"
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    onering("db", "start")
    if "load" in parts or "restart" in parts:
        onering("bench", "engine", "--reuse", "--creators", 100000)
    # The scratch store: the sample creators, embedded and clustered; a second data set to import.
    onering("db", "migrate", "--schema", SCRATCH)
    posts = ROOT / "data/posts.jsonl"
    if not posts.exists():
        subprocess.run(["sh", "-c", f"gunzip -kc {posts}.gz > {posts}"], check=True)
    onering("import", "--schema", SCRATCH, "--users", ROOT / "data/users.jsonl", "--posts", posts)
    onering("embed", "--schema", SCRATCH)
    if sql("SELECT count(*) FROM cohort_runs WHERE active") == "0":
        onering("cohorts", "rebuild", "--schema", SCRATCH, "-k", 16)
    generated = out / "generated-20k"
    if not (generated / "posts.jsonl").exists():
        onering("data", "generate", "--creators", 20000, "--seed", 7, "--out", generated)
    admin, user = onering("token", 1, "--admin", "--lifetime", 7200).strip(), onering("token", 1, "--lifetime", 7200).strip()
    say(f"# Reliability run, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    say("")
    if "load" in parts:
        load(admin, arguments.duration)
    if "restart" in parts:
        restart(admin)
    if "kill" in parts:
        kill_nine(generated)
    if "fuzz" in parts:
        fuzz(admin, arguments.examples)
    if "leaks" in parts:
        leaks(admin)
    if "bad" in parts:
        bad_input(admin, user)
    if "others" in parts:
        other_creators(admin)
    say(f"Finished in {(time.time() - started) / 60:.0f} min. " +
        ("All checks passed." if not failures else f"{len(failures)} check(s) FAILED:"))
    for failure in failures:
        say(f"- {failure}")
    (out / "report.md").write_text("\n".join(report) + "\n")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
