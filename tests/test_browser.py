"""End to end in a real browser: the app served by Streamlit on localhost, Debian's chromium
driven by Playwright (no browser download), as a new user would use it.

Screenshots go to ``$TRACUU_SCREENSHOTS`` (default ``.tracuu/screenshots``); the time from
pressing Tìm to the first cited passage on screen is printed.
"""

import io
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import docx
import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
QUESTION = "what are the reporting deadlines for chi bộ?"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def app_url(sample_index, tmp_path):
    port = _free_port()
    # sign-in on, a users file of its own: the first start makes the admin (see the test)
    env = {**os.environ, "TRACUU_INDEX": str(sample_index),
           "TRACUU_USERS": str(tmp_path / "users.json")}
    env.pop("TRACUU_AUTH", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port",
         str(port), "--server.headless", "true", "--server.address", "localhost"],
        cwd=ROOT, env=env, stdout=open(tmp_path / "server.log", "wb"), stderr=subprocess.STDOUT)
    url = f"http://localhost:{port}"
    try:
        for _ in range(240):
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            raise AssertionError("streamlit did not start: "
                                 + (tmp_path / "server.log").read_text()[-2000:])
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_new_user_asks_the_deadline_question(app_url, tmp_path):
    from playwright.sync_api import sync_playwright

    shots = Path(os.environ.get("TRACUU_SCREENSHOTS") or ROOT / ".tracuu" / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page.goto(app_url)
        password = _first_sign_in(page, tmp_path / "server.log")
        link = _ask_the_deadline_question(page, app_url, shots)
        _back_and_the_whole_document(page, shots)
        saved = _export_the_briefing(page, tmp_path, shots)
        _the_link_on_a_phone(browser, link, password, shots)
        browser.close()
    text = "\n".join(par.text for par in docx.Document(io.BytesIO(saved.read_bytes())).paragraphs)
    assert "TƯ LIỆU SINH HOẠT CHI BỘ" in text
    assert text.count("Công văn số 683-CV/HU ngày 28/3/2017 của Huyện ủy Hớn Quản, mục 1") == 1
    assert (shots / "search.png").stat().st_size > 10_000


def _first_sign_in(page, log: Path) -> str:
    """The very first start: the one-time admin password is in the server's terminal; signed
    in with it, the page is ready once its last element is there.  Returns the password."""
    from playwright.sync_api import expect

    name = page.get_by_role("textbox", name="Tên đăng nhập")
    expect(name).to_be_visible(timeout=180_000)
    for _ in range(100):
        found = re.search(r"one-time password:\s+(\S+)", log.read_text(errors="replace"))
        if found:
            break
        time.sleep(0.2)
    assert found, log.read_text()[-2000:]
    name.fill("admin")
    page.get_by_role("textbox", name="Mật khẩu").fill(found.group(1))
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    box = page.get_by_role("textbox", name="Câu hỏi hoặc từ khóa")
    expect(box).to_be_visible(timeout=180_000)  # first visit: the model is loaded
    # the page's first run is over once its last element (the library's remove button) is
    # there: a click before would wait for it
    expect(page.get_by_role("button", name="Gỡ", exact=True, include_hidden=True)
           ).to_be_attached(timeout=60_000)
    return found.group(1)


def _ask_the_deadline_question(page, app_url: str, shots: Path) -> str:
    """The question asked, timed to the answer panel and the first cited card; the page in
    Vietnamese, the search a link.  Returns the link."""
    from playwright.sync_api import expect

    page.get_by_role("textbox", name="Câu hỏi hoặc từ khóa").fill(QUESTION)
    started = time.perf_counter()
    page.get_by_role("button", name="Tìm", exact=True).click()
    # polled at every animation frame, so that the figures are not those of a retry step
    page.wait_for_function("() => [...document.querySelectorAll('strong')].some("
                           "e => e.textContent === 'Trả lời')", polling="raf",
                           timeout=60_000)
    answered = time.perf_counter() - started
    page.wait_for_function("() => [...document.querySelectorAll('b')].some(e => e."
                           "textContent.startsWith('1. Công văn số 683-CV/HU'))",
                           polling="raf", timeout=60_000)
    seconds = time.perf_counter() - started
    expect(page.locator("b", has_text="1. Công văn số 683-CV/HU").first).to_be_visible()
    print(f"\ntime to first result in the browser: answer panel {answered:.2f} s, "
          f"first cited card {seconds:.2f} s")
    expect(page.get_by_text("Nghĩa vụ, thời hạn tìm thấy")).to_be_visible()
    page.screenshot(path=str(shots / "search.png"), full_page=True)
    # the page speaks Vietnamese, to the browser too; the search is a link
    assert page.evaluate("document.documentElement.lang") == "vi"
    shown = page.evaluate(  # every text on the page, hidden tabs too, but no script
        "() => { const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);"
        " const out = []; for (let n = w.nextNode(); n; n = w.nextNode())"
        " if (!['SCRIPT', 'STYLE'].includes(n.parentElement.tagName)) out.push(n.nodeValue);"
        " return out.join(' '); }")
    for english in ("Choose an option", "Drag and drop", "Press Enter to apply",
                    "per file", "Browse files"):
        assert english not in shown, english
    assert "Chọn tệp" in shown and "Tối đa 20 MB mỗi tệp" in shown  # the uploader
    assert "q=what+are+the+reporting" in page.url or "q=what%20are" in page.url
    with urllib.request.urlopen(app_url, timeout=10) as reply:  # the shell as served
        assert '<html lang="vi">' in reply.read().decode("utf-8")
    return page.url


def _back_and_the_whole_document(page, shots: Path) -> None:
    """Another search, then Back: the first one again, in the box and on the page; its first
    passage opened in its whole document."""
    from playwright.sync_api import expect

    box = page.get_by_role("textbox", name="Câu hỏi hoặc từ khóa")
    box.fill("683-CV/HU")
    page.get_by_role("button", name="Tìm", exact=True).click()
    expect(page.get_by_text("Văn bản số 683-CV/HU", exact=False).or_(
        page.locator("b", has_text="683-CV/HU").first).first).to_be_visible(timeout=30_000)
    page.wait_for_url(re.compile(r"q=683"), timeout=30_000)
    page.go_back()
    page.wait_for_url(re.compile(r"q=what"), timeout=30_000)
    expect(box).to_have_value(QUESTION, timeout=30_000)
    expect(page.get_by_text("Nghĩa vụ, thời hạn tìm thấy")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Xem toàn văn", exact=True).first.click()
    frame = page.frame_locator("iframe").first
    expect(frame.locator("#passage")).to_be_visible(timeout=30_000)
    expect(frame.locator("#passage")).to_contain_text("Định kỳ hàng quý")
    page.screenshot(path=str(shots / "document.png"))


def _export_the_briefing(page, tmp_path: Path, shots: Path) -> Path:
    """The first passage into the basket, exported as DOCX under a typed title.  Returns the
    file."""
    from playwright.sync_api import expect

    page.get_by_role("button", name="Thêm vào tập trích dẫn", exact=True).first.click()
    page.get_by_role("tab", name="Tập trích dẫn (1)").click()
    expect(page.get_by_text("Tải về DOCX")).to_be_visible(timeout=30_000)
    page.screenshot(path=str(shots / "briefing.png"), full_page=True)
    page.get_by_role("textbox", name="Tiêu đề tài liệu").fill("Tư liệu sinh hoạt chi bộ")
    with page.expect_download() as download:  # typed, then at once the button
        page.get_by_role("button", name="Tải về DOCX", exact=True).click()
    saved = tmp_path / "briefing.docx"
    download.value.save_as(saved)
    return saved


def _the_link_on_a_phone(browser, link: str, password: str, shots: Path) -> None:
    """The link, opened in another tab (signed in again), shows the same search; on a phone
    the obligations are stacked cards."""
    from playwright.sync_api import expect

    phone = browser.new_page(viewport={"width": 390, "height": 844})
    phone.goto(link)
    phone.get_by_role("textbox", name="Tên đăng nhập").fill("admin")
    phone.get_by_role("textbox", name="Mật khẩu").fill(password)
    phone.get_by_role("button", name="Đăng nhập", exact=True).click()
    expect(phone.locator("b", has_text="1. Công văn số 683-CV/HU").first).to_be_visible(
        timeout=60_000)
    assert phone.get_by_role("textbox", name="Câu hỏi hoặc từ khóa").input_value() == QUESTION
    opener = phone.locator("[data-testid='stExpandSidebarButton']")
    assert opener.evaluate("e => getComputedStyle(e, '::after').content") == '"Bộ lọc"'
    cell = phone.locator("table.obligations td").first
    assert cell.evaluate("e => getComputedStyle(e).display") == "block"
    phone.screenshot(path=str(shots / "phone.png"), full_page=True)
