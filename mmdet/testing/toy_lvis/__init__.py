"""A generated toy long-tail instance segmentation dataset in LVIS v0.5 format.

``make_toy_lvis(out_dir)`` writes ``annotations/lvis_toy_{train,val}.json`` and the
images ``{train,val}2017/{id:012d}.jpg``, laid out like LVIS on COCO images, so that the
whole pipeline (Mask R-CNN, SimCal calibration, LVIS AP with APr/APc/APf and the SimCal
bins) runs on a laptop CPU in minutes.

Modules: ``classes`` (colour x texture x shape), ``plan`` (the long tail and which
objects go into which image), ``shapes`` and ``render`` (drawing one image), ``write``
(image and annotation files), ``make`` (the entry point), ``summary`` (counts of a
written file), ``coco_format`` (the same data in COCO format, with crowd regions).
"""
from .coco_format import lvis_to_coco, write_coco_annotations
from .make import make_toy_lvis
from .summary import summarize_split

__all__ = ['make_toy_lvis', 'summarize_split', 'lvis_to_coco', 'write_coco_annotations']
