"""An example application under test: a small inventory service on NATS (nats-py).

It answers requests on `inventory.get` and runs an ADR-32 micro service `inventory` (so discovery sees it),
and logs what happens to its connection, one line each. natsfault starts it with:
  NATS_URL          its first server (through natsfault's proxy link)
  NATS_URLS         every server, comma-separated
  NATS_CLIENT_NAME  the name its connection carries (the server's /connz shows it)

Its reconnect settings come from the command line, which is what the two bundled variants differ in:
  --max-reconnects N   -1: forever (the well-configured variant); 0: never (the misconfigured one)
  --reconnect-wait MS  between attempts
It exits 0 on SIGTERM, and 1 when its connection is closed for good.
"""

import argparse
import asyncio
import os
import signal
import sys

import nats
from nats.micro import add_service
from nats.micro.service import EndpointConfig, ServiceConfig


def log(text):
    print(f"inventory: {text}", flush=True)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-reconnects", type=int, default=60)
    parser.add_argument("--reconnect-wait", type=int, default=2000, help="milliseconds")
    args = parser.parse_args()

    urls = os.environ.get("NATS_URLS") or os.environ.get("NATS_URL") or "nats://127.0.0.1:4222"
    name = os.environ.get("NATS_CLIENT_NAME", "inventory")
    done = asyncio.get_running_loop().create_future()

    async def disconnected():
        log("disconnected")

    async def reconnected():
        log(f"reconnected to {nc.connected_url.geturl() if nc.connected_url else '?'}")

    async def closed():
        log("connection closed")
        if not done.done():
            done.set_result(1)

    async def error(e):
        log(f"error: {e}")

    # nats.py reads max_reconnect_attempts 0 as "forever"; never reconnecting is allow_reconnect=False.
    options = dict(servers=urls.split(","), name=name, reconnect_time_wait=args.reconnect_wait / 1000,
                   disconnected_cb=disconnected, reconnected_cb=reconnected, closed_cb=closed, error_cb=error)
    if args.max_reconnects == 0:
        options["allow_reconnect"] = False
    else:
        options["max_reconnect_attempts"] = args.max_reconnects
    nc = await nats.connect(**options)
    log(f"connected to {nc.connected_url.geturl()} as {name} (max reconnects {args.max_reconnects}, wait {args.reconnect_wait} ms)")

    stock = {"widgets": 42}

    async def get(msg):
        await msg.respond(f"widgets {stock['widgets']}".encode())

    await nc.subscribe("inventory.get", cb=get)

    async def handle(req):
        await req.respond(f"widgets {stock['widgets']}".encode())

    service = await add_service(nc, ServiceConfig(name="inventory", version="1.0.0", description="example application"))
    await service.add_endpoint(EndpointConfig(name="stock", subject="inventory.stock", handler=handle))
    log("serving inventory.get and the micro service inventory")

    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, lambda: done.done() or done.set_result(0))
    code = await done
    if code == 0:
        log("stopping")
        try:
            await service.stop()
            await nc.close()
        except Exception:
            pass
    sys.exit(code)


asyncio.run(main())
