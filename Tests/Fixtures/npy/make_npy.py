#!/usr/bin/env python3
"""Writes the .npy fixtures for Tests/SparrowONNXTests/NPYTests.swift with numpy itself, plus
expected.json: what numpy reports for each file (dtype, shape, data offset, values) — the
independent golden the Swift parser and writer are checked against.

Run from anywhere:  python3 Tests/Fixtures/npy/make_npy.py
"""
import json
import os

import numpy as np
import numpy.lib.format as npformat

HERE = os.path.dirname(os.path.abspath(__file__))
OUR_DTYPE = {"<f4": "float32", "<i8": "int64", "|i1": "int8", "|u1": "uint8", "<i4": "int32"}

expected = {"valid": [], "invalid": []}


def path(name):
    return os.path.join(HERE, name)


def numpy_view(name):
    """What numpy's own reader says about a file: header fields and where the data starts."""
    with open(path(name), "rb") as f:
        version = npformat.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = npformat.read_array_header_1_0(f)
        else:
            shape, fortran, dtype = npformat.read_array_header_2_0(f)
        offset = f.tell()
    return version, list(shape), fortran, dtype, offset


def save_valid(name, array, version=None, saved_by_np_save=True):
    if version is None:
        np.save(path(name), array)
    else:
        with open(path(name), "wb") as f:
            npformat.write_array(f, array, version=version)
    ver, shape, fortran, dtype, offset = numpy_view(name)
    assert not fortran
    expected["valid"].append({
        "file": name,
        "version": list(ver),
        "dtype": OUR_DTYPE[dtype.str],
        "shape": shape,
        "data_offset": offset,
        "file_size": os.path.getsize(path(name)),
        "values": np.load(path(name)).ravel().tolist(),
        # Files np.save wrote (version 1.0) must be reproduced byte for byte by our writer.
        "byte_identical_to_writer": saved_by_np_save and ver == (1, 0),
    })


def save_invalid(name, data, kind, **extra):
    with open(path(name), "wb") as f:
        f.write(data)
    entry = {"file": name, "error": kind}
    entry.update(extra)
    expected["invalid"].append(entry)


# --- valid files, every supported dtype, ranks 0 through 6 ---
save_valid("f32_2x3.npy", (np.arange(6, dtype=np.float32).reshape(2, 3) * 0.5 - 1.0))
save_valid("f32_values.npy", np.array([0.1, -2.5e-8, 3.4e38, -0.0, 1.0 / 3.0], dtype=np.float32))
save_valid("i64_5.npy", np.array([-3, 0, 7, 2**40, -(2**62)], dtype=np.int64))
save_valid("i32_rank6.npy", np.arange(12, dtype=np.int32).reshape(1, 2, 1, 3, 1, 2) - 6)
save_valid("i8_scalar.npy", np.array(-7, dtype=np.int8))
save_valid("i8_minmax.npy", np.array([-128, -1, 0, 1, 127], dtype=np.int8))
save_valid("u8_2x3x4.npy", (np.arange(24, dtype=np.int64).reshape(2, 3, 4) * 11 % 256).astype(np.uint8))
save_valid("f32_empty_0x3.npy", np.zeros((0, 3), dtype=np.float32))
save_valid("u8_big_dims.npy", np.zeros((0, 123456789, 7), dtype=np.uint8))
save_valid("i64_batch_10x1x1x2x2.npy", np.arange(40, dtype=np.int64).reshape(10, 1, 1, 2, 2))

# Versions 2.0 and 3.0 (u32 header length); numpy only picks them for huge headers, so force them.
save_valid("f32_v2.npy", np.array([1.5, -2.0, 4.25], dtype=np.float32), version=(2, 0), saved_by_np_save=False)
save_valid("i32_v3.npy", np.array([[1, -2], [3, 2**31 - 1]], dtype=np.int32), version=(3, 0), saved_by_np_save=False)

# --- files Sparrow must reject, each with its specific reason ---
np.save(path("_tmp.npy"), np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
save_invalid("fortran_order.npy", open(path("_tmp.npy"), "rb").read(), "fortranOrder")
np.save(path("_tmp.npy"), np.arange(4, dtype=np.float32).astype(">f4"))
save_invalid("big_endian.npy", open(path("_tmp.npy"), "rb").read(), "bigEndianDType", descr="'>f4'")
np.save(path("_tmp.npy"), np.arange(4, dtype=np.float64))
save_invalid("f64.npy", open(path("_tmp.npy"), "rb").read(), "unsupportedDType", descr="'<f8'")
np.save(path("_tmp.npy"), np.zeros(2, dtype=[("a", "<i4"), ("b", "<f4")]))
save_invalid("structured.npy", open(path("_tmp.npy"), "rb").read(), "structuredDType")
np.save(path("_tmp.npy"), np.arange(6, dtype=np.float32).reshape(2, 3))
full = open(path("_tmp.npy"), "rb").read()
save_invalid("truncated_data.npy", full[:-5], "dataTruncated", need=len(full), have=len(full) - 5)
save_invalid("truncated_header.npy", full[:40], "headerTruncated")
os.remove(path("_tmp.npy"))

with open(path("expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
    f.write("\n")
print("wrote", len(expected["valid"]) + len(expected["invalid"]), "fixtures")
