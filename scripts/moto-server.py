"""moto's server, with DynamoDB requests served one at a time.

moto_server is threaded, and moto checks a write's conditions and then
applies it without a lock, so two concurrent conditional writes can both
pass: something real DynamoDB never allows. The store tests race
conditional writes on purpose (client ids, session counters, the index log
head), so DynamoDB calls are serialised here, as DynamoDB's per-item
atomicity would have them. SQS and EventBridge stay concurrent (SQS long
polls must not block the rest).

Usage: moto-server.py HOST PORT
"""

import sys
import threading

from moto.moto_server.threaded_moto_server import DomainDispatcherApplication
from moto.server import MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple

host, port = sys.argv[1], int(sys.argv[2])
app = DomainDispatcherApplication(create_backend_app)
dynamodb = threading.Lock()


def serialised(environ, start_response):
    if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
        with dynamodb:
            # The body is produced inside the lock.
            return list(app(environ, start_response))
    return app(environ, start_response)


run_simple(host, port, serialised, threaded=True, request_handler=MotoRequestHandler)
