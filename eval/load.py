"""Many readers at once on the running app, while an editor changes the index
(``python -m eval load``).

**How the readers are driven.**  Each reader is what a browser tab is to the server: one
websocket on ``/_stcore/stream`` speaking Streamlit's own protocol (the ``BackMsg`` and
``ForwardMsg`` protobufs of the installed Streamlit).  It opens the page, signs in through the
sign-in form, then asks its questions through the search form, each time sending what the
browser sends when "Tìm" is pressed (the text box's value and the button's trigger) and
reading the page the server streams back.  This loads the server exactly as browsers do
(a script run per question in the server's threads, the same session state, the same
rendering) without running a browser per reader, which on a 2-core machine would take the CPU
the server is being measured on; what is not exercised is the browser's own drawing.

A reader reads each answer before asking again: ``--think`` seconds on average (0.5 to 1.5
times it, default 5); ``--think 0`` asks back to back, which saturates the server.

Times per question: **answer**, from pressing "Tìm" to the answer panel (or the "no evidence"
notice) arriving, and **page**, to the end of the run (every cited passage on the page).
Errors: an exception shown on the page, a closed connection, or no answer within the time
limit.

**The editor.**  While the readers ask, an editor adds documents to the same index once every
``--upload-every`` seconds through :func:`index.worker.run_change`, as the app's upload form
does: indexing runs in a process of its own at lower CPU priority; the server loads the new
index version in a thread and answers from the previous one meanwhile.

**Memory** is the server's resident set (with its child processes), sampled every 0.2 s: its
peak during each level and after the first answers; and, apart, the peak of the editor's
indexing processes, as each reports it (``BuildReport.peak_mb``).
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from index.worker import run_change

ROOT = Path(__file__).resolve().parent.parent
LEVELS = (1, 4, 8, 16)
PASSWORD = "load-test-password"
ANSWER_MARKS = ("**Trả lời**", "Không tìm thấy", "Dưới đây là các đoạn văn bản liên quan")


@dataclass
class Level:
    readers: int
    answer: list[float] = field(default_factory=list)
    page: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    peak_rss: int = 0
    uploads: int = 0
    upload_peak: float = 0.0  # MB, the indexing processes' own peak


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss(pid: int) -> int:
    """Resident bytes of ``pid`` and its children (from /proc)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                total += next(int(line.split()[1]) * 1024 for line in fh
                              if line.startswith("VmRSS:"))
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except (OSError, StopIteration):
            continue
        todo += [int(c) for c in children]
    return total


