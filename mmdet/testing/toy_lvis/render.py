"""Drawing one image: non-overlapping objects on a noisy gradient background with
translucent distractor blobs (which are not objects).

Every object is painted through the pycocotools rasterisation of its own (2-decimal)
polygon, so its annotated mask is exactly its painted pixels (up to JPEG).
"""
import cv2
import numpy as np
from pycocotools import mask as mask_utils

from .classes import COLOURS, TEXTURE_RGB
from .shapes import arc, shape_polygons


def _free_positions(occupied, h, w):
    """Top-left corners of the h x w windows that touch no occupied pixel."""
    H, W = occupied.shape
    if h > H or w > W:
        return np.zeros((0, 2), int)
    s = np.zeros((H + 1, W + 1), np.int32)
    s[1:, 1:] = occupied.cumsum(0, dtype=np.int32).cumsum(1)
    window = s[h:, w:] - s[:-h, w:] - s[h:, :-w] + s[:-h, :-w]
    return np.argwhere(window == 0)


def _background(rng, h, w):
    """Gradient of two greyish colours, low-frequency noise and translucent blobs."""
    c0, c1 = (rng.uniform(95, 190, (2, 1))
              + rng.uniform(-20, 20, (2, 3))).astype(np.float32)
    a, scale = rng.uniform(0, 2 * np.pi), np.float32(1 / (1.5 * max(h, w)))
    t = (np.arange(w, dtype=np.float32)[None] * np.cos(a)
         + np.arange(h, dtype=np.float32)[:, None] * np.sin(a)) * scale + 0.5
    img = c0 + (c1 - c0) * t[..., None]
    img += cv2.resize(rng.normal(0, 12, (4, 4, 3)).astype(np.float32), (w, h),
                      interpolation=cv2.INTER_CUBIC)
    for _ in range(rng.integers(1, 5)):  # distractors: blurred irregular blobs
        n, r, sigma = 16, rng.uniform(0.06, 0.25) * min(h, w), rng.uniform(1, 3)
        ang = np.linspace(0, 2 * np.pi, n, endpoint=False)
        rad = r * (1 + np.convolve(np.tile(rng.normal(0, .35, n), 3), np.ones(3) / 3,
                                   'same')[n:2 * n]).clip(.3)
        pts = rng.uniform(0, 1, 2) * [w, h] + arc(ang, rad)
        x0, y0 = np.maximum(0, np.floor(pts.min(0) - 3 * sigma)).astype(int)
        x1, y1 = np.minimum([w, h], np.ceil(pts.max(0) + 3 * sigma)).astype(int)
        alpha = np.zeros((y1 - y0, x1 - x0), np.float32)
        cv2.fillPoly(alpha, [np.round(pts - [x0, y0]).astype(np.int32)],
                     rng.uniform(.3, .55))
        alpha = cv2.GaussianBlur(alpha, (0, 0), sigma, borderType=cv2.BORDER_CONSTANT)
        alpha = alpha[..., None]
        roi = img[y0:y1, x0:x1]
        roi += (rng.uniform(40, 255, 3).astype(np.float32) - roi) * alpha
    return img


def _texture(texture, xs, ys, size, rng):
    """Boolean selection of the pixels (xs, ys) that take the texture colour."""
    if texture == 'solid':
        return np.zeros(len(xs), bool)
    p, a = min(max(size / 3.5, 4.0), 12.0), rng.uniform(0, np.pi)
    u = xs * np.cos(a) + ys * np.sin(a) + rng.uniform(0, p)
    v = ys * np.cos(a) - xs * np.sin(a) + rng.uniform(0, p)
    if texture == 'striped':
        return u % p < p / 2
    if texture == 'dotted':
        return (u % p - p / 2) ** 2 + (v % p - p / 2) ** 2 < (0.3 * p) ** 2
    return (np.floor(u / (0.6 * p)) + np.floor(v / (0.6 * p))) % 2 == 0


def _layout(rng, height, width, shapes, sizes, margin=1):
    """Non-overlapping placements, largest first: per object its polygons (2-decimal
    flat lists in image coordinates) and window (y, x, h, w); None if they don't fit."""
    occupied = np.zeros((height, width), bool)
    out = [None] * len(shapes)
    for k in np.argsort(-sizes, kind='stable'):
        angle, aspect = np.deg2rad(rng.uniform(-15, 15)), rng.uniform(.85, 1.15)
        polys = shape_polygons(shapes[k], 0, 0, sizes[k], angle, aspect)
        lo = np.concatenate(polys).min(0)
        w, h = np.ceil(np.concatenate(polys).max(0) - lo).astype(int) + 2 + 2 * margin
        free = _free_positions(occupied, h, w)
        if not len(free):
            return None
        y, x = free[rng.integers(len(free))]
        occupied[y:y + h, x:x + w] = True
        out[k] = ([np.round(p - lo + [x + margin + 1, y + margin + 1], 2).ravel().tolist()
                   for p in polys], (y, x, h, w))
    return out


def render_image(rng, height, width, parts, min_size=16):
    """Draw non-overlapping objects, one per (colour, texture, shape) in ``parts``.

    Sizes are log-uniform in [min_size, min(H, W) / 2], shrunk to fit. Returns the RGB
    uint8 image and, per object, its polygons and their pycocotools RLE: the painted
    pixels are exactly the RLE's pixels.
    """
    img = _background(rng, height, width)
    max_size = max(min_size, min(height, width) / 2)
    sizes = np.exp(rng.uniform(np.log(min_size), np.log(max_size), len(parts)))
    sizes = np.maximum(min_size, sizes / np.sqrt(max(
        1.0, (sizes ** 2).sum() / (0.4 * height * width))))
    for _ in range(30):
        placed = _layout(rng, height, width, [p[2] for p in parts], sizes)
        if placed is not None:
            break
        sizes = np.maximum(min_size, 0.85 * sizes)
    else:
        raise RuntimeError(f'no room for {len(parts)} objects in {height}x{width}')
    out = []
    for (colour, texture, _), size, (polys, (y, x, h, w)) in zip(parts, sizes, placed):
        rle = mask_utils.merge(mask_utils.frPyObjects(polys, height, width))
        ys, xs = np.nonzero(mask_utils.decode(rle)[y:y + h, x:x + w])
        ys, xs = ys + y, xs + x
        img[ys, xs] = np.clip(np.array(COLOURS[colour]) * rng.uniform(.9, 1.05)
                              + rng.uniform(-12, 12, 3), 0, 255)
        sel = _texture(texture, xs, ys, size, rng)
        img[ys[sel], xs[sel]] = TEXTURE_RGB
        out.append((polys, rle))
    img += 3 * rng.standard_normal(img.shape, np.float32)
    return np.clip(np.round(img), 0, 255).astype(np.uint8), out
