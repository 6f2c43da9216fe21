#!/usr/bin/env python3
"""models/concat_rescaled.int8.tflite: concat_relu.int8.tflite with the first CONCATENATION input's
scale ×0.7 and zero point +5 (TF's schema object API), so its inputs' quantization differs from
the output's — which TF's converter never writes. Records in manifest.json ("concat_rescaled")
what LiteRT does with it: its int8 CONCATENATION refuses it at Prepare, with the reference and
the optimized kernels alike, so there are no LiteRT outputs to reproduce; Sparrow's int8 import
refuses it with an error that says so (TFLiteConversionTests).

Run from the repository root after make_tflite_fixtures.py (needs tensorflow-cpu, ai-edge-litert):

    python3 Tests/Fixtures/tflite/make_concat_rescaled.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_tflite_fixtures as fx  # noqa: E402  (sets TF's environment before importing it)

import flatbuffers  # noqa: E402
import numpy as np  # noqa: E402
from tensorflow.lite.python import schema_py_generated as schema  # noqa: E402
from ai_edge_litert.interpreter import OpResolverType  # noqa: E402

OUT = fx.OUT


def main():
    blob = (OUT / "models" / "concat_relu.int8.tflite").read_bytes()
    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(blob, 0))
    g = m.subgraphs[0]
    (op,) = [o for o in g.operators
             if m.operatorCodes[o.opcodeIndex].builtinCode == schema.BuiltinOperator.CONCATENATION]
    q = g.tensors[op.inputs[0]].quantization
    q.scale = np.array([q.scale[0] * np.float32(0.7)], dtype=np.float32)
    q.zeroPoint = np.array([q.zeroPoint[0] + 5], dtype=np.int64)
    builder = flatbuffers.Builder(0)
    builder.Finish(m.Pack(builder), file_identifier=b"TFL3")
    patched = bytes(builder.Output())
    (OUT / "models" / "concat_rescaled.int8.tflite").write_bytes(patched)
    outcome = {}
    for name, resolver in (("reference", OpResolverType.BUILTIN_REF),
                           ("optimized", OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)):
        try:
            fx.interpreter(patched, resolver)
            outcome[name] = "allocated"
        except RuntimeError as e:
            # The numbers LiteRT prints in parentheses differ between runs: keep the check only.
            outcome[name] = str(e).split(" (")[0].strip()
    print(outcome)
    if any(v == "allocated" for v in outcome.values()):
        sys.exit("LiteRT accepted the rescaled concatenation: record its outputs as goldens instead")
    manifest = json.loads((OUT / "manifest.json").read_text())
    manifest["concat_rescaled"] = {"file": "models/concat_rescaled.int8.tflite",
                                   "input0": {"scale": float(q.scale[0]), "zero_point": int(q.zeroPoint[0])},
                                   "litert_allocate_tensors": outcome}
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    main()
