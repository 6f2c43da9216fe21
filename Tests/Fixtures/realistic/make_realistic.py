#!/usr/bin/env python3
"""Realistic MobileNet/EfficientNet-class ONNX exports for Sparrow's converter tests.

Users bring models exported from PyTorch, PaddlePaddle (paddle2onnx) and TensorFlow (tf2onnx),
not our tiny digits nets. This script builds width-reduced versions of the real architectures,
trains each briefly on the digits data set upsampled to 64x64 colour images (so activations and
logits have realistic ranges and confident classes), and writes:

- PyTorch exports: the TorchScript exporter at opset 13 (`*_pt13.onnx`) and the dynamo exporter
  at opset 18 (`*_pt18.onnx`, when it works).
- A tf2onnx-style and a paddle2onnx-style variant, made by rewriting the TorchScript export into
  what those converters emit (see `tf_style` / `paddle_style`): NHWC graph input + Transpose,
  Conv auto_pad=SAME_UPPER, Keras ZeroPadding2D as Pad with a pads input, unfused
  BatchNormalization, HardSwish/hard-sigmoid as Add/Clip/Mul/Div chains, ReduceMean global pool
  on NHWC, Squeeze, MatMul+Add instead of Gemm, Reshape with 0/-1 shape constants, Identity,
  Cast, Softmax at the end, a symbolic batch dimension.
- calib*.npy (calibration inputs), test_x*.npy (inputs), test_y.npy (digit labels) and, per
  model, `<model>_ref.npy`: onnxruntime's outputs on test_x (graph optimizations off).

Run from the repository root:  python3 Tests/Fixtures/realistic/make_realistic.py
Deterministic on the same library versions (fixed seeds, one thread). About 2-4 minutes on CPU.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import helper, numpy_helper, TensorProto
from sklearn.datasets import load_digits

SEED = 20251125
OUT = Path(__file__).resolve().parent
SIZE = 64
CALIB_COUNT = 16
TEST_COUNT = 32
MAX_FILE_BYTES = 1_500_000
TRAIN_STEPS = 300

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)
warnings.filterwarnings("ignore")

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


# ----------------------------------------------------------------------------------------------
# Data: digits as 64x64 colour images (random foreground/background colour, noise), ImageNet
# normalization, so the first layers see the value range a real image model sees.
# ----------------------------------------------------------------------------------------------

def make_images(images, rng):
    x = torch.from_numpy(images.astype(np.float32) / 16.0)[:, None]             # [N,1,8,8]
    x = F.interpolate(x, size=(SIZE, SIZE), mode="bilinear", align_corners=False).numpy()
    n = len(x)
    # Foreground and background colours differ enough in every channel that the digit is visible.
    fg = rng.uniform(0.6, 1, (n, 3, 1, 1)).astype(np.float32)
    bg = rng.uniform(0, 0.4, (n, 3, 1, 1)).astype(np.float32)
    rgb = bg * (1 - x) + fg * x + rng.normal(0, 0.05, (n, 3, SIZE, SIZE)).astype(np.float32)
    rgb = np.clip(rgb, 0, 1)
    return ((rgb - MEAN[None, :, None, None]) / STD[None, :, None, None]).astype(np.float32)


def load_data():
    digits = load_digits()
    rng = np.random.default_rng(SEED)
    order = rng.permutation(len(digits.images))
    test_idx = order[:TEST_COUNT]
    calib_idx = order[TEST_COUNT:TEST_COUNT + CALIB_COUNT]
    train_idx = order[TEST_COUNT + CALIB_COUNT:]
    x_all = make_images(digits.images, rng)
    y_all = digits.target.astype(np.int64)
    return (x_all[train_idx], y_all[train_idx], x_all[calib_idx], x_all[test_idx], y_all[test_idx])


# ----------------------------------------------------------------------------------------------
# Architectures (torchvision is not installed: written here after the papers / reference code)
# ----------------------------------------------------------------------------------------------

def divisible(v, d=8):
    new = max(d, int(v + d / 2) // d * d)
    return new + d if new < 0.9 * v else new


def same_pads(k, s, size):
    """TensorFlow 'SAME' padding (left, right) for one spatial axis: the extra cell goes right."""
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


class ConvBN(nn.Sequential):
    """Conv + BN + activation. `tf_same`: stride-2 convs pad like TensorFlow (asymmetric F.pad,
    as timm's tf_* models do), so the export holds a Pad before the Conv."""

    def __init__(self, cin, cout, k, s=1, groups=1, act=None, tf_same=False):
        self.tf_same, self.k, self.s = tf_same and s > 1, k, s
        pad = 0 if self.tf_same else (k - 1) // 2
        layers = [nn.Conv2d(cin, cout, k, s, pad, groups=groups, bias=False), nn.BatchNorm2d(cout)]
        if act is not None:
            layers.append(act())
        super().__init__(*layers)

    def forward(self, x):
        if self.tf_same:
            l, r = same_pads(self.k, self.s, x.shape[-1])
            t, b = same_pads(self.k, self.s, x.shape[-2])
            x = F.pad(x, (l, r, t, b))
        return super().forward(x)


class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1x1 expand + ReLU6, 3x3 depthwise + ReLU6, linear 1x1 projection."""

    def __init__(self, cin, cout, s, t, tf_same):
        super().__init__()
        hidden = cin * t
        layers = []
        if t != 1:
            layers.append(ConvBN(cin, hidden, 1, act=nn.ReLU6))
        layers += [ConvBN(hidden, hidden, 3, s, groups=hidden, act=nn.ReLU6, tf_same=tf_same),
                   ConvBN(hidden, cout, 1)]
        self.block = nn.Sequential(*layers)
        self.residual = s == 1 and cin == cout

    def forward(self, x):
        return x + self.block(x) if self.residual else self.block(x)


class MobileNetV2(nn.Module):
    SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                (6, 160, 3, 2), (6, 320, 1, 1)]

    def __init__(self, width=0.35, last=384, classes=10, tf_same=False):
        super().__init__()
        cin = divisible(32 * width)
        layers = [ConvBN(3, cin, 3, 2, act=nn.ReLU6, tf_same=tf_same)]
        for t, c, n, s in self.SETTINGS:
            cout = divisible(c * width)
            for i in range(n):
                layers.append(InvertedResidual(cin, cout, s if i == 0 else 1, t, tf_same))
                cin = cout
        layers.append(ConvBN(cin, last, 1, act=nn.ReLU6))
        self.features = nn.Sequential(*layers)
        self.dropout = nn.Dropout(0.2)
        self.classifier = nn.Linear(last, classes)

    def forward(self, x):
        x = self.features(x)
        x = F.adaptive_avg_pool2d(x, 1)
        x = torch.flatten(x, 1)
        return self.classifier(self.dropout(x))


class SqueezeExcite(nn.Module):
    def __init__(self, channels, squeezed, act, gate, use_mean=False):
        super().__init__()
        self.reduce = nn.Conv2d(channels, squeezed, 1)
        self.expand = nn.Conv2d(squeezed, channels, 1)
        self.act, self.gate, self.use_mean = act(), gate, use_mean

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True) if self.use_mean else F.adaptive_avg_pool2d(x, 1)
        return x * self.gate(self.expand(self.act(self.reduce(s))))


class V3Block(nn.Module):
    def __init__(self, cin, k, exp, cout, se, act, s):
        super().__init__()
        layers = []
        if exp != cin:
            layers.append(ConvBN(cin, exp, 1, act=act))
        layers.append(ConvBN(exp, exp, k, s, groups=exp, act=act))
        if se:
            layers.append(SqueezeExcite(exp, divisible(exp // 4), nn.ReLU, F.hardsigmoid))
        layers.append(ConvBN(exp, cout, 1))
        self.block = nn.Sequential(*layers)
        self.residual = s == 1 and cin == cout

    def forward(self, x):
        return x + self.block(x) if self.residual else self.block(x)


class MobileNetV3Small(nn.Module):
    # kernel, expansion, out, SE, activation (RE/HS), stride — the paper's Table 2.
    SETTINGS = [(3, 16, 16, True, "RE", 2), (3, 72, 24, False, "RE", 2), (3, 88, 24, False, "RE", 1),
                (5, 96, 40, True, "HS", 2), (5, 240, 40, True, "HS", 1), (5, 240, 40, True, "HS", 1),
                (5, 120, 48, True, "HS", 1), (5, 144, 48, True, "HS", 1), (5, 288, 96, True, "HS", 2),
                (5, 576, 96, True, "HS", 1), (5, 576, 96, True, "HS", 1)]

    def __init__(self, width=0.4, head=256, classes=10):
        super().__init__()
        cin = divisible(16 * width)
        layers = [ConvBN(3, cin, 3, 2, act=nn.Hardswish)]
        for k, e, c, se, nl, s in self.SETTINGS:
            cout = divisible(c * width)
            layers.append(V3Block(cin, k, divisible(e * width), cout, se,
                                  nn.ReLU if nl == "RE" else nn.Hardswish, s))
            cin = cout
        last = divisible(576 * width)
        layers.append(ConvBN(cin, last, 1, act=nn.Hardswish))
        self.features = nn.Sequential(*layers)
        self.fc1 = nn.Linear(last, head)
        self.fc2 = nn.Linear(head, classes)

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.features(x), 1)
        x = x.view(x.size(0), -1)                    # Shape/Gather/Unsqueeze/Concat/Reshape
        return self.fc2(F.hardswish(self.fc1(x)))


class MBConv(nn.Module):
    """EfficientNet block: expand + SiLU, kxk depthwise + SiLU, SE (ReduceMean, SiLU, sigmoid
    gate), linear projection, residual."""

    def __init__(self, cin, cout, k, s, e, tf_same):
        super().__init__()
        hidden = cin * e
        layers = []
        if e != 1:
            layers.append(ConvBN(cin, hidden, 1, act=nn.SiLU))
        layers.append(ConvBN(hidden, hidden, k, s, groups=hidden, act=nn.SiLU, tf_same=tf_same))
        layers.append(SqueezeExcite(hidden, max(1, cin // 4), nn.SiLU, torch.sigmoid, use_mean=True))
        layers.append(ConvBN(hidden, cout, 1))
        self.block = nn.Sequential(*layers)
        self.residual = s == 1 and cin == cout

    def forward(self, x):
        return x + self.block(x) if self.residual else self.block(x)


class EfficientNetB0Like(nn.Module):
    # expansion, channels, repeats, stride, kernel — B0's stages, depth-reduced.
    SETTINGS = [(1, 16, 1, 1, 3), (6, 24, 2, 2, 3), (6, 40, 2, 2, 5), (6, 80, 2, 2, 3),
                (6, 112, 2, 1, 5), (6, 192, 1, 2, 5), (6, 320, 1, 1, 3)]

    def __init__(self, width=0.35, head=256, classes=10, tf_same=True):
        super().__init__()
        cin = divisible(32 * width)
        layers = [ConvBN(3, cin, 3, 2, act=nn.SiLU, tf_same=tf_same)]
        for e, c, n, s, k in self.SETTINGS:
            cout = divisible(c * width)
            for i in range(n):
                layers.append(MBConv(cin, cout, k, s if i == 0 else 1, e, tf_same))
                cin = cout
        layers.append(ConvBN(cin, head, 1, act=nn.SiLU))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(head, classes)

    def forward(self, x):
        x = self.features(x).mean((2, 3))            # ReduceMean keepdims=0
        return self.classifier(x)


# ----------------------------------------------------------------------------------------------
# Training (a few hundred Adam steps: enough for confident logits and realistic BN statistics)
# ----------------------------------------------------------------------------------------------

def init_weights(model):
    """torchvision's initialization for these networks (the PyTorch default trains MobileNetV2
    far more slowly)."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0, 0.01)
            nn.init.zeros_(m.bias)


