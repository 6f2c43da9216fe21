#!/usr/bin/env python3
"""LiteRT's outputs for `sparrow run MODEL.sparrow --input X.npy --compare REF.npy|REF_DIR`.

    python3 Tests/Fixtures/tflite/litert_reference.py MODEL.tflite X.npy REF.npy|REF_DIR [--kernels ref|optimized|xnnpack]

Runs MODEL.tflite in LiteRT (ai-edge-litert, or tflite-runtime) on every sample of X.npy (samples
first, in the model's input dtype and shape without its batch dimension, as `sparrow run` takes
them) and writes every output, stacked over the samples: to REF.npy for a one-output model, or
into the directory REF_DIR as <output name>.npy each (named as `sparrow run --output-dir` names
them), for `sparrow run --compare REF_DIR`. The reference kernels (BUILTIN_REF,
the default) are what Sparrow's int8 import reproduces byte for byte; `optimized` and `xnnpack`
show how far LiteRT's own fast kernels are from them (Docs/tflite-import.md).

A reference check, not part of Sparrow: the product cannot link LiteRT, so the comparison
`sparrow run --compare MODEL.tflite` asks for takes these outputs instead.
"""

import os
import sys

import numpy as np

try:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
except ImportError:  # the older package name
    from tflite_runtime.interpreter import Interpreter, OpResolverType


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    kernels = "ref"
    if "--kernels" in argv:
        kernels = argv[argv.index("--kernels") + 1]
        args.remove(kernels)
    if len(args) != 3:
        sys.exit(__doc__)
    model, inputs, out = args
    resolver = {"ref": OpResolverType.BUILTIN_REF, "optimized": OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
                "xnnpack": OpResolverType.BUILTIN}[kernels]
    it = Interpreter(model_path=model, experimental_op_resolver_type=resolver, num_threads=1)
    it.allocate_tensors()
    (detail,) = it.get_input_details()  # one input, as `sparrow run` feeds
    x = np.load(inputs)
    if x.dtype != detail["dtype"]:
        sys.exit(f"{inputs} is {x.dtype}; the model's input is {np.dtype(detail['dtype']).name}")
    per_sample = int(np.prod(detail["shape"]))
    if x.size % per_sample:
        sys.exit(f"{inputs}: {x.size} values are not whole samples of {per_sample}")
    samples = x.reshape(-1, *detail["shape"])
    outputs = it.get_output_details()
    results = [[] for _ in outputs]
    for sample in samples:
        it.set_tensor(detail["index"], sample)
        it.invoke()
        for k, d in enumerate(outputs):
            results[k].append(it.get_tensor(d["index"]).copy())
    if not out.lower().endswith(".npy"):
        os.makedirs(out, exist_ok=True)
    elif len(outputs) != 1:
        sys.exit(f"the model has {len(outputs)} outputs: give a directory instead of {out} (one <output name>.npy each)")
    names = []
    for k, (d, r) in enumerate(zip(outputs, results)):
        y = np.stack(r)
        # `sparrow run` writes [samples] + the output shape without a leading batch of 1.
        if y.ndim >= 2 and y.shape[1] == 1:
            y = y.reshape(y.shape[0], *y.shape[2:])
        path = out if out.lower().endswith(".npy") else os.path.join(out, output_file_name(d["name"], k, names))
        names.append(d["name"])
        np.save(path, y)
        print(f"wrote {path}: {y.shape} {y.dtype}, LiteRT {kernels} kernels, {len(samples)} samples")


def output_file_name(name, k, earlier):
    """Sparrow's OutputFileName rule: A-Z a-z 0-9 . _ - kept (a leading '.' becomes '_'), other
    bytes '_', at most 200 bytes; '_<k>' appended when an earlier output has the same stem or the
    name is empty ('output_<k>')."""
    def stem(n):
        b = n.encode()[:200]
        return "".join(chr(c) if (chr(c).isascii() and (chr(c).isalnum() or chr(c) in "._-")) and not (i == 0 and c == 46)
                       else "_" for i, c in enumerate(b))
    own = stem(name)
    if not own:
        return f"output_{k}.npy"
    if any(stem(e) == own for e in earlier):
        return f"{own}_{k}.npy"
    return own + ".npy"


if __name__ == "__main__":
    main(sys.argv[1:])
