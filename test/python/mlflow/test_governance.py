"""MLflow's own client against runledger's governance: setting a protected alias is refused with
the promotion request's URL in the error, and (MLflow 3) webhooks registered with MlflowClient
receive MLflow's registry payloads, signed the way MLflow signs them."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer

import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from sklearn.linear_model import LogisticRegression


MLFLOW_3 = int(mlflow.__version__.split(".")[0]) >= 3


pytestmark = pytest.mark.usefixtures("tracking_server")


class Receiver(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["content-length"])).decode()
        Receiver.received.append({"headers": dict(self.headers), "body": body, "json": json.loads(body)})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture()
def receiver():
    Receiver.received = []
    httpd = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}/hook"
    httpd.shutdown()


def registered_version(name: str) -> str:
    with mlflow.start_run():
        model = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
        info = mlflow.sklearn.log_model(model, name="model") if MLFLOW_3 else mlflow.sklearn.log_model(model, artifact_path="model")
    return mlflow.register_model(info.model_uri, name).version


def test_a_protected_alias_is_refused_with_the_request_url(server):
    experiment = f"gov-{uuid.uuid4().hex[:8]}"
    mlflow.set_experiment(experiment)
    name = f"gov-model-{uuid.uuid4().hex[:8]}"
    version = registered_version(name)
    server.graphql("mutation($i: ProtectAliasInput!) { protectAlias(input: $i) { __typename } }",
                   {"i": {"project": experiment, "alias": "production", "requirements": [{"count": 1, "users": ["release-manager"]}]}})
    with pytest.raises(MlflowException) as refused:
        MlflowClient().set_registered_model_alias(name, "production", version)
    assert refused.value.error_code == "PERMISSION_DENIED"
    assert f"{server.url}/promotions/" in refused.value.message
    assert "needs approval from 1 of release-manager" in refused.value.message
    # Nothing moved; an unprotected alias still moves as MLflow expects.
    with pytest.raises(MlflowException):
        MlflowClient().get_model_version_by_alias(name, "production")
    MlflowClient().set_registered_model_alias(name, "staging", version)
    assert MlflowClient().get_model_version_by_alias(name, "staging").version == version


@pytest.mark.skipif(not MLFLOW_3, reason="webhooks are an MLflow 3 API")
def test_webhooks_registered_with_mlflow_receive_signed_registry_events(server, receiver):
    client = MlflowClient()
    hook = client.create_webhook(name="deploy", url=receiver, events=["model_version_alias.created", "model_version.created"], secret="s3cret")
    assert hook.status.value == "ACTIVE" and {str(e) for e in hook.events} == {"model_version_alias.created", "model_version.created"}
    assert client.get_webhook(hook.webhook_id).name == "deploy"
    assert hook.webhook_id in [w.webhook_id for w in client.list_webhooks()]

    mlflow.set_experiment(f"gov-hooks-{uuid.uuid4().hex[:8]}")
    name = f"hooked-{uuid.uuid4().hex[:8]}"
    version = registered_version(name)
    client.set_registered_model_alias(name, "champion", version)
    deadline = time.monotonic() + 30
    while len([r for r in Receiver.received if r["json"]["data"].get("name") == name]) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    mine = [r for r in Receiver.received if r["json"]["data"].get("name") == name]
    assert [(r["json"]["entity"], r["json"]["action"]) for r in mine] == [("model_version", "created"), ("model_version_alias", "created")]
    assert mine[1]["json"]["data"] == {"name": name, "alias": "champion", "version": str(version)}
    for r in mine:
        h = {k.lower(): v for k, v in r["headers"].items()}
        signed = f"{h['x-mlflow-delivery-id']}.{h['x-mlflow-timestamp']}.{r['body']}"
        expected = base64.b64encode(hmac.new(b"s3cret", signed.encode(), hashlib.sha256).digest()).decode()
        assert h["x-mlflow-signature"] == f"v1,{expected}"

    result = client.test_webhook(hook.webhook_id)
    assert result.success and result.response_status == 204
    client.update_webhook(hook.webhook_id, status="DISABLED")
    assert client.get_webhook(hook.webhook_id).status.value == "DISABLED"
    client.delete_webhook(hook.webhook_id)
    with pytest.raises(MlflowException):
        client.get_webhook(hook.webhook_id)
