#!/usr/bin/env python3
"""LiteRT's outputs for `sparrow run MODEL.sparrow --input X.npy --compare REF.npy`.

    python3 Tests/Fixtures/tflite/litert_reference.py MODEL.tflite X.npy REF.npy [--kernels ref|optimized|xnnpack]

Runs MODEL.tflite in LiteRT (ai-edge-litert, or tflite-runtime) on every sample of X.npy (samples
first, in the model's input dtype and shape without its batch dimension, as `sparrow run` takes
them) and writes output 0 of each, stacked, to REF.npy. The reference kernels (BUILTIN_REF,
the default) are what Sparrow's int8 import reproduces byte for byte; `optimized` and `xnnpack`
show how far LiteRT's own fast kernels are from them (Docs/tflite-import.md).

A reference check, not part of Sparrow: the product cannot link LiteRT, so the comparison
`sparrow run --compare MODEL.tflite` asks for takes these outputs instead.
"""

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
    output = it.get_output_details()[0]["index"]
    results = []
    for sample in samples:
        it.set_tensor(detail["index"], sample)
        it.invoke()
        results.append(it.get_tensor(output).copy())
    y = np.stack(results)
    # `sparrow run` writes [samples] + the output shape without a leading batch of 1.
    if y.ndim >= 2 and y.shape[1] == 1:
        y = y.reshape(y.shape[0], *y.shape[2:])
    np.save(out, y)
    print(f"wrote {out}: {y.shape} {y.dtype}, LiteRT {kernels} kernels, {len(samples)} samples")


if __name__ == "__main__":
    main(sys.argv[1:])
