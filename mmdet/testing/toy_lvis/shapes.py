"""The eight shapes as polygons (COCO style: a list of simple polygons, no holes)."""
import numpy as np


def arc(angles, r=1.0, cx=0.0):
    """Points at ``angles`` on the circle of radius ``r`` centred at (cx, 0)."""
    return np.stack([cx + r * np.cos(angles), r * np.sin(angles)], 1)


def _unit_shape(shape):
    """Polygons of a shape inside [-1, 1]^2 (y down, so the triangle points up)."""
    if shape == 'circle':
        return [arc(np.linspace(0, 2 * np.pi, 40, endpoint=False))]
    if shape == 'square':
        return [np.array([[-.85, -.85], [.85, -.85], [.85, .85], [-.85, .85]])]
    if shape == 'triangle':
        return [arc(np.array([-.5, 1 / 6, 5 / 6]) * np.pi) + [0, .2]]
    if shape == 'diamond':  # a tall rhombus, not a rotated square
        return [np.array([[0, -1], [.6, 0], [0, 1], [-.6, 0]])]
    if shape == 'star':
        return [arc(np.linspace(-.5, 1.5, 10, endpoint=False) * np.pi,
                    np.tile([1, .45], 5))]
    if shape == 'cross':
        a = 0.3
        return [np.array([[-a, -1], [a, -1], [a, -a], [1, -a], [1, a], [a, a], [a, 1],
                          [-a, 1], [-a, a], [-1, a], [-1, -a], [-a, -a]])]
    if shape == 'ring':  # two overlapping half annuli: COCO polygons have no holes
        return [np.concatenate([arc(np.linspace(a, a + np.pi + .1, 22)),
                                arc(np.linspace(a + np.pi + .1, a, 22), .55)])
                for a in (-.05, np.pi - .05)]
    if shape == 'crescent':  # unit-circle arc 60..300 deg, closed by the arc of the
        r = np.sin(np.pi / 3)  # circle centred at (.5, 0) through both of its ends
        return [np.concatenate([
            arc(np.linspace(np.pi / 3, 5 * np.pi / 3, 30)),
            arc(np.linspace(1.5 * np.pi, .5 * np.pi, 24)[1:-1], r, .5)])]
    raise ValueError(f'unknown shape {shape!r}')


def shape_polygons(shape, cx, cy, size, angle=0.0, aspect=1.0):
    """Polygons ((N, 2) arrays) of ``shape`` centred at (cx, cy), ~size px across."""
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return [p * [aspect * size / 2, size / 2] @ rot.T + [cx, cy]
            for p in _unit_shape(shape)]
