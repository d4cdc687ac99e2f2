"""A counting SMTP sink (aiosmtpd) for the notifier benchmark, run as its own process.

Usage: python bench/notifier_sink.py PORT LATENCY_MS ACCEPTED_LOG — prints "ready" once it
listens, then, whenever its count moved, "received <count> <time of the last acceptance>".
LATENCY_MS delays each answer to DATA, as a relay across a network would. ACCEPTED_LOG gets
one line "<recipient> <unix time>" per accepted message: when the sink said 250, the start of
the sender's in-doubt window.
"""

import asyncio
import sys
import time
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

REPORT_EVERY = 0.05  # seconds; the report carries the exact time, so this is only latency


class Counter:
    def __init__(self, latency: float, log: Path) -> None:
        self.latency = latency
        self.received = 0
        self.last = 0.0
        self.accepted: list[str] = []
        self.log = log

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        if self.latency:
            await asyncio.sleep(self.latency)
        self.received += len(envelope.rcpt_tos)
        # Taken just before "250" goes on the wire: the message is accepted from here on.
        self.last = time.time()
        self.accepted.extend(f"{rcpt} {self.last:.6f}\n" for rcpt in envelope.rcpt_tos)
        return "250 OK"

    async def report(self) -> None:
        reported = 0
        while True:
            await asyncio.sleep(REPORT_EVERY)
            if self.received == reported:
                continue
            # Written in batches, so that logging costs the same for every sender measured.
            lines, self.accepted = self.accepted, []
            with self.log.open("a") as out:
                out.writelines(lines)
            reported = self.received
            print("received", reported, f"{self.last:.6f}", flush=True)


async def main(port: int, latency: float, log: Path) -> None:
    loop = asyncio.get_running_loop()
    counter = Counter(latency, log)
    server = await loop.create_server(lambda: SMTP(counter, hostname="sink"), "127.0.0.1", port)
    reporter = asyncio.create_task(counter.report())
    print("ready", flush=True)
    try:
        async with server:
            await server.serve_forever()
    finally:
        reporter.cancel()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), float(sys.argv[2]) / 1000, Path(sys.argv[3])))
