#!/usr/bin/env python3
"""A webhook receiver for tests and for trying Quantarya's outbound webhooks.

It verifies every delivery with the `standardwebhooks` package (the Standard Webhooks reference implementation
for Python, independent of the Rust code that signs), and appends one JSON line per request to --log:
{"id", "type", "trade_id", "status", "verified", "error"}. What it answers is read from --mode at each request:
a missing file or "up" answers 204, "down" 503, "gone" 410, "slow:<seconds>" logs {"id", "arrived": true} and answers 204 after that long,
"retry-after:<seconds>" answers 429 with that Retry-After. The signing secret is read from --secret-file at each
request (it is known only once the subscription is made).

    python3 scripts/webhook-receiver.py --port 9000 --secret-file secret --log deliveries.jsonl
"""

import argparse
import json
import pathlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook

LOCK = threading.Lock()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret-file", type=pathlib.Path, required=True)
    parser.add_argument("--log", type=pathlib.Path, required=True)
    parser.add_argument("--mode", type=pathlib.Path)
    args = parser.parse_args()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            mode = args.mode.read_text().strip() if args.mode and args.mode.exists() else "up"
            status, extra = 204, {}
            if mode == "down":
                status = 503
            elif mode == "gone":
                status = 410
            elif mode.startswith("slow:"):
                with LOCK, args.log.open("a") as log:
                    log.write(json.dumps({"id": self.headers.get("webhook-id"), "arrived": True}) + "\n")
                time.sleep(float(mode.split(":", 1)[1]))
            elif mode.startswith("retry-after:"):
                status, extra = 429, {"Retry-After": mode.split(":", 1)[1]}
            entry = {"id": self.headers.get("webhook-id"), "status": status, "at": time.time()}
            try:
                secret = args.secret_file.read_text().strip()
                payload = Webhook(secret).verify(body, dict(self.headers))
                entry.update(verified=True, type=payload["type"], trade_id=payload["data"]["trade_id"])
            except Exception as error:  # a failed verification is recorded, not raised
                entry.update(verified=False, error=str(error))
            with LOCK, args.log.open("a") as log:
                log.write(json.dumps(entry) + "\n")
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    ThreadingHTTPServer(("127.0.0.1", args.port), Receiver).serve_forever()


if __name__ == "__main__":
    main()
