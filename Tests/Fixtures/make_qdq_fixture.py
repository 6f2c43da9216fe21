"""QDQ fixture: digits_cnn.onnx statically quantized by onnxruntime (QuantizeLinear/DequantizeLinear
pairs, int8 activations, per-channel int8 weights, float biases), calibrated on digits_calib.npy.

Run from the repository root:  python3 Tests/Fixtures/make_qdq_fixture.py
Writes Tests/Fixtures/digits/digits_cnn_qdq.onnx and prints onnxruntime's top-1 accuracy of the
QDQ model on digits_test_x.npy (the converter's int8 result is compared against float in Swift).
"""
import os
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "digits")


class DigitsReader(CalibrationDataReader):
    def __init__(self):
        calib = np.load(os.path.join(HERE, "digits_calib.npy"))
        self.samples = iter([{"input": calib[i:i + 1]} for i in range(calib.shape[0])])

    def get_next(self):
        return next(self.samples, None)


def main():
    src = os.path.join(HERE, "digits_cnn.onnx")
    dst = os.path.join(HERE, "digits_cnn_qdq.onnx")
    with tempfile.TemporaryDirectory() as tmp:
        pre = os.path.join(tmp, "pre.onnx")
        quant_pre_process(src, pre, skip_symbolic_shape=True)
        quantize_static(pre, dst, DigitsReader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                        # Float biases: int32 bias DequantizeLinear is not imported yet.
                        extra_options={"QuantizeBias": False})
    model = onnx.load(dst)
    ops = sorted({n.op_type for n in model.graph.node})
    sess = ort.InferenceSession(dst, providers=["CPUExecutionProvider"])
    x = np.load(os.path.join(HERE, "digits_test_x.npy"))
    y = np.load(os.path.join(HERE, "digits_test_y.npy"))
    pred = np.concatenate([sess.run(None, {"input": x[i:i + 1]})[0] for i in range(x.shape[0])]).argmax(1)
    print(f"{dst}: {os.path.getsize(dst)} bytes, ops {ops}, onnxruntime QDQ top-1 {np.mean(pred == y):.4f}")


if __name__ == "__main__":
    main()
