"""A tiny Chrome DevTools Protocol client over --remote-debugging-pipe, on
python3's standard library only: the browser reads NUL-terminated JSON
commands on its fd 3 and writes its answers and events on its fd 4. Used by
the browser tests to look at one live page at several moments (a page with
an open EventSource never ends loading, so --dump-dom cannot wait for it),
and to answer a page's prompt(). Every wait has a deadline; close() ends the
browser's whole process group."""
import fcntl
import json
import os
import select
import signal
import time


def http_get(url, token=None):
    """The body of GET url, as text (with the agent's token, when given)."""
    import urllib.request
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as r:
        return r.read().decode()


def until(check, seconds, what):
    """Waits for check() to be true, at most `seconds`; fails naming `what`."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"{what}: not within {seconds} s"
        time.sleep(0.1)


class Error(Exception):
    pass


def _high(fd):
    """fd moved to 10 or above (close-on-exec), so that dup2 onto 3 and 4 never clobbers it."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


class Browser:
    def __init__(self, binary, user_data_dir, log_path, extra=()):
        to_browser_r, to_browser_w = (_high(fd) for fd in os.pipe())
        from_browser_r, from_browser_w = (_high(fd) for fd in os.pipe())
        args = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--no-default-browser-check", "--user-data-dir=" + user_data_dir, "--remote-debugging-pipe",
                *extra, "about:blank"]
        actions = [(os.POSIX_SPAWN_DUP2, to_browser_r, 3), (os.POSIX_SPAWN_DUP2, from_browser_w, 4),
                   (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
                   (os.POSIX_SPAWN_OPEN, 1, log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644),
                   (os.POSIX_SPAWN_OPEN, 2, log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)]
        # A session of its own: close() kills the browser and all its children at once.
        self.pid = os.posix_spawn(binary, args, os.environ, file_actions=actions, setsid=True)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._out = to_browser_w
        self._in = from_browser_r
        self._buffer = b""
        self._next_id = 0
        self.events = []

    def call(self, method, params=None, session=None, timeout=10):
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read(deadline, method)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise Error(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def _read(self, deadline, what):
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Error(f"{what}: no answer from the browser in time")
            ready, _, _ = select.select([self._in], [], [], left)
            if ready:
                chunk = os.read(self._in, 1 << 16)
                if not chunk:
                    raise Error(f"{what}: the browser closed its pipe")
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def open(self, url, fresh=False):
        """A new tab at url; its session id, for evaluate. fresh: in a browser context of its own, with cookies
        and storage of its own (as another person's browser). Its HTTP exchanges are in events (Network)."""
        params = {"url": "about:blank"}
        if fresh:
            params["browserContextId"] = self.call("Target.createBrowserContext")["browserContextId"]
        target = self.call("Target.createTarget", params)["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.call("Page.enable", session=session)
        self.call("Runtime.enable", session=session)
        self.call("Log.enable", session=session)
        self.call("Network.enable", session=session)
        self.navigate(session, url)
        return session

    def navigate(self, session, url):
        """The tab to url (its sessionStorage stays, being the same tab's)."""
        result = self.call("Page.navigate", {"url": url}, session=session)
        if result.get("errorText"):
            raise Error(f"navigate to {url}: {result['errorText']}")

    def wait_event(self, session, method, timeout, since=0):
        """The first event method from the session's page among events[since:], waiting for it at most timeout
        seconds. While a page's dialog is open its script is stopped: evaluate would wait, this does not."""
        deadline = time.monotonic() + timeout
        index = since
        while True:
            for event in self.events[index:]:
                if event.get("method") == method and event.get("sessionId") == session:
                    return event
            index = len(self.events)
            self.events.append(self._read(deadline, f"{method} within {timeout} s"))

    def answer_prompt(self, session, text, timeout, since=0):
        """Waits for the page's JavaScript dialog (opened after events[since]) and accepts it with text typed
        in; the dialog's type and message."""
        params = self.wait_event(session, "Page.javascriptDialogOpening", timeout, since)["params"]
        self.call("Page.handleJavaScriptDialog", {"accept": True, "promptText": text}, session=session)
        return params

    def exchanges(self, session, since=0):
        """(method, URL, status) of the page's HTTP requests answered among events[since:], in order."""
        methods, found = {}, []
        for event in self.events[since:]:
            if event.get("sessionId") != session:
                continue
            params = event.get("params", {})
            if event.get("method") == "Network.requestWillBeSent":
                methods[params["requestId"]] = params["request"]["method"]
            elif event.get("method") == "Network.responseReceived":
                response = params["response"]
                found.append((methods.get(params["requestId"], "?"), response["url"], response["status"]))
        return found

    def evaluate(self, session, expression):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=session)
        if "exceptionDetails" in result:
            raise Error(f"{expression}: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def evaluate_in_child_frame(self, session, expression):
        """The expression in the page's child frame. A sandboxed frame has an opaque origin (the page's own
        script cannot look inside) and chromium runs it in a process of its own: it is reached as a target of
        its own, attached through the page's session."""
        self.call("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": False, "flatten": True},
                  session=session)
        frames = [e["params"]["sessionId"] for e in self.events
                  if e.get("method") == "Target.attachedToTarget" and e.get("sessionId") == session
                  and e["params"]["targetInfo"]["type"] == "iframe"]
        if frames:
            return self.evaluate(frames[-1], expression)
        tree = self.call("Page.getFrameTree", session=session)["frameTree"]
        children = tree.get("childFrames") or []
        if not children:
            raise Error("the page has no child frame yet")
        world = self.call("Page.createIsolatedWorld", {"frameId": children[0]["frame"]["id"]}, session=session)
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "contextId": world["executionContextId"]}, session=session)
        if "exceptionDetails" in result:
            raise Error(f"{expression}: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def wait_for(self, session, expression, timeout, what):
        """Until the expression is truthy in the page (one that throws is not), at most timeout seconds; its value."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                value, problem = self.evaluate(session, expression), None
            except Error as error:  # the page not there yet, say
                value, problem = None, error
            if value:
                return value
            if time.monotonic() > deadline:
                raise Error(f"{what}: not within {timeout} s" + (f" ({problem})" if problem else ""))
            time.sleep(0.1)

    def screenshot(self, session, path, width=1400, height=1000):
        import base64
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=session)
        data = self.call("Page.captureScreenshot", {"format": "png"}, session=session, timeout=20)["data"]
        with open(path, "wb") as out:
            out.write(base64.b64decode(data))

    def console_errors(self):
        """The pages' uncaught exceptions and console errors (CSP refusals among them) seen so far."""
        found = []
        for event in self.events:
            params = event.get("params", {})
            if event.get("method") == "Runtime.exceptionThrown":
                found.append(params.get("exceptionDetails", {}).get("text", "exception"))
            elif event.get("method") == "Runtime.consoleAPICalled" and params.get("type") == "error":
                found.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
            elif event.get("method") == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                found.append(f"{entry.get('text', '')} {entry.get('url', '')}".strip())
        return found

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except (Error, OSError):
            pass
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if os.waitpid(self.pid, os.WNOHANG)[0]:
                break
            time.sleep(0.1)
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        os.close(self._out)
        os.close(self._in)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
