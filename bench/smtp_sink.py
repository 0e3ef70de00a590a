"""A counting SMTP sink for benchmarks: ``python bench/smtp_sink.py PORT``.

Accepts every message, parses nothing, and prints the count to stdout when it stops.
"""

import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Counter:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def main() -> None:
    port = int(sys.argv[1])
    handler = Counter()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    done.wait()
    controller.stop()
    print(handler.count, flush=True)


if __name__ == "__main__":
    main()
