"""Synthetic text lines of sklearn digits and greedy CTC decoding, shared by make_recognizer.py
(training, fixtures) and ../detectors/compare_int8.py (the larger accuracy-bar draw). Needs only
numpy and scikit-learn."""

import numpy as np

SEED = 20261208
HEIGHT, WIDTH, STEPS, CLASSES, BLANK, MAX_DIGITS = 8, 64, 32, 11, 10, 5


def digit_splits():
    """(train images, test images, train labels, test labels): sklearn's 8x8 digits in [0, 1],
    a fixed stratified 80/20 split; test lines use only the held-out digit images."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)
    return train_test_split(images, digits.target, test_size=0.2, random_state=SEED, stratify=digits.target)


def text_lines(rng, images, labels, count):
    """`count` lines [count, 1, 8, 64] and their labels [count, 5] (-1 padded)."""
    x = np.zeros((count, 1, HEIGHT, WIDTH), np.float32)
    y = np.full((count, MAX_DIGITS), -1, np.int64)
    for n in range(count):
        k = int(rng.integers(3, MAX_DIGITS + 1))
        picks = rng.integers(0, len(images), k)
        gaps = rng.integers(0, 4, k - 1)
        used = 8 * k + int(gaps.sum())
        col = int(rng.integers(0, WIDTH - used + 1))
        for j, p in enumerate(picks):
            x[n, 0, :, col:col + 8] = np.maximum(x[n, 0, :, col:col + 8], images[p])
            y[n, j] = labels[p]
            col += 8 + (int(gaps[j]) if j < k - 1 else 0)
    return x, y


def greedy_decode(log_probs):
    """[N, T, C] -> [N, T] digits (merged repeats, blanks dropped), -1 padded."""
    best = log_probs.argmax(-1)
    out = np.full(best.shape, -1, np.int64)
    for n, row in enumerate(best):
        digits = [int(c) for t, c in enumerate(row) if c != BLANK and (t == 0 or c != row[t - 1])]
        out[n, :len(digits)] = digits
    return out


def strings(decoded):
    return ["".join(str(int(d)) for d in row if d >= 0) for row in decoded]


def edit_distance(a, b):
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def agreement_and_cer(decoded, reference):
    got, want = strings(decoded), strings(reference)
    agree = sum(g == w for g, w in zip(got, want)) / len(want)
    cer = sum(edit_distance(g, w) for g, w in zip(got, want)) / max(sum(len(w) for w in want), 1)
    return agree, cer
