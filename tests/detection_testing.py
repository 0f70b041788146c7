"""Tiny in-memory detection batches for model tests."""
import torch

from mmdet.structures import DetDataSample, InstanceData


def make_batch(num_classes=8, sizes=((96, 128), (120, 100)), seed=0, drawn_labels=None):
    """Random uint8 images with 3 boxes each and box-shaped masks.

    ``drawn_labels`` (one per image, for SimCal) go into the metainfo as ``drawn_label``
    and become the label of each image's first box.
    """
    gen = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for i, (h, w) in enumerate(sizes):
        inputs.append(torch.randint(0, 256, (3, h, w), dtype=torch.uint8, generator=gen))
        n = 3
        xy = torch.rand(n, 2, generator=gen) * torch.tensor([w * 0.5, h * 0.5])
        wh = 16 + torch.rand(n, 2, generator=gen) * torch.tensor([w * 0.4, h * 0.4])
        boxes = torch.cat([xy, xy + wh], 1)
        labels = torch.randint(0, num_classes, (n,), generator=gen)
        masks = torch.zeros(n, h, w, dtype=torch.uint8)
        for k, (x1, y1, x2, y2) in enumerate(boxes.round().int().tolist()):
            masks[k, y1:y2, x1:x2] = 1
        meta = dict(img_id=i, img_shape=(h, w), ori_shape=(h, w), scale_factor=(1.0, 1.0))
        if drawn_labels is not None:
            labels[0] = drawn_labels[i]
            meta['drawn_label'] = drawn_labels[i]
        gt = InstanceData(bboxes=boxes, labels=labels, masks=masks)
        samples.append(DetDataSample(gt_instances=gt, metainfo=meta))
    return dict(inputs=inputs, data_samples=samples)


def predict_reference(model, ref) -> list:
    """``model``'s ``pred_instances`` on the images of an mmdetection reference file
    (``images``, ``metainfo``), run as mmdetection ran them (no resize)."""
    from mmdet.structures import DetDataSample
    samples = [DetDataSample(metainfo=dict(img_shape=m['img_shape'], ori_shape=m['ori_shape'],
                                           scale_factor=m['scale_factor'], img_id=m['img_id']))
               for m in ref['metainfo']]
    images = [img.permute(2, 0, 1).contiguous() for img in ref['images']]
    with torch.no_grad():
        batch = model.data_preprocessor(dict(inputs=images, data_samples=samples))
        return [s.pred_instances for s in model.predict(batch['inputs'], batch['data_samples'])]


def cascade_train_cfg() -> dict:
    """The training settings of the small reference cascades (RPN, then one RoI sampler
    per stage at IoU 0.5 / 0.6 / 0.7)."""
    stage = lambda thr: dict(  # noqa: E731
        assigner=dict(type='MaxIoUAssigner', pos_iou_thr=thr, neg_iou_thr=thr,
                      min_pos_iou=thr, match_low_quality=False, ignore_iof_thr=-1),
        sampler=dict(type='RandomSampler', num=64, pos_fraction=0.25, neg_pos_ub=-1,
                     add_gt_as_proposals=True),
        mask_size=28, pos_weight=-1, debug=False)
    return dict(
        rpn=dict(assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.7, neg_iou_thr=0.3,
                               min_pos_iou=0.3, match_low_quality=True, ignore_iof_thr=-1),
                 sampler=dict(type='RandomSampler', num=64, pos_fraction=0.5, neg_pos_ub=-1,
                              add_gt_as_proposals=False),
                 allowed_border=-1, pos_weight=-1, debug=False),
        rpn_proposal=dict(nms_pre=200, max_per_img=100, nms=dict(type='nms', iou_threshold=0.7),
                          min_bbox_size=0),
        rcnn=[stage(0.5), stage(0.6), stage(0.7)])
