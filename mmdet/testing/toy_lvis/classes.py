"""The toy classes: ``colour x texture x shape`` (e.g. ``red_striped_star``).

8 colours, 4 textures and 8 shapes. A tail class shares each of its three parts with
head classes (the head covers every part), so it is learnable from a handful of
examples, yet only its combination identifies it.
"""
COLOURS = {  # RGB
    'red': (215, 35, 35), 'green': (40, 180, 60), 'blue': (40, 80, 225),
    'yellow': (235, 215, 40), 'magenta': (210, 50, 200), 'cyan': (40, 205, 215),
    'orange': (245, 135, 25), 'white': (240, 240, 240)}
TEXTURES = ('solid', 'striped', 'dotted', 'checkered')
SHAPES = ('circle', 'square', 'triangle', 'diamond', 'star', 'cross', 'ring', 'crescent')
TEXTURE_RGB = (20, 20, 20)  # the dark colour of stripes, dots and checks
_TEXTURE_DEF = dict(solid='of one colour', striped='with dark stripes',
                    dotted='with dark dots', checkered='with a dark check pattern')


def choose_class_parts(num_classes, rng):
    """(colour, texture, shape) per class, head first: a greedy balance of the parts,
    so that the head covers every colour, texture and shape."""
    combos = [(c, t, s) for c in COLOURS for t in TEXTURES for s in SHAPES]
    if not 1 <= num_classes <= len(combos):
        raise ValueError(f'num_classes must be in 1..{len(combos)}')
    counts = [dict.fromkeys(part, 0) for part in (COLOURS, TEXTURES, SHAPES)]
    free, parts = [combos[i] for i in rng.permutation(len(combos))], []
    for _ in range(num_classes):
        best = min(free, key=lambda cts: sum(
            n[x] / len(n) for n, x in zip(counts, cts)))
        free.remove(best)
        parts.append(best)
        for n, x in zip(counts, best):
            n[x] += 1
    return parts


def class_name(parts):
    return '_'.join(parts)


def describe_category(parts, cat_id):
    """The LVIS category fields that describe a class (no statistics)."""
    colour, texture, shape = parts
    name = class_name(parts)
    return {'id': cat_id, 'name': name, 'synset': f'{name}.n.01',
            'synonyms': [name, f'{colour} {texture} {shape}'],
            'def': f'a {colour} {shape} {_TEXTURE_DEF[texture]}'}
