"""A counting SMTP sink (aiosmtpd) for the notifier benchmark, run as its own process.

Usage: python bench/notifier_sink.py PORT [LATENCY_MS] — prints "ready" once it listens.
LATENCY_MS delays each answer to DATA, as a relay across a network would.
"""

import asyncio
import sys

from aiosmtpd.smtp import SMTP, Envelope, Session


class Counter:
    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.received = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        if self.latency:
            await asyncio.sleep(self.latency)
        self.received += len(envelope.rcpt_tos)
        if self.received % 1000 == 0:
            # The benchmark's clock: it reads these lines as they come.
            print("received", self.received, flush=True)
        return "250 OK"


async def main(port: int, latency: float) -> None:
    loop = asyncio.get_running_loop()
    counter = Counter(latency)
    server = await loop.create_server(lambda: SMTP(counter, hostname="sink"), "127.0.0.1", port)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    latency_ms = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
    asyncio.run(main(int(sys.argv[1]), latency_ms / 1000))