class Server:
    """``streamlit run app.py`` on a free port of localhost, sign-in on, with a users file of
    its own holding ``readers`` readers."""

    def __init__(self, index: Path, readers: int, folder: Path):
        from index.users import UserStore

        self.users = folder / "users.json"
        store = UserStore(self.users)
        for n in range(1, readers + 1):
            store.add(f"reader{n}", PASSWORD, "reader")
        self.port = _free_port()
        env = {**os.environ, "TRACUU_INDEX": str(index), "TRACUU_USERS": str(self.users)}
        env.pop("TRACUU_AUTH", None)
        self.log = open(folder / "server.log", "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port",
             str(self.port), "--server.headless", "true", "--server.address", "localhost",
             "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(600):
            try:
                with urllib.request.urlopen(f"http://localhost:{self.port}/_stcore/health",
                                            timeout=2) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the server did not start (see {folder / 'server.log'})")

    @property
    def url(self) -> str:
        return f"ws://localhost:{self.port}/_stcore/stream"

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


class Tab:
    """One browser tab's conversation with the server (see the module docstring)."""

    def __init__(self, ws):
        self.ws = ws
        self.widgets: dict[str, str] = {}  # label -> widget id, of the last page
        self.query_string = ""  # the address's query, as the script last set it (a search)

    async def run(self, states: list | None = None, limit: float = 120.0
                  ) -> tuple[float | None, float, str | None]:
        """Rerun the script with ``states`` [(widget id, kind, value)]; returns (seconds to the
        answer panel or None, seconds to the end, the exception shown or None)."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = BackMsg()
        msg.rerun_script.query_string = self.query_string  # as a browser sends its address
        for widget_id, kind, value in states or []:
            state = msg.rerun_script.widget_states.widgets.add()
            state.id = widget_id
            setattr(state, kind, value)
        started = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        answered, error = None, None
        self.widgets = {}
        while True:
            raw = await asyncio.wait_for(self.ws.recv(), limit)
            fm = ForwardMsg()
            fm.ParseFromString(raw)
            kind = fm.WhichOneof("type")
            if kind == "script_finished":
                if fm.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # the script asked for a rerun (st.rerun): its page follows
                return answered, time.perf_counter() - started, error
            if kind == "page_info_changed":
                self.query_string = fm.page_info_changed.query_string
            if kind != "delta" or fm.delta.WhichOneof("type") != "new_element":
                continue
            element = fm.delta.new_element
            name = element.WhichOneof("type")
            inner = getattr(element, name)
            if name in ("text_input", "button"):
                self.widgets[inner.label] = inner.id
            elif name == "exception":
                error = inner.message or inner.type
            elif name in ("markdown", "alert") and answered is None and any(
                    mark in inner.body for mark in ANSWER_MARKS):
                answered = time.perf_counter() - started


async def reader(url: str, name: str, questions: list[str], level: Level,
                 stop: asyncio.Event, think: float = 0.0, seed: int = 0) -> None:
    import websockets

    try:
        async with websockets.connect(url, subprotocols=["streamlit"], max_size=None,
                                      open_timeout=60) as ws:
            tab = Tab(ws)
            await tab.run(limit=300)
            await tab.run([(tab.widgets["Tên đăng nhập"], "string_value", name),
                           (tab.widgets["Mật khẩu"], "string_value", PASSWORD),
                           (tab.widgets["Đăng nhập"], "trigger_value", True)], limit=300)
            pause = random.Random(seed)
            for question in questions:
                if stop.is_set():
                    break
                if think:  # reading the last answer before asking again
                    await asyncio.sleep(think * pause.uniform(0.5, 1.5))
                answer, page, error = await tab.run(
                    [(tab.widgets["Câu hỏi hoặc từ khóa"], "string_value", question),
                     (tab.widgets["Tìm"], "trigger_value", True)])
                if error or answer is None:
                    level.errors.append(f"{name}: {error or 'no answer panel'} ({question})")
                else:
                    level.answer.append(answer)
                level.page.append(page)
    except Exception as exc:  # noqa: BLE001 - a lost connection, a page without the form…
        level.errors.append(f"{name}: {type(exc).__name__}: {exc}")


def new_letter(path: Path, number: int) -> Path:
    """A letter of the sample written to ``path`` under the code ``NUMBER-CV/ĐUK``: a document
    of its own for an upload (its header passage is not in the embedding cache)."""
    source = ROOT / "data" / "sample" / "2019-04-18_163-CV-DUK_Dong-Nai.txt"
    path.write_text(source.read_text(encoding="utf-8").replace("163-CV/ĐUK", f"{number}-CV/ĐUK"),
                    encoding="utf-8")
    return path


def editor(index: Path, every: float, stop: threading.Event, level: Level,
           folder: Path) -> None:
    """Add a new document to the index every ``every`` seconds until ``stop``."""
    n = 0
    while not stop.wait(every):
        n += 1
        path = new_letter(folder / f"tai-len-{level.readers}-{n}.txt", 900 + n)
        try:  # as the app's upload form indexes: in a process of its own, at lower priority
            report = run_change("add", index, sources=[str(path)])
        except Exception as exc:  # noqa: BLE001 - reported with the level's errors
            level.errors.append(f"editor: {type(exc).__name__}: {str(exc)[-200:]}")
        else:
            level.uploads += 1
            level.upload_peak = max(level.upload_peak, report.peak_mb or 0)


def questions(n: int, seed: int = 5) -> list[str]:
    """A mixed set: the gold questions (with unaccented copies), the party-docs questions and
    the unanswerable ones, shuffled."""
    import json

    rows = []
    for name in ("gold.jsonl", "party_docs.jsonl", "unanswerable.jsonl"):
        for line in (ROOT / "eval" / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append(json.loads(line)["query"])
    random.Random(seed).shuffle(rows)
    return rows[:n]


def run_level(server: Server, index: Path, n: int, per_reader: int, upload_every: float,
              folder: Path, think: float = 0.0) -> Level:
    level = Level(n)
    asked = questions(n * per_reader, seed=n)
    stop_editor, sampling = threading.Event(), threading.Event()

    def sample() -> None:
        while not sampling.wait(0.2):
            level.peak_rss = max(level.peak_rss, rss(server.proc.pid))

    threads = [threading.Thread(target=sample, daemon=True)]
    if upload_every > 0:
        threads.append(threading.Thread(target=editor, args=(index, upload_every, stop_editor,
                                                             level, folder), daemon=True))
    for t in threads:
        t.start()

    async def readers() -> None:
        stop = asyncio.Event()
        await asyncio.gather(*(reader(server.url, f"reader{k + 1}",
                                      asked[k * per_reader:(k + 1) * per_reader], level, stop,
                                      think, seed=k) for k in range(n)))

    asyncio.run(readers())
    stop_editor.set()
    sampling.set()
    for t in threads:
        t.join()
    return level


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


def run(index: Path, levels: tuple[int, ...] = LEVELS, per_reader: int = 5,
        upload_every: float = 10.0, think: float = 5.0, say=print) -> list[Level]:
    """Every level on one server started on a copy of ``index`` (the editor changes the
    copy); the first level is preceded by three warm-up questions."""
    out = []
    with tempfile.TemporaryDirectory(prefix="tracuu-load-") as tmp:
        folder = Path(tmp)
        copy = folder / "index"
        shutil.copytree(Path(index).resolve(), copy)
        server = Server(copy, max(levels), folder)
        try:
            say(f"server on port {server.port}, {rss(server.proc.pid) / 2**20:.0f} MB at start")
            # the server's first questions load what it loads on first need (the answer
            # model, the ranker's features, the code index): not what a level measures
            warm = run_level(server, copy, 1, 3, 0, folder)
            say(f"warm-up: 3 questions in {sum(warm.page):.1f} s {warm.errors or ''}, "
                f"{rss(server.proc.pid) / 2**20:.0f} MB after")
            for n in levels:
                level = run_level(server, copy, n, per_reader, upload_every, folder, think)
                say(f"{n:>2} readers: {len(level.answer)} answers, "
                    f"p50 {percentile(level.answer, 0.5):.2f} s, "
                    f"p95 {percentile(level.answer, 0.95):.2f} s, page p95 "
                    f"{percentile(level.page, 0.95):.2f} s, {len(level.errors)} errors, "
                    f"{level.uploads} uploads, peak {level.peak_rss / 2**20:.0f} MB"
                    + (f" (indexing processes: {level.upload_peak:.0f} MB)"
                       if level.uploads else ""))
                for error in level.errors[:5]:
                    say(f"   {error}")
                out.append(level)
        finally:
            server.close()
    return out


def table(levels: list[Level]) -> str:
    lines = ["| readers | questions | answer p50 | answer p95 | page p95 | errors | uploads "
             "during | server peak |", "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for lv in levels:
        lines.append(f"| {lv.readers} | {len(lv.page)} | {percentile(lv.answer, 0.5):.2f} s | "
                     f"{percentile(lv.answer, 0.95):.2f} s | {percentile(lv.page, 0.95):.2f} s "
                     f"| {len(lv.errors)} | {lv.uploads} | {lv.peak_rss / 2**20:.0f} MB |")
    return "\n".join(lines)
