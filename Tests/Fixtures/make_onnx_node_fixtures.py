#!/usr/bin/env python3
"""Copy the ONNX backend node tests named in onnx-node-allowlist.txt out of the installed onnx
wheel (onnx/backend/test/data/node/<name>/{model.onnx,test_data_set_0/*.pb}) into onnx-node/.

Run from the repository root:  python3 Tests/Fixtures/make_onnx_node_fixtures.py
Only the allowlisted directories are copied, so the fixtures stay small. Removes directories of
tests no longer on the list. The goldens are the ONNX project's own expected outputs.
"""
import os
import shutil
import sys

import onnx

here = os.path.dirname(os.path.abspath(__file__))
source = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "node")
target = os.path.join(here, "onnx-node")

names = []
with open(os.path.join(here, "onnx-node-allowlist.txt")) as f:
    for line in f:
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(line.split()[0])

missing = [n for n in names if not os.path.isdir(os.path.join(source, n))]
if missing:
    sys.exit(f"not in onnx {onnx.__version__}: {', '.join(missing)}")

os.makedirs(target, exist_ok=True)
for existing in os.listdir(target):
    if existing not in names:
        shutil.rmtree(os.path.join(target, existing))
for name in names:
    src = os.path.join(source, name)
    dst = os.path.join(target, name)
    if os.path.isdir(dst):
        shutil.rmtree(dst)
    os.makedirs(os.path.join(dst, "test_data_set_0"))
    shutil.copy(os.path.join(src, "model.onnx"), dst)
    for pb in sorted(os.listdir(os.path.join(src, "test_data_set_0"))):
        shutil.copy(os.path.join(src, "test_data_set_0", pb), os.path.join(dst, "test_data_set_0"))
print(f"copied {len(names)} node tests from onnx {onnx.__version__} into {target}")
