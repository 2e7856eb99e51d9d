"""Rich data in the server's media contract (docs/media.md): images from numpy and PIL, tables
from pandas, histograms, matplotlib figures per step, and the console output. The encodings are
checked here against the libraries that read them; the uploads against a server that has the
media kinds (they land with the dashboard's media work; until then these tests skip and say so)."""
from __future__ import annotations

import io
import json

import numpy
import pandas
import pytest
from PIL import Image

import runledger
from conftest import run_id_in, run_script, unique
from runledger import media

MEDIA_KEYS = """query($id: ID!) { run(id: $id) { mediaKeys { key kind count steps } } }"""


def test_arrays_become_pngs_any_reader_decodes():
    grey = (numpy.arange(12, dtype=numpy.uint8) * 20).reshape(3, 4)
    rgb = numpy.random.default_rng(0).random((5, 7, 3))  # floats in 0..1
    rgba = numpy.zeros((2, 2, 4), dtype=numpy.uint8) + 200
    for array in (grey, rgb, rgba):
        data, media_type = media.image_bytes(array)
        assert media_type == "image/png" and data.startswith(media.PNG_MAGIC)
        decoded = numpy.asarray(Image.open(io.BytesIO(data)))
        expected = array if array.dtype == numpy.uint8 else numpy.round(array * 255).astype(numpy.uint8)
        assert decoded.shape == expected.shape and (decoded == expected).all()
    pil = Image.new("RGB", (3, 2), (10, 20, 30))
    assert media.image_bytes(pil)[1] == "image/png"
    with pytest.raises(ValueError, match="SVG is refused"):
        media.image_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'/>")


def test_tables_and_histograms_in_the_contracts_shape():
    df = pandas.DataFrame({"id": [1, 2], "label": ["cat", "dog"], "score": [0.9, float("nan")]})
    assert json.loads(media.table_json(df)) == {"columns": ["id", "label", "score"], "data": [[1, "cat", 0.9], [2, "dog", None]]}
    assert json.loads(media.table_json([{"a": 1}, {"a": 2, "b": "x"}])) == {"columns": ["a", "b"], "data": [[1, None], [2, "x"]]}
    values = numpy.random.default_rng(1).normal(size=1000)
    h = json.loads(media.histogram_json(values, bins=10))
    counts, edges = numpy.histogram(values, bins=10)
    assert h == {"bins": edges.tolist(), "counts": counts.tolist()}


def has_media(server) -> bool:
    kinds = server.graphql('{ __type(name: "ArtifactKind") { enumValues { name } } }')["__type"]["enumValues"]
    return "IMAGE" in {k["name"] for k in kinds}


def test_media_and_console_logged_per_step(server, client_env):
    if not has_media(server):
        pytest.skip("this server has no media kinds yet (docs/media.md lands with the dashboard's media work)")
    out = run_script(f"""
        import numpy, pandas, matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import runledger
        with runledger.start_run({unique('media')!r}, capture=["console"]) as run:
            print("RUN_ID=" + run.id, flush=True)
            for step in (0, 10):
                run.log_image("samples", numpy.full((4, 4, 3), step * 10, dtype=numpy.uint8), step=step)
                run.log_image("samples", numpy.zeros((4, 4)), step=step, index=1)
                run.log_table("predictions", pandas.DataFrame({{"y": [1, 0], "p": [0.8, 0.3]}}), step=step)
                run.log_histogram("weights/layer1", numpy.random.default_rng(step).normal(size=100), step=step)
                fig, ax = plt.subplots()
                ax.plot([0, 1], [step, step + 1])
                run.log_figure("curve", fig, step=step)
                print(f"epoch {{step}} done")
    """, client_env)
    assert out.returncode == 0, out.stderr
    assert "epoch 10 done" in out.stdout  # still printed
    run_id = run_id_in(out)
    keys = {k["key"]: k for k in server.graphql(MEDIA_KEYS, {"id": run_id})["run"]["mediaKeys"]}
    assert keys["samples"]["kind"] == "IMAGE" and keys["samples"]["count"] == 4 and keys["samples"]["steps"] == [0, 10]
    assert keys["predictions"]["kind"] == "TABLE" and keys["weights/layer1"]["kind"] == "HISTOGRAM"
    assert keys["curve"]["kind"] == "PLOT" and keys["console"]["kind"] == "CONSOLE"
    detail = server.graphql("query($id: ID!) { run(id: $id) { artifacts(kind: CONSOLE) { downloadUrl } } }", {"id": run_id})
    import urllib.request

    text = urllib.request.urlopen(server.url + detail["run"]["artifacts"][0]["downloadUrl"]).read().decode()
    assert "epoch 0 done" in text and "epoch 10 done" in text
