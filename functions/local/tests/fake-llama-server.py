#!/usr/bin/env python3
"""A stand-in for llama.cpp's llama-server in the lifecycle tests: it takes
the same arguments, records them, serves /health and an OpenAI-compatible
/v1/chat/completions, and binds where it is told."""
import json, os, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

args = sys.argv[1:]
opt = lambda name: args[args.index(name) + 1]
with open(opt("--model") + ".args", "w") as f:
    json.dump(args, f)
with open(opt("--model") + ".pid", "w") as f:
    f.write(str(os.getpid()))

class Handler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/health":
            self.reply(200, {"status": "ok"})
        else:
            self.reply(404, {"error": {"message": "not found"}})

    def do_POST(self):
        n = int(self.headers.get("content-length", 0))
        req = json.loads(self.rfile.read(n))
        if self.path != "/v1/chat/completions":
            return self.reply(404, {"error": {"message": "not found"}})
        self.reply(200, {
            "object": "chat.completion",
            "model": opt("--alias"),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": "local hello (%d messages)." % len(req["messages"])}}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 3},
        })

ThreadingHTTPServer((opt("--host"), int(opt("--port"))), Handler).serve_forever()
