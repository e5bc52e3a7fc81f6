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

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signalchain.web.app import create_app
from tests.conftest import EXAMPLES

SEED = (EXAMPLES / "01-headphone-out-to-splitter.yaml").read_text()

WORKSPACE = Path(tempfile.mkdtemp(prefix="signalchain-fuzz-"))
atexit.register(shutil.rmtree, WORKSPACE, True)  # rigs the fuzzer saved
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(workspace=WORKSPACE,
                                                                   allowed_hosts=("testserver",)))


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


# ---- the page's own routes (form posts, not in the schema) -----------------------------------

PAGE_ROUTES = ("/ui/gear", "/ui/advise", "/ui/use", "/ui/open", "/ui/simulate", "/ui/tune")
FIELDS = ("rig", "action", "model", "listener", "label", "z_ohm", "sensitivity",
          "sensitivity_unit", "plug", "priority", "target_spl_db", "index",
          "knob:hm4.out1", "knob:scarlett.headphones")


def _form_values() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=40),
        st.sampled_from([SEED, SEED.replace("hm4", "hm5"), "", "nan", "inf", "-1", "1e400",
                         "9" * 400, "60%", "add-listener", "set-amp", "remove",
                         "mackie-hm-4", "trs-6.35", "dB/V", "convenience", "<b>x</b>"]),
        st.floats(allow_nan=True).map(str))


@pytest.fixture(scope="module")
def page_client():
    from fastapi.testclient import TestClient

    with TestClient(create_app(workspace=WORKSPACE), base_url="http://127.0.0.1",
                    raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize("route", PAGE_ROUTES)
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(form=st.dictionaries(st.sampled_from(FIELDS), _form_values(), max_size=8))
def test_no_page_form_makes_a_server_error(page_client, route: str, form: dict[str, str]
                                           ) -> None:
    response = page_client.post(route, data=form)
    assert response.status_code < 500 or response.status_code == 503, (
        route, form, response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("text/html"), (route, response.text)
    assert "Traceback" not in response.text and "<b>x</b>" not in response.text