def train(model, x, y, seed, steps=TRAIN_STEPS, lr=2e-3, fresh=True):
    if fresh:
        init_weights(model)
    gen = torch.Generator().manual_seed(seed)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-5)
    model.train()
    for step in range(steps):
        idx = torch.randint(0, len(xt), (32,), generator=gen)
        loss = F.cross_entropy(model(xt[idx]), yt[idx], label_smoothing=0.1)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    return float(loss)


# ----------------------------------------------------------------------------------------------
# Export
# ----------------------------------------------------------------------------------------------

def export_torchscript(model, path, keep_bn=False):
    x = torch.zeros(1, 3, SIZE, SIZE)
    torch.onnx.export(model, (x,), str(path), opset_version=13, dynamo=False,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      training=torch.onnx.TrainingMode.PRESERVE if keep_bn else torch.onnx.TrainingMode.EVAL,
                      do_constant_folding=True)
    return onnx.load(str(path))


def export_dynamo(model, path):
    x = torch.zeros(1, 3, SIZE, SIZE)
    program = torch.onnx.export(model, (x,), dynamo=True, opset_version=18, external_data=False,
                                input_names=["input"], output_names=["logits"])
    program.save(str(path), external_data=False)
    return onnx.load(str(path))


# ----------------------------------------------------------------------------------------------
# Graph surgery: what tf2onnx and paddle2onnx emit for the same networks
# ----------------------------------------------------------------------------------------------

