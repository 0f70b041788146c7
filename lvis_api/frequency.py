"""LVIS's frequency groups: rare, common or frequent by the number of TRAINING images a
category appears in (r: 1-10, c: 11-100, f: more than 100)."""
from .lvis import FREQUENCY_LABELS

RARE_MAX_IMAGES = 10
COMMON_MAX_IMAGES = 100


def frequency_of_image_count(image_count: int) -> str:
    """``'r'``, ``'c'`` or ``'f'`` for a category in ``image_count`` training images
    (a category in none is rare)."""
    if image_count < 0:
        raise ValueError(f'an image count cannot be negative, got {image_count}')
    rare, common, frequent = FREQUENCY_LABELS
    if image_count <= RARE_MAX_IMAGES:
        return rare
    return common if image_count <= COMMON_MAX_IMAGES else frequent
