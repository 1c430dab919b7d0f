#!/usr/bin/env python3
"""An OTLP/HTTP receiver that accepts and drops everything: the far end of the telemetry overhead measurement
(docs/benchmarks.md). Counts what it received, per signal, and prints the totals when stopped (Ctrl-C or SIGTERM).

    python3 src/Symphony.Cli/Bench/otlp-sink.py [port, default 4318]
    OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf <server>
"""
import signal
import sys
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

received = Counter()


class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        received[self.path + " requests"] += 1
        received[self.path + " bytes"] += len(body)
        # An empty Export*ServiceResponse: everything accepted.
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def stop(*_):
    for key, value in sorted(received.items()):
        print(f"{key}: {value}", flush=True)
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 4318), Sink).serve_forever()