class Surgery:
    def __init__(self, model):
        self.model = model
        self.graph = model.graph
        self.counter = 0

    def name(self, base):
        self.counter += 1
        return f"{base}__{self.counter}"

    def init(self, array, base):
        name = self.name(base)
        self.graph.initializer.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def const(self, name):
        for t in self.graph.initializer:
            if t.name == name:
                return numpy_helper.to_array(t)
        for n in self.graph.node:
            if n.op_type == "Constant" and n.output[0] == name:
                return numpy_helper.to_array(n.attribute[0].t)
        return None

    def producers(self):
        return {o: n for n in self.graph.node for o in n.output}

    def consumers(self, value):
        return [n for n in self.graph.node if value in n.input]

    def replace(self, old_nodes, new_nodes):
        """Puts new_nodes where the first of old_nodes was and removes old_nodes."""
        nodes = list(self.graph.node)
        first = min(nodes.index(n) for n in old_nodes)
        keep = [n for n in nodes if n not in old_nodes]
        at = sum(1 for n in nodes[:first] if n not in old_nodes)
        keep[at:at] = new_nodes
        del self.graph.node[:]
        self.graph.node.extend(keep)

    def shapes(self):
        """Every value's actual shape (onnxruntime on a zero input): shape inference cannot see
        through the exporter's computed Pad amounts."""
        probe = onnx.ModelProto()
        probe.CopyFrom(self.model)
        have = {o.name for o in probe.graph.output}
        for n in probe.graph.node:
            for o in n.output:
                if o not in have:
                    probe.graph.output.append(onnx.ValueInfoProto(name=o))
        sess = ort.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
        inp = sess.get_inputs()[0]
        dims = [d if isinstance(d, int) else 1 for d in inp.shape]
        values = sess.run(None, {inp.name: np.zeros(dims, np.float32)})
        out = {o.name: list(v.shape) for o, v in zip(sess.get_outputs(), values)}
        out[inp.name] = dims
        return out

    def prune(self):
        """Drops nodes and initializers nothing uses any more."""
        needed = {o.name for o in self.graph.output}
        live = []
        for n in reversed(list(self.graph.node)):
            if any(o in needed for o in n.output):
                live.append(n)
                needed.update(i for i in n.input if i)
        live.reverse()
        del self.graph.node[:]
        self.graph.node.extend(live)
        inits = [t for t in self.graph.initializer if t.name in needed]
        del self.graph.initializer[:]
        self.graph.initializer.extend(inits)

    # --- individual rewrites ---

    def nhwc_input(self):
        """tf2onnx keeps the Keras NHWC input and transposes it once inside the graph."""
        inp = self.graph.input[0]
        old = inp.name
        dims = inp.type.tensor_type.shape.dim
        n, c, h, w = [dims[i] for i in range(4)]
        shape = [n.dim_param or n.dim_value, h.dim_value, w.dim_value, c.dim_value]
        inp.CopyFrom(helper.make_tensor_value_info("input_1", TensorProto.FLOAT, shape))
        t = helper.make_node("Transpose", ["input_1"], [old], name="Transpose__input", perm=[0, 3, 1, 2])
        self.graph.node.insert(0, t)

    def pad_conv_same_upper(self, keep_as_pad=False):
        """Pad(F.pad subgraph) → Conv. tf2onnx: the Pad becomes Conv auto_pad=SAME_UPPER when it
        equals TF's SAME padding, or (keep_as_pad, Keras ZeroPadding2D) a Pad whose pads input is
        one int64 initializer."""
        shapes = self.shapes()
        for pad in [n for n in self.graph.node if n.op_type == "Pad"]:
            convs = self.consumers(pad.output[0])
            if len(convs) != 1 or convs[0].op_type != "Conv":
                continue
            conv = convs[0]
            in_h, in_w = shapes[pad.input[0]][2:4]
            k = [a.ints for a in conv.attribute if a.name == "kernel_shape"][0]
            s = [a.ints for a in conv.attribute if a.name == "strides"][0]
            t, b = same_pads(k[0], s[0], in_h)
            l, r = same_pads(k[1], s[1], in_w)
            if keep_as_pad:
                pads = self.init(np.array([0, 0, t, l, 0, 0, b, r], np.int64), "const_fold_opt")
                value = self.init(np.array(0, np.float32), "const_pad_value")
                new = helper.make_node("Pad", [pad.input[0], pads, value], [pad.output[0]],
                                       name=pad.name or self.name("Pad"), mode="constant")
                self.replace([pad], [new])
            else:
                conv.input[0] = pad.input[0]
                for a in list(conv.attribute):
                    if a.name == "pads":
                        conv.attribute.remove(a)
                conv.attribute.append(helper.make_attribute("auto_pad", "SAME_UPPER"))
        self.prune()

    def hardswish_chain(self, divide=True):
        """HardSwish → x * Clip(x + 3, 0, 6) / 6 (Keras hard_swish through tf2onnx)."""
        three = self.init(np.array(3, np.float32), "three")
        zero = self.init(np.array(0, np.float32), "zero")
        six = self.init(np.array(6, np.float32), "six")
        sixth = self.init(np.array(1 / 6, np.float32), "one_sixth")
        for n in [n for n in self.graph.node if n.op_type == "HardSwish"]:
            x, y = n.input[0], n.output[0]
            a, c, m = self.name("add"), self.name("relu6"), self.name("mul")
            nodes = [helper.make_node("Add", [x, three], [a], name=self.name("Add")),
                     helper.make_node("Clip", [a, zero, six], [c], name=self.name("Relu6")),
                     helper.make_node("Mul", [x, c], [m], name=self.name("Mul"))]
            nodes.append(helper.make_node("Div", [m, six], [y], name=self.name("truediv")) if divide
                         else helper.make_node("Mul", [m, sixth], [y], name=self.name("Mul")))
            self.replace([n], nodes)

    def hardsigmoid_chain(self):
        """HardSigmoid(x/6+1/2) → Clip(x + 3, 0, 6) * (1/6) (Keras hard_sigmoid in MobileNetV3)."""
        three = self.init(np.array(3, np.float32), "three")
        zero = self.init(np.array(0, np.float32), "zero")
        six = self.init(np.array(6, np.float32), "six")
        sixth = self.init(np.array(1 / 6, np.float32), "one_sixth")
        for n in [n for n in self.graph.node if n.op_type == "HardSigmoid"]:
            a, c = self.name("add"), self.name("relu6")
            self.replace([n], [helper.make_node("Add", [n.input[0], three], [a], name=self.name("Add")),
                               helper.make_node("Clip", [a, zero, six], [c], name=self.name("Relu6")),
                               helper.make_node("Mul", [c, sixth], [n.output[0]], name=self.name("Mul"))])

    def gemm_to_matmul_add(self, reshape_flatten=None, nhwc_pool=False, squeeze_pool=False):
        """Gemm(transB) → MatMul(W^T) + Add(b), as both converters emit Dense/Linear layers. The
        global pool before the first one becomes ReduceMean on NHWC (tf2onnx) or
        GlobalAveragePool+Squeeze / Reshape [0,-1] (paddle2onnx)."""
        for g in [n for n in self.graph.node if n.op_type == "Gemm"]:
            w = self.const(g.input[1])
            b = self.const(g.input[2])
            trans_b = any(a.name == "transB" and a.i == 1 for a in g.attribute)
            wt = w.T if trans_b else w
            mm = self.name("MatMul_out")
            nodes = [helper.make_node("MatMul", [g.input[0], self.init(np.ascontiguousarray(wt), "dense_kernel")],
                                      [mm], name=self.name("MatMul")),
                     helper.make_node("Add", [mm, self.init(b, "dense_bias")], [g.output[0]], name=self.name("BiasAdd"))]
            self.replace([g], nodes)
        for pool in [n for n in self.graph.node if n.op_type == "GlobalAveragePool"]:
            users = self.consumers(pool.output[0])
            if len(users) != 1 or users[0].op_type not in ("Flatten", "Reshape"):
                continue
            flat = users[0]
            if nhwc_pool:
                t = self.name("pool_nhwc")
                nodes = [helper.make_node("Transpose", [pool.input[0]], [t], name=self.name("Transpose"), perm=[0, 2, 3, 1]),
                         helper.make_node("ReduceMean", [t], [flat.output[0]], name=self.name("Mean"), axes=[1, 2], keepdims=0)]
            elif squeeze_pool:
                p = self.name("pool")
                nodes = [helper.make_node("GlobalAveragePool", [pool.input[0]], [p], name=pool.name),
                         helper.make_node("Squeeze", [p, self.init(np.array([2, 3], np.int64), "squeeze_axes")],
                                          [flat.output[0]], name=self.name("Squeeze"))]
            else:
                p = self.name("pool")
                nodes = [helper.make_node("GlobalAveragePool", [pool.input[0]], [p], name=pool.name),
                         helper.make_node("Reshape", [p, self.init(np.array([0, -1], np.int64), "reshape_shape")],
                                          [flat.output[0]], name=self.name("Reshape"))]
            old = [pool, flat]
            # A view(x.size(0), -1) flatten: drop its Shape/Gather/... chain too (prune does).
            self.replace(old, nodes)
        self.prune()

    def softmax_output(self):
        out = self.graph.output[0]
        logits = self.name("logits")
        for n in self.graph.node:
            for i, o in enumerate(n.output):
                if o == out.name:
                    n.output[i] = logits
        self.graph.node.append(helper.make_node("Softmax", [logits], [out.name], name="Softmax", axis=-1))

    def identities_and_casts(self):
        """tf2onnx leaves Identity nodes (tf.identity, Keras layer outputs) and float Casts."""
        for n in list(self.graph.node):
            if n.op_type in ("Relu", "Clip") and len(self.consumers(n.output[0])) >= 1:
                mid = self.name(n.output[0] + "_pre_identity")
                old_out = n.output[0]
                n.output[0] = mid
                idx = list(self.graph.node).index(n)
                self.graph.node.insert(idx + 1, helper.make_node("Identity", [mid], [old_out], name=self.name("Identity")))
                break
        first = self.graph.node[0]
        mid = self.name("cast_in")
        x = first.input[0]
        first.input[0] = mid
        self.graph.node.insert(0, helper.make_node("Cast", [x], [mid], name=self.name("Cast"), to=TensorProto.FLOAT))

    def paddle_hardswish_and_gates(self, alpha):
        """paddle2onnx at opset 14: hardswish is one HardSwish node (the TorchScript opset-13
        export wrote x * HardSigmoid(x)); PaddleClas' MobileNetV3 SE gate is
        hardsigmoid(slope=0.2, offset=0.5)."""
        for n in [n for n in self.graph.node if n.op_type == "HardSigmoid"]:
            users = self.consumers(n.output[0])
            if len(users) == 1 and users[0].op_type == "Mul" and n.input[0] in users[0].input:
                self.replace([n, users[0]], [helper.make_node("HardSwish", [n.input[0]], [users[0].output[0]],
                                                              name=users[0].name or self.name("hard_swish"))])
            else:
                for a in n.attribute:
                    if a.name == "alpha":
                        a.f = alpha
        for o in self.model.opset_import:
            if o.domain in ("", "ai.onnx"):
                o.version = 14

    def clip_attributes_to_inputs(self):
        """Some exporters write Clip min/max as Constant nodes rather than initializers."""
        for n in list(self.graph.node):
            if n.op_type == "Clip" and len(n.input) == 3:
                for i in (1, 2):
                    v = self.const(n.input[i])
                    if v is None:
                        continue
                    out = self.name("clip_bound")
                    c = helper.make_node("Constant", [], [out], name=self.name("Constant"),
                                         value=numpy_helper.from_array(np.asarray(v, np.float32), out))
                    self.graph.node.insert(list(self.graph.node).index(n), c)
                    n.input[i] = out

    def symbolic_batch(self, name):
        for v in list(self.graph.input) + list(self.graph.output):
            d = v.type.tensor_type.shape.dim[0]
            d.Clear()
            d.dim_param = name

    def finish(self, producer):
        self.model.producer_name = producer
        self.prune()
        onnx.checker.check_model(self.model)
        return self.model


