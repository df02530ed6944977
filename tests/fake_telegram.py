"""A fake Telegram Bot API server on 127.0.0.1 for running the real bot in tests.

It speaks the Bot API's HTTP protocol as python-telegram-bot uses it: form
posts to `/bot<token>/<method>`, `getUpdates` long polling, JSON answers. Tests
feed it user messages and button presses, and read back what the bot sent.
Like Telegram, it refuses messages whose HTML would not parse or whose text is
longer than 4,096 characters, and records those refusals so tests can assert
there were none.

It also misbehaves on request, as the real one sometimes does: `inject` makes
the next calls of a method answer 429 with `retry_after`, answer 500, hang
past the client's timeout, or drop the connection; `flaky` makes a share of
all calls of a method fail at random (seeded, so a run can be repeated); `go_down` and `come_up`
stop and restart the listener on the same port (connections are refused in
between, open ones are cut) while pending updates wait, as on Telegram's side.
Failed calls are recorded in `faulted`, never in `calls`, so `calls` holds
exactly what users received.
"""

from __future__ import annotations

import contextlib
import html
import itertools
import json
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

TOKEN = "123456789:TEST-token-never-to-be-logged"
BOT_USER = {
    "id": 987654321,
    "is_bot": True,
    "first_name": "Knowledge Bot",
    "username": "kb_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
}
BARE_AMPERSAND = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")
BARE_LESS_THAN = re.compile(r"<(?![a-zA-Z/])")
JSON_FIELDS = {
    "reply_markup",
    "allowed_updates",
    "commands",
    "scope",
    "link_preview_options",
    "reply_parameters",
    "entities",
    "results",
}
INT_FIELDS = {"chat_id", "offset", "limit", "timeout", "message_id", "reply_to_message_id"}
FAULTS = ("429", "500", "hang", "drop")
HANG_SECONDS = 7.0
"""Longer than python-telegram-bot's default 5 s read timeout."""


class _TagChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"unsupported start tag {tag!r}")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(f"can't find end tag corresponding to {tag!r}")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def telegram_html_problem(text: str) -> str | None:
    """Why Telegram would refuse `text` in HTML parse mode, or None if it would accept it."""
    if BARE_AMPERSAND.search(text):
        return "unescaped '&'"
    if BARE_LESS_THAN.search(text):
        return "unescaped '<'"
    checker = _TagChecker()
    checker.feed(text)
    checker.close()
    if checker.problems:
        return checker.problems[0]
    if checker.stack:
        return f"unclosed tag {checker.stack[-1]!r}"
    if not "".join(checker.text).strip():
        return "message text is empty"
    if len(html.unescape("".join(checker.text))) > 4096:
        return "message is too long"
    return None


MAX_CALLBACK_DATA = 64
"""Bytes of a button's `callback_data` Telegram accepts (at least 1)."""


def keyboard_problem(markup: dict[str, Any] | None) -> str | None:
    """Why Telegram would refuse an inline keyboard, or None: every button needs a label and 1-64 bytes of data (or a URL)."""
    for row in (markup or {}).get("inline_keyboard", []):
        for button in row:
            if not str(button.get("text", "")).strip():
                return "BUTTON_TEXT_EMPTY"
            if "url" not in button and not 1 <= len(str(button.get("callback_data", "")).encode()) <= MAX_CALLBACK_DATA:
                return "BUTTON_DATA_INVALID"
    return None


