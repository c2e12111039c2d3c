"""Pages rendered in headless Chromium, for tests that check what a person would see.

`open_page` starts the system's Chromium (Debian's `chromium`, which `.ci/run`
installs) and talks to it over the DevTools protocol on a pipe, with the
standard library only: load a local HTML file, evaluate JavaScript in the page
(measurements), take a screenshot of the whole page, and read the errors its
console showed. Tests that need it are marked `needs_chromium` and are skipped,
saying why, on a machine without Chromium.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
         "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars", "--mute-audio"]
TIMEOUT = 120.0  # seconds for one exchange with the browser: a page loads in well under one, on a busy machine too


def chromium() -> str | None:
    """The Chromium binary: $CHROMIUM, else the first of the usual names on PATH."""
    named = os.environ.get("CHROMIUM")
    return named if named and shutil.which(named) else next(filter(None, map(shutil.which, NAMES)), None)


needs_chromium = pytest.mark.skipif(
    chromium() is None, reason="no Chromium found (install Debian's `chromium`, as .ci/run does, or set $CHROMIUM)")


class BrowserError(Exception):
    """The browser refused a command, stopped, or did not answer in time."""


class Page:
    """One tab of a headless Chromium, driven over the DevTools protocol's pipe transport.

    Chromium reads commands from its file descriptor 3 and writes replies and
    events to 4, each message JSON ended by a NUL byte.
    """

    def __init__(self, process: subprocess.Popen, commands: int, replies: int):
        self.process, self.commands, self.replies = process, commands, replies
        self.buffer = b""
        self.next_id = 0
        self.session: str | None = None
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, *, in_page: bool = True) -> dict:
        """Sends one command and returns its result; events that arrive meanwhile are kept."""
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if in_page and self.session:
            message["sessionId"] = self.session
        os.write(self.commands, json.dumps(message).encode() + b"\0")
        while True:
            reply = self.receive()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            self.events.append(reply)

    def receive(self) -> dict:
        deadline = time.monotonic() + TIMEOUT
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.replies], [], [], left)[0]:
                raise BrowserError(f"Chromium did not answer within {TIMEOUT:g} s")
            chunk = os.read(self.replies, 1 << 20)
            if not chunk:
                raise BrowserError(f"Chromium stopped (exit code {self.process.poll()})")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def wait_for(self, method: str) -> dict:
        """The first event of this kind, from those kept or those still to come."""
        while True:
            for event in self.events:
                if event.get("method") == method:
                    self.events.remove(event)
                    return event
            self.events.append(self.receive())

    def load(self, path: Path, width: int, height: int) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"}, in_page=False)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True},
                                 in_page=False)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        self.send("Page.navigate", {"url": path.resolve().as_uri()})
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str):
        """The value of a JavaScript expression in the page (awaited when it is a promise), as JSON data."""
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True})
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            why = details.get("exception", {}).get("description") or details
            raise BrowserError(f"the page's script failed: {why}")
        return result["result"].get("value")

    def screenshot(self, path: Path, selector: str | None = None) -> Path:
        """A PNG of the whole page, however long, at the width it was loaded with; or of the first element
        `selector` (CSS) finds."""
        if selector is None:
            size = self.send("Page.getLayoutMetrics")["cssContentSize"]
            clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        else:
            box = self.evaluate(f"(() => {{ const r = document.querySelector({json.dumps(selector)})"
                                ".getBoundingClientRect(); return {x: r.x + scrollX, y: r.y + scrollY, "
                                "width: r.width, height: r.height}; })()")
            clip = {**box, "scale": 1}
        shot = self.send("Page.captureScreenshot", {"format": "png", "clip": clip, "captureBeyondViewport": True})
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def console_errors(self, levels: tuple[str, ...] = ("error",)) -> list[str]:
        """What the page's console showed at these levels ("error", "warning"): console calls, uncaught
        exceptions, failed loads."""
        with contextlib.suppress(BrowserError):
            self.evaluate("0")  # a round trip, so that events sent before it are in
        errors = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in levels:
                errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                errors.append(details.get("exception", {}).get("description") or details.get("text", ""))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") in levels:
                entry = params["entry"]
                errors.append(f"{entry.get('text', '')} {entry.get('url', '')}".strip())
        return errors

    def requested(self) -> list[str]:
        """Every URL the page asked for, itself included."""
        return [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"]


def high_fd(fd: int) -> int:
    """The same pipe end on a descriptor above 4, so that placing the ends on 3 and 4 cannot clobber either."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


@contextlib.contextmanager
def open_page(path: Path, width: int = 1200, height: int = 900) -> Iterator[Page]:
    """A headless Chromium showing the local HTML file `path` in a window of this size; closed afterwards."""
    binary = chromium()
    if binary is None:
        pytest.skip("no Chromium found")
    to_browser_read, to_browser_write = map(high_fd, os.pipe())
    from_browser_read, from_browser_write = map(high_fd, os.pipe())

    def on_fds_3_and_4():  # in the child, before Chromium starts: its DevTools pipe
        os.dup2(to_browser_read, 3)
        os.dup2(from_browser_write, 4)

    with tempfile.TemporaryDirectory(prefix="atomgpt-chromium-") as profile:
        process = subprocess.Popen(
            [binary, *FLAGS, "--remote-debugging-pipe", f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            close_fds=False, preexec_fn=on_fds_3_and_4)  # close_fds=False keeps 3 and 4; other fds are CLOEXEC
        os.close(to_browser_read)
        os.close(from_browser_write)
        page = Page(process, to_browser_write, from_browser_read)
        try:
            page.load(path, width, height)
            yield page
        finally:
            with contextlib.suppress(BrowserError, OSError):
                page.send("Browser.close", in_page=False)
            os.close(to_browser_write)
            os.close(from_browser_read)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
