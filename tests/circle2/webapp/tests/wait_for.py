"""Waits (at most 60 s) until every HOST:PORT accepts a connection, as dockerize -wait would."""
import socket
import sys
import time

deadline = time.monotonic() + 60
for target in sys.argv[1:]:
    host, port = target.rsplit(":", 1)
    while True:
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
            print("up:", target)
            break
        except OSError:
            if time.monotonic() > deadline:
                sys.exit("timed out waiting for " + target)
            time.sleep(0.1)
