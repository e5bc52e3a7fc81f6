"""Property-based requests generated from the API's OpenAPI schema (schemathesis): no 500s.

Every operation gets random bodies, parameters and uploads within and beyond the schema;
whatever comes in, the answer is a clean 2xx or 4xx (a full render queue or a render past its
time limit may be a 503), never an internal error.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings

from signalchain.web.app import create_app

WORKSPACE = Path(tempfile.mkdtemp(prefix="signalchain-fuzz-"))
atexit.register(shutil.rmtree, WORKSPACE, True)  # rigs the fuzzer saved
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(workspace=WORKSPACE))


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_makes_a_server_error(case: schemathesis.Case) -> None:
    response = case.call()
    assert response.status_code < 500 or response.status_code == 503, (
        case.method, case.path, response.status_code, response.text[:300])
    assert "Traceback" not in response.text
    if response.status_code >= 400:
        assert response.json().get("diagnostics"), (case.path, response.status_code,
                                                    response.text[:300])