class FakeTelegram:
    def __init__(
        self, token: str = TOKEN, port: int = 0, failing: frozenset[str] = frozenset(), record_times: bool = False
    ) -> None:
        self.token = token
        self.record_times = record_times
        """Stamp each recorded call with `_received` (time.monotonic()), for load measurements."""
        self.failing = failing
        """Methods that answer 500, as a Bot API having trouble would."""
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.refusals: list[tuple[str, str]] = []
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._lock = threading.Condition()
        self.polling = threading.Event()
        """Set once the bot has asked for updates: it is up and listening."""
        self.faulted: list[tuple[str, str]] = []
        """(method, fault) of every call that was made to fail."""
        self._faults: dict[str, list[str]] = {}
        self._flaky: dict[str, tuple[float, tuple[str, ...]]] = {}
        self._random = random.Random(0)
        self._retry_after = 1
        self._connections: set[socket.socket] = set()
        self._server = self._listen(port)
        self.port = self._server.server_address[1]

    def _listen(self, port: int) -> ThreadingHTTPServer:
        server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        server.daemon_threads = True
        return server

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def start(self) -> FakeTelegram:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            for connection in list(self._connections):
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            self._lock.notify_all()

    def close(self) -> None:
        """Release the port of a fake that was never started (one answering in process, see `tests/inprocess.py`)."""
        self._server.server_close()

    def revoke_token(self, new_token: str) -> None:
        """As @BotFather's /revoke: the old token is refused from now on, the long poll in progress included."""
        with self._lock:
            self.token = new_token
            self._lock.notify_all()

    # -- misbehaving -------------------------------------------------------

    def inject(self, method: str, *faults: str, retry_after: int = 1) -> None:
        """Make the next calls of `method` fail, one fault per call, in order."""
        assert all(f in FAULTS for f in faults), faults
        with self._lock:
            self._faults.setdefault(method, []).extend(faults)
            self._retry_after = retry_after

    def flaky(self, method: str, share: float, faults: tuple[str, ...] = ("500", "drop"), seed: int = 0) -> None:
        """Make `share` of all later calls of `method` fail with one of `faults`, at random; share 0 ends it."""
        assert all(f in FAULTS for f in faults), faults
        with self._lock:
            self._random.seed(seed)
            if share:
                self._flaky[method] = (share, faults)
            else:
                self._flaky.pop(method, None)

    def go_down(self) -> None:
        """Stop listening: new connections are refused, open ones (the bot's long poll) are cut."""
        self.stop()

    def come_up(self) -> None:
        """Listen again on the same port, with every pending update still there."""
        self._server = self._listen(self.port)
        self.start()

    def _take_fault(self, method: str) -> str | None:
        with self._lock:
            queue = self._faults.get(method)
            share, faults = self._flaky.get(method, (0.0, ()))
            if queue:
                fault = queue.pop(0)
            elif share and self._random.random() < share:
                fault = self._random.choice(faults)
            else:
                return None
            self.faulted.append((method, fault))
            self._lock.notify_all()
            return fault

    # -- what users do -----------------------------------------------------

    def _push(self, update: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            update["update_id"] = next(self._update_ids)
            self._updates.append(update)
            self._lock.notify_all()
        return update

    def user_message(
        self,
        text: str | None,
        *,
        user_id: int,
        chat_id: int | None = None,
        chat_type: str = "private",
        language_code: str | None = "en",
        reply_to: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A message from a user; commands get their bot_command entity as Telegram adds it."""
        user = {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}
        if language_code:
            user["language_code"] = language_code
        chat: dict[str, Any] = {"id": chat_id or user_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = user["first_name"]
        else:
            chat["title"] = "Test group"
        message: dict[str, Any] = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat, "from": user}
        if text is not None:
            message["text"] = text
            entities = []
            if text.startswith("/"):
                entities.append({"type": "bot_command", "offset": 0, "length": len(text.split()[0])})
            for match in re.finditer(r"@\w+", text):
                entities.append(
                    {"type": "mention", "offset": _utf16_len(text[: match.start()]), "length": _utf16_len(match.group())}
                )
            if entities:
                message["entities"] = entities
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        message.update(extra or {})
        return self._push({"message": message})

    def press(self, button_data: str, on_message: dict[str, Any], *, user_id: int, language_code: str | None = "en") -> str:
        """A press on an inline button of a message the bot sent; returns the callback query id."""
        query_id = f"cb{next(self._update_ids)}"
        user = {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}
        if language_code:
            user["language_code"] = language_code
        self._push(
            {"callback_query": {"id": query_id, "from": user, "chat_instance": "ci", "data": button_data, "message": on_message}}
        )
        return query_id

    def press_shared(
        self, button_data: str, *, user_id: int, inline_message_id: str = "shared-1", language_code: str | None = "en"
    ) -> str:
        """A press on a button of a message posted in inline mode: Telegram sends no message and no chat, only
        the message's `inline_message_id`. Returns the callback query id."""
        query_id = f"cb{next(self._update_ids)}"
        user = {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}
        if language_code:
            user["language_code"] = language_code
        query = {"id": query_id, "from": user, "chat_instance": "ci", "data": button_data, "inline_message_id": inline_message_id}
        self._push({"callback_query": query})
        return query_id

    def inline_query(self, query: str, *, user_id: int, language_code: str | None = "en") -> str:
        """`@bot query` typed by a user in any chat; returns the inline query id."""
        query_id = f"iq{next(self._update_ids)}"
        user = {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}
        if language_code:
            user["language_code"] = language_code
        self._push({"inline_query": {"id": query_id, "from": user, "query": query, "offset": ""}})
        return query_id

    # -- what the bot did ----------------------------------------------------

    def wait_for(
        self, predicate: Callable[[str, dict[str, Any]], bool], count: int = 1, timeout: float = 20
    ) -> list[dict[str, Any]]:
        """The params of the first `count` calls matching `predicate`, waiting for them to arrive."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [params for method, params in self.calls if predicate(method, params)]
                if len(found) >= count:
                    return found[:count]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out waiting for {count} matching calls; got {len(found)}: {found}")
                self._lock.wait(remaining)

    def messages_to(self, chat_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return [p for m, p in self.calls if m == "sendMessage" and p.get("chat_id") == chat_id]

    def count(self, method: str) -> int:
        with self._lock:
            return sum(1 for m, _ in self.calls if m == method)

    # -- the Bot API -------------------------------------------------------

    def _api(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        fault = self._take_fault(method)
        if fault == "429":
            description = f"Too Many Requests: retry after {self._retry_after}"
            return 429, {
                "ok": False,
                "error_code": 429,
                "description": description,
                "parameters": {"retry_after": self._retry_after},
            }
        if fault == "500":
            return 500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}
        if fault in ("hang", "drop"):
            raise _Cut(fault)
        if method == "getUpdates":
            return 200, {"ok": True, "result": self._get_updates(params)}
        if self.record_times:
            params["_received"] = time.monotonic()
        with self._lock:
            self.calls.append((method, params))
            self._lock.notify_all()
        if method in self.failing:
            return 500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}
        if method == "getMe":
            return 200, {"ok": True, "result": BOT_USER}
        problem = keyboard_problem(params.get("reply_markup")) or next(
            (keyboard_problem(result.get("reply_markup")) for result in params.get("results", []) if result.get("reply_markup")),
            None,
        )
        if problem:
            with self._lock:
                self.refusals.append((method, problem))
            return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {problem}"}
        if method in {
            "deleteWebhook",
            "setWebhook",
            "setMyCommands",
            "answerCallbackQuery",
            "sendChatAction",
            "editMessageReplyMarkup",
        }:
            return 200, {"ok": True, "result": True}
        if method == "answerInlineQuery":
            for result in params.get("results", []):
                content = result.get("input_message_content", {})
                problem = (
                    telegram_html_problem(str(content.get("message_text", ""))) if content.get("parse_mode") == "HTML" else None
                )
                if problem or len(content.get("message_text", "")) > 4096 or len(result.get("id", "").encode()) > 64:
                    with self._lock:
                        self.refusals.append((method, problem or "too long"))
                    return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {problem or 'too long'}"}
            return 200, {"ok": True, "result": True}
        if method in {"sendMessage", "editMessageText"}:
            problem = telegram_html_problem(str(params.get("text", ""))) if params.get("parse_mode") == "HTML" else None
            if problem:
                with self._lock:
                    self.refusals.append((method, problem))
                return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: can't parse entities: {problem}"}
            return 200, {"ok": True, "result": self._sent_message(params)}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        self.polling.set()
        offset = int(params.get("offset") or 0)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        with self._lock:
            token = self.token
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and time.monotonic() < deadline and self.token == token:
                self._lock.wait(deadline - time.monotonic())
            return list(self._updates)

    def _sent_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        plain = html.unescape(re.sub(r"<[^>]+>", "", str(params.get("text", ""))))
        message = {
            "message_id": params.get("message_id") or next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if isinstance(chat_id, int) and chat_id > 0 else "group"},
            "from": BOT_USER,
            "text": plain,
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        params["_message"] = message
        return message

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                with fake._lock:
                    fake._connections.add(self.connection)

            def finish(self) -> None:
                with fake._lock:
                    fake._connections.discard(self.connection)
                with contextlib.suppress(OSError):
                    super().finish()

            def do_POST(self) -> None:
                self._serve(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def do_GET(self) -> None:
                self._serve(b"")

            def _serve(self, body: bytes) -> None:
                prefix = f"/bot{fake.token}/"
                if not self.path.startswith(prefix):
                    self._reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
                    return
                try:
                    answer = fake._api(self.path[len(prefix) :], _decode(body, self.headers.get("Content-Type", "")))
                except _Cut as cut:
                    if cut.fault == "hang":
                        time.sleep(HANG_SECONDS)
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self._reply(*answer)

            def _reply(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass

        return Handler


class _Cut(Exception):
    """A call that gets no HTTP answer at all: the connection hangs, then closes, or closes at once."""

    def __init__(self, fault: str) -> None:
        super().__init__(fault)
        self.fault = fault


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode(body: bytes, content_type: str) -> dict[str, Any]:
    """Request parameters: form fields whose non-string values are JSON, as python-telegram-bot sends them."""
    if not body:
        return {}
    if "json" in content_type:
        return json.loads(body)
    params: dict[str, Any] = {}
    for key, value in parse_qsl(body.decode(), keep_blank_values=True):
        if key in JSON_FIELDS:
            params[key] = json.loads(value)
        elif key in INT_FIELDS:
            params[key] = int(value)
        else:
            params[key] = value
    return params


def _show(sent: dict[str, Any]) -> list[str]:
    """A bot message as a terminal shows it: text without tags, then numbered buttons."""
    lines = [html.unescape(re.sub(r"<[^>]+>", "", str(sent.get("text", ""))))]
    markup = sent.get("reply_markup") or {}
    labels = [b["text"] for row in markup.get("inline_keyboard", []) for b in row]
    if labels:
        lines.append("  ".join(f"[{i}] {label}" for i, label in enumerate(labels, 1)))
    return lines


def start_bot(fake: FakeTelegram, log_path: str) -> subprocess.Popen[bytes] | None:
    """`python -m bot run` polling this fake, its output in `log_path`; None, with the log shown, when it did not start."""
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.base_url}
    with open(log_path, "wb") as log:
        bot = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, stdout=log, stderr=log)
    print(f"Starting the bot (python -m bot run, its log in {log_path}); the first start builds the index ...")
    while not fake.polling.wait(0.2):
        if bot.poll() is not None:
            print(Path(log_path).read_text(encoding="utf-8", errors="replace"), end="")
            return None
    return bot


def chat(port: int, language_code: str, run_bot: bool = True, log_path: str = "fake-chat-bot.log") -> None:
    """Talk to the bot from the terminal through this server, as one user in a private chat.

    By default it starts the bot itself (a polling `python -m bot run` with the
    fake's token and address, whatever `.env` says), so a first chat is one
    command; `run_bot=False` waits for a bot started by hand instead.
    """
    fake = FakeTelegram(port=port).start()
    bot = None
    if run_bot:
        bot = start_bot(fake, log_path)
        if bot is None:
            fake.stop()
            return
    else:
        print(f"Fake Bot API listening on {fake.base_url}. In another terminal, from the project folder:")
        print(f"  TELEGRAM_BOT_TOKEN='{fake.token}' TELEGRAM_API_BASE_URL={fake.base_url} python -m bot run")
    print("Type a message and press Enter. '!press N' presses button N of the last reply, '!lang CODE' sets your")
    print("app's language (the hint Telegram sends), an empty line shows replies still arriving, Ctrl-D quits.")
    try:
        _converse(fake, language_code)
    finally:
        if bot is not None:
            bot.terminate()
            bot.wait(30)
        fake.stop()


def _converse(fake: FakeTelegram, language_code: str) -> None:
    user, last, seen = 1, None, 0
    while True:
        try:
            line = input("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            break
        if line.startswith("!lang "):
            language_code = line.split(maxsplit=1)[1]
        elif line.startswith("!press "):
            labels = [b for row in ((last or {}).get("reply_markup") or {}).get("inline_keyboard", []) for b in row]
            index = int(line.split()[1]) - 1 if line.split()[1].isdigit() else -1
            if last is None or not 0 <= index < len(labels):
                print("no such button")
            else:
                fake.press(labels[index]["callback_data"], last["_message"], user_id=user, language_code=language_code)
        elif line:
            fake.user_message(line, user_id=user, language_code=language_code)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            sent = fake.messages_to(user)
            if len(sent) > seen:
                time.sleep(0.2)
                sent = fake.messages_to(user)
                for message in sent[seen:]:
                    print("\n".join(f"bot> {text}" for text in _show(message)))
                seen, last = len(sent), sent[-1]
                break
            if not line:
                break
            time.sleep(0.05)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="A local fake Telegram Bot API to chat with the bot from a terminal.")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--language", default="en", help="your app's language code, as Telegram would send it")
    parser.add_argument("--no-bot", action="store_true", help="do not start the bot; wait for one started by hand")
    parser.add_argument("--log", default="fake-chat-bot.log", help="where the bot's own log goes (default: %(default)s)")
    args = parser.parse_args()
    chat(args.port, args.language, run_bot=not args.no_bot, log_path=args.log)
