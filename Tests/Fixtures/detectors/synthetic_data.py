"""The synthetic data of the detector/segmenter fixtures (make_detectors.py trains and tests on
it; compare_int8.py draws larger held-out sets from it). numpy only."""
import numpy as np


def text_images(rng: np.random.Generator, n: int, size: int = 64):
    """Bars of random length, thickness, brightness and polarity on textured noise; mask = bars."""
    x = np.zeros((n, 3, size, size), np.float32)
    y = np.zeros((n, 1, size, size), np.float32)
    for i in range(n):
        base = rng.uniform(0.3, 0.7)
        img = base + 0.12 * rng.standard_normal((3, size, size)) * rng.uniform(0.3, 1.0)
        for _ in range(rng.integers(1, 5)):
            h, w = rng.integers(3, 8), rng.integers(10, 40)
            r, c = rng.integers(0, size - h), rng.integers(0, size - w)
            shade = base + rng.choice([-1, 1]) * rng.uniform(0.25, 0.4)
            img[:, r:r + h, c:c + w] = shade + 0.03 * rng.standard_normal((3, h, w))
            y[i, 0, r:r + h, c:c + w] = 1
        x[i] = img
    return x, y


def face_crops(rng: np.random.Generator, n: int, size: int = 24):
    """Half the crops hold a bright ellipse (class 1, box = its extent / size); half clutter."""
    x = np.zeros((n, 3, size, size), np.float32)
    cls = np.zeros(n, np.int64)
    box = np.zeros((n, 4), np.float32)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    for i in range(n):
        img = rng.uniform(0.2, 0.5) + 0.1 * rng.standard_normal((3, size, size))
        if i % 2 == 0:
            cx, cy = rng.uniform(8, 16), rng.uniform(8, 16)
            rx, ry = rng.uniform(4, 8), rng.uniform(5, 9)
            inside = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1
            img[:, inside] = rng.uniform(0.75, 0.95) + 0.05 * rng.standard_normal(int(inside.sum()))
            cls[i] = 1
            box[i] = np.clip([(cx - rx) / size, (cy - ry) / size, (cx + rx) / size, (cy + ry) / size], 0, 1)
        else:
            for _ in range(rng.integers(1, 4)):   # clutter: bright rectangles, not ellipses
                h, w = rng.integers(2, 6), rng.integers(6, 20)
                r, c = rng.integers(0, size - h), rng.integers(0, size - w)
                img[:, r:r + h, c:c + w] = rng.uniform(0.7, 0.95)
        x[i] = img
    return x, cls, box