def tf_style(model, same_upper, keep_pad):
    s = Surgery(model)
    s.nhwc_input()
    if same_upper or keep_pad:
        s.pad_conv_same_upper(keep_as_pad=keep_pad)
    s.hardswish_chain(divide=True)
    s.hardsigmoid_chain()
    s.gemm_to_matmul_add(nhwc_pool=True)
    s.softmax_output()
    s.identities_and_casts()
    s.symbolic_batch("unk__512")
    return s.finish("tf2onnx")


def paddle_style(model):
    s = Surgery(model)
    s.paddle_hardswish_and_gates(0.2)
    s.gemm_to_matmul_add(squeeze_pool=False)
    s.clip_attributes_to_inputs()
    s.softmax_output()
    s.symbolic_batch("p2o.DynamicDimension.0")
    return s.finish("PaddlePaddle")


# ----------------------------------------------------------------------------------------------

def ort_run(path, x):
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    return np.concatenate([sess.run(None, {name: x[i:i + 1]})[0] for i in range(len(x))])


def main():
    x_train, y_train, calib, test_x, test_y = load_data()
    np.save(OUT / "calib.npy", calib)
    np.save(OUT / "test_x.npy", test_x)
    np.save(OUT / "test_y.npy", test_y)
    np.save(OUT / "calib_nhwc.npy", np.ascontiguousarray(calib.transpose(0, 2, 3, 1)))
    np.save(OUT / "test_x_nhwc.npy", np.ascontiguousarray(test_x.transpose(0, 2, 3, 1)))

    summary = {"versions": {"torch": torch.__version__, "onnx": onnx.__version__,
                            "onnxruntime": ort.__version__, "numpy": np.__version__}, "models": {}}
    nets = {
        "mbv2": (lambda: MobileNetV2(), 1),
        "mbv3s": (lambda: MobileNetV3Small(), 2),
        "effnet": (lambda: EfficientNetB0Like(), 3),
    }
    trained = {}
    for name, (make, seed) in nets.items():
        torch.manual_seed(SEED + seed)
        net = make()
        loss = train(net, x_train, y_train, SEED + seed)
        with torch.no_grad():
            acc = float((net(torch.from_numpy(test_x)).argmax(1).numpy() == test_y).mean())
        print(f"{name}: final loss {loss:.3f}, test top-1 {acc:.3f}", file=sys.stderr)
        trained[name] = (net, acc)

    outputs = {}

    def record(file, model, nhwc, torch_net=None):
        path = OUT / file
        onnx.save(model, str(path))
        size = path.stat().st_size
        assert size < MAX_FILE_BYTES, f"{file} is {size} bytes"
        x = np.ascontiguousarray(test_x.transpose(0, 2, 3, 1)) if nhwc else test_x
        ref = ort_run(path, x)
        if torch_net is not None:
            with torch.no_grad():
                want = torch_net(torch.from_numpy(test_x)).numpy()
            if file.startswith(("tf_", "pd_")):
                want = torch.softmax(torch.from_numpy(want), 1).numpy()
            err = float(np.abs(ref - want).max())
            assert err < 1e-3, f"{file}: onnxruntime vs torch {err}"
        np.save(OUT / (path.stem + "_ref.npy"), ref.astype(np.float32))
        ops = sorted({n.op_type for n in onnx.load(str(path)).graph.node})
        summary["models"][path.stem] = {"bytes": size, "ops": ops, "nhwc_input": nhwc,
                                        "onnxruntime_top1_vs_labels": float((ref.argmax(1) == test_y).mean())}
        print(f"{file}: {size} B, ops {ops}", file=sys.stderr)

    for name, (net, acc) in trained.items():
        record(f"{name}_pt13.onnx", export_torchscript(net, OUT / f"{name}_pt13.onnx"), False, net)
        try:
            record(f"{name}_pt18.onnx", export_dynamo(net, OUT / f"{name}_pt18.onnx"), False, net)
        except Exception as e:  # noqa: BLE001 - record why, keep going
            print(f"{name}: dynamo export failed: {e}", file=sys.stderr)
            summary["models"][f"{name}_pt18"] = {"dynamo_export_failed": str(e)[:300]}

    # tf2onnx-style: Keras MobileNetV2 (ZeroPadding2D before stride-2 depthwise = Pad with a
    # pads input, 'same' stem = SAME_UPPER) and EfficientNet (all 'same' = SAME_UPPER).
    mbv2, _ = trained["mbv2"]
    mbv2_tf = MobileNetV2(tf_same=True)
    mbv2_tf.load_state_dict(mbv2.state_dict())
    # TF-SAME padding shifts every stride-2 window by one pixel: fine-tune so the Keras-style
    # model is a working classifier again (otherwise it predicts one class for every input).
    train(mbv2_tf, x_train, y_train, SEED + 4, steps=100, lr=1e-3, fresh=False)
    mbv2_tf.eval()
    m = tf_style(export_torchscript(mbv2_tf, OUT / "tmp.onnx", keep_bn=True), same_upper=False, keep_pad=True)
    record("tf_mbv2.onnx", m, True, mbv2_tf)
    eff, _ = trained["effnet"]
    m = tf_style(export_torchscript(eff, OUT / "tmp.onnx", keep_bn=True), same_upper=True, keep_pad=False)
    record("tf_effnet.onnx", m, True, eff)
    # tf2onnx-style Keras MobileNetV3Small (opset 18, from the dynamo export): hard_swish as
    # Add/Clip/Mul/Div, hard_sigmoid as Add/Clip/Mul, NHWC input, MatMul+Add, Softmax.
    v3, _ = trained["mbv3s"]
    m = tf_style(onnx.load(str(OUT / "mbv3s_pt18.onnx")), same_upper=False, keep_pad=False)
    record("tf_mbv3s.onnx", m, True, v3)
    # paddle2onnx-style MobileNetV3 (PaddleClas: hardsigmoid slope 0.2): unfused BN, MatMul+Add,
    # Reshape [0,-1], Clip bounds from Constant nodes, Softmax. No torch reference (alpha differs).
    m = paddle_style(export_torchscript(v3, OUT / "tmp.onnx", keep_bn=True))
    record("pd_mbv3s.onnx", m, False, None)
    (OUT / "tmp.onnx").unlink()
    (OUT / "summary.json").write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
