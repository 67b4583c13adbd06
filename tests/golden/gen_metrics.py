# Golden values for train/metrics (tests/train/metrics_golden_test.cpp): COCO-style AP, VOC07 AP50
# and OOD metrics on hand-made and random cases. Run: /usr/bin/python3 tests/golden/gen_metrics.py
"""Writes tests/golden/metrics.json.

OOD metrics come from scikit-learn (Debian python3-sklearn) plus VOS's fpr_and_fdr_at_recall, as
Dream-Box's ood_metrics.py uses them. Debian has no pycocotools: COCO AP comes from the reference
below, written from COCOeval's definitions (evaluateImg / accumulate / summarize, bbox IoU from
maskApi.c). When pycocotools is importable it is run as well and must agree (a cross-check).
VOC07 AP50 follows the devkit's voc_eval.py (use_07_metric=True), with stable sorting.
"""
import json
import os
import random
import sys

import numpy as np
import sklearn
from sklearn.metrics import average_precision_score, roc_auc_score

FORMAT_VERSION = 1
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "metrics.json")

# ---- COCO reference (pycocotools semantics) -------------------------------------------------

IOU_THRS = np.linspace(.5, 0.95, int(np.round((0.95 - .5) / .05)) + 1, endpoint=True)
REC_THRS = np.linspace(.0, 1.00, int(np.round((1.00 - .0) / .01)) + 1, endpoint=True)
AREA_RNGS = [[0 ** 2, 1e5 ** 2], [0 ** 2, 32 ** 2], [32 ** 2, 96 ** 2], [96 ** 2, 1e5 ** 2]]
MAX_DET = 100


def xywh(b):
    return [b[0], b[1], b[2] - b[0], b[3] - b[1]]


def bb_iou(d, g, crowd):
    dx, dy, dw, dh = d
    gx, gy, gw, gh = g
    w = min(dw + dx, gw + gx) - max(dx, gx)
    if w <= 0:
        return 0.0
    h = min(dh + dy, gh + gy) - max(dy, gy)
    if h <= 0:
        return 0.0
    i = w * h
    u = dw * dh if crowd else dw * dh + gw * gh - i
    return i / u


def coco_eval_image(gts, dts, a_rng):
    """gts: dicts bbox(xywh)/area/iscrowd; dts: dicts bbox/score/area, already sorted and cut."""
    if not gts and not dts:
        return None
    ignore = [g["iscrowd"] or g["area"] < a_rng[0] or g["area"] > a_rng[1] for g in gts]
    gtind = np.argsort(np.array(ignore, dtype=np.int64), kind="mergesort")
    gts = [gts[i] for i in gtind]
    gt_ig = np.array([ignore[i] for i in gtind], dtype=bool)
    T, G, D = len(IOU_THRS), len(gts), len(dts)
    ious = np.array([[bb_iou(d["bbox"], g["bbox"], g["iscrowd"]) for g in gts] for d in dts])
    gtm = np.zeros((T, G), dtype=bool)
    dtm = np.zeros((T, D), dtype=bool)
    dt_ig = np.zeros((T, D), dtype=bool)
    if G and D:
        for t, thr in enumerate(IOU_THRS):
            for di in range(D):
                iou, m = min([thr, 1 - 1e-10]), -1
                for gi in range(G):
                    if gtm[t, gi] and not gts[gi]["iscrowd"]:
                        continue
                    if m > -1 and not gt_ig[m] and gt_ig[gi]:
                        break
                    if ious[di, gi] < iou:
                        continue
                    iou, m = ious[di, gi], gi
                if m == -1:
                    continue
                dt_ig[t, di] = gt_ig[m]
                dtm[t, di] = True
                gtm[t, m] = True
    out_of_range = np.array([d["area"] < a_rng[0] or d["area"] > a_rng[1] for d in dts], dtype=bool)
    dt_ig = np.logical_or(dt_ig, np.logical_and(~dtm, out_of_range[None, :]))
    return {"scores": np.array([d["score"] for d in dts], dtype=np.float64), "dtm": dtm,
            "dt_ig": dt_ig, "gt_ig": gt_ig}


def coco_reference(case):
    K = case["num_classes"]
    A, T, R = len(AREA_RNGS), len(IOU_THRS), len(REC_THRS)
    precision = -np.ones((T, R, K, A))
    for k in range(K):
        for a, a_rng in enumerate(AREA_RNGS):
            evals = []
            for img in case["images"]:
                gts = [{"bbox": xywh(g[:4]), "iscrowd": bool(g[6]),
                        "area": g[7] if g[7] >= 0 else (g[2] - g[0]) * (g[3] - g[1])}
                       for g in img["gts"] if g[4] == k]
                dts = [{"bbox": xywh(d[:4]), "score": d[4], "area": (d[2] - d[0]) * (d[3] - d[1])}
                       for d in img["dets"] if d[5] == k]
                order = np.argsort([-d["score"] for d in dts], kind="mergesort")
                dts = [dts[i] for i in order[:MAX_DET]]
                e = coco_eval_image(gts, dts, a_rng)
                if e is not None:
                    evals.append(e)
            if not evals:
                continue
            scores = np.concatenate([e["scores"] for e in evals])
            inds = np.argsort(-scores, kind="mergesort")
            dtm = np.concatenate([e["dtm"] for e in evals], axis=1)[:, inds]
            dt_ig = np.concatenate([e["dt_ig"] for e in evals], axis=1)[:, inds]
            npig = np.count_nonzero(~np.concatenate([e["gt_ig"] for e in evals]))
            if npig == 0:
                continue
            tp_sum = np.cumsum(dtm & ~dt_ig, axis=1).astype(np.float64)
            fp_sum = np.cumsum(~dtm & ~dt_ig, axis=1).astype(np.float64)
            for t in range(T):
                tp, fp = tp_sum[t], fp_sum[t]
                nd = len(tp)
                rc = tp / npig
                pr = (tp / (fp + tp + np.spacing(1))).tolist()
                q = [0.0] * R
                for i in range(nd - 1, 0, -1):
                    if pr[i] > pr[i - 1]:
                        pr[i - 1] = pr[i]
                for ri, pi in enumerate(np.searchsorted(rc, REC_THRS, side="left")):
                    if pi >= nd:
                        break
                    q[ri] = pr[pi]
                precision[t, :, k, a] = q

    def mean(s):
        s = s[s > -1]
        return float(np.mean(s)) if len(s) else -1.0

    per_class = [mean(precision[:, :, k, 0]) for k in range(K)]
    return {"ap": mean(precision[:, :, :, 0]), "ap50": mean(precision[0, :, :, 0]),
            "ap75": mean(precision[5, :, :, 0]), "ap_small": mean(precision[:, :, :, 1]),
            "ap_medium": mean(precision[:, :, :, 2]), "ap_large": mean(precision[:, :, :, 3]),
            "per_class_ap": per_class}


def coco_cross_check(case, ours):
    """Runs real pycocotools on the case when it is installed; the summaries must agree."""
    try:
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval
    except ImportError:
        return False
    import contextlib
    import io
    images, anns, results = [], [], []
    for i, img in enumerate(case["images"]):
        images.append({"id": i + 1, "width": 1000, "height": 1000})
        for g in img["gts"]:
            area = g[7] if g[7] >= 0 else (g[2] - g[0]) * (g[3] - g[1])
            anns.append({"id": len(anns) + 1, "image_id": i + 1, "category_id": g[4] + 1,
                         "bbox": xywh(g[:4]), "area": area, "iscrowd": int(g[6])})
        for d in img["dets"]:
            results.append({"image_id": i + 1, "category_id": d[5] + 1, "bbox": xywh(d[:4]),
                            "score": d[4]})
    gt = COCO()
    gt.dataset = {"images": images, "annotations": anns,
                  "categories": [{"id": k + 1, "name": str(k)} for k in range(case["num_classes"])]}
    with contextlib.redirect_stdout(io.StringIO()):
        gt.createIndex()
        if not results:
            return True  # loadRes rejects an empty list
        dt = gt.loadRes(results)
        ev = COCOeval(gt, dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    names = ["ap", "ap50", "ap75", "ap_small", "ap_medium", "ap_large"]
    for n, v in zip(names, ev.stats[:6]):
        assert abs(v - ours[n]) < 1e-12, (case["name"], n, v, ours[n])
    return True


# ---- VOC07 reference (devkit voc_eval.py, use_07_metric) ------------------------------------

def voc07_reference(case, ovthresh=0.5):
    aps = []
    for k in range(case["num_classes"]):
        recs, npos, dets = [], 0, []
        for i, img in enumerate(case["images"]):
            gts = [g for g in img["gts"] if g[4] == k]
            recs.append({"bbox": np.array([g[:4] for g in gts], dtype=np.float64).reshape(-1, 4),
                         "difficult": np.array([bool(g[5]) for g in gts], dtype=bool),
                         "det": [False] * len(gts)})
            npos += sum(1 for g in gts if not g[5])
            dets += [(i, d) for d in img["dets"] if d[5] == k]
        if npos == 0:
            aps.append(-1.0)
            continue
        confidence = np.array([d[4] for _, d in dets], dtype=np.float64)
        order = np.argsort(-confidence, kind="mergesort")
        nd = len(dets)
        tp, fp = np.zeros(nd), np.zeros(nd)
        for j, di in enumerate(order):
            i, d = dets[di]
            R = recs[i]
            bb = np.array(d[:4], dtype=np.float64)
            ovmax, BBGT = -np.inf, R["bbox"]
            if BBGT.size > 0:
                ixmin = np.maximum(BBGT[:, 0], bb[0])
                iymin = np.maximum(BBGT[:, 1], bb[1])
                ixmax = np.minimum(BBGT[:, 2], bb[2])
                iymax = np.minimum(BBGT[:, 3], bb[3])
                iw = np.maximum(ixmax - ixmin + 1., 0.)
                ih = np.maximum(iymax - iymin + 1., 0.)
                inters = iw * ih
                uni = ((bb[2] - bb[0] + 1.) * (bb[3] - bb[1] + 1.) +
                       (BBGT[:, 2] - BBGT[:, 0] + 1.) * (BBGT[:, 3] - BBGT[:, 1] + 1.) - inters)
                overlaps = inters / uni
                ovmax, jmax = np.max(overlaps), np.argmax(overlaps)
            if ovmax > ovthresh:
                if not R["difficult"][jmax]:
                    if not R["det"][jmax]:
                        tp[j] = 1.
                        R["det"][jmax] = True
                    else:
                        fp[j] = 1.
            else:
                fp[j] = 1.
        fp, tp = np.cumsum(fp), np.cumsum(tp)
        rec = tp / float(npos)
        prec = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
        ap = 0.
        for t in np.arange(0., 1.1, 0.1):
            p = 0 if np.sum(rec >= t) == 0 else np.max(prec[rec >= t])
            ap = ap + p / 11.
        aps.append(float(ap))
    valid = [a for a in aps if a >= 0]
    return {"map": float(np.mean(valid)) if valid else -1.0, "per_class_ap": aps}


# ---- OOD reference (Dream-Box ood_metrics.py = VOS metric_utils.py) -------------------------

def fpr_and_fdr_at_recall(y_true, y_score, recall_level=0.95, pos_label=1.):
    y_true = (y_true == pos_label)
    desc_score_indices = np.argsort(y_score, kind="mergesort")[::-1]
    y_score, y_true = y_score[desc_score_indices], y_true[desc_score_indices]
    distinct_value_indices = np.where(np.diff(y_score))[0]
    threshold_idxs = np.r_[distinct_value_indices, y_true.size - 1]
    tps = np.cumsum(y_true, dtype=np.float64)[threshold_idxs]
    fps = 1 + threshold_idxs - tps
    recall = tps / tps[-1]
    last_ind = tps.searchsorted(tps[-1])
    sl = slice(last_ind, None, -1)
    recall, fps = np.r_[recall[sl], 1], np.r_[fps[sl], 0]
    cutoff = np.argmin(np.abs(recall - recall_level))
    return fps[cutoff] / (np.sum(np.logical_not(y_true)))


def ood_reference(pos, neg, recall_level=0.95):
    examples = np.array(pos + neg, dtype=np.float64)
    labels = np.zeros(len(examples), dtype=np.int32)
    labels[:len(pos)] += 1
    return {"auroc": float(roc_auc_score(labels, examples)),
            "aupr_in": float(average_precision_score(labels, examples)),
            "fpr95": float(fpr_and_fdr_at_recall(labels, examples, recall_level))}


# ---- cases ----------------------------------------------------------------------------------

def gt(x1, y1, x2, y2, label, difficult=0, iscrowd=0, area=-1.0):
    return [float(x1), float(y1), float(x2), float(y2), label, difficult, iscrowd, float(area)]


def det(x1, y1, x2, y2, score, label):
    return [float(x1), float(y1), float(x2), float(y2), float(score), label]


def detection_cases():
    cases = []

    def add(name, num_classes, images):
        cases.append({"name": name, "num_classes": num_classes, "images": images})

    a, b, c = (10, 10, 60, 70), (100, 120, 300, 260), (5, 5, 20, 25)
    add("perfect", 2, [{"gts": [gt(*a, 0), gt(*b, 1)], "dets": [det(*a, .9, 0), det(*b, .8, 1)]},
                       {"gts": [gt(*c, 0)], "dets": [det(*c, .7, 0)]}])
    add("all_wrong", 2, [{"gts": [gt(*a, 0), gt(*b, 1)],
                          "dets": [det(*a, .9, 1), det(400, 400, 450, 450, .8, 0)]}])
    add("no_detections", 2, [{"gts": [gt(*a, 0), gt(*b, 1)], "dets": []}, {"gts": [], "dets": []}])
    add("duplicates", 1, [{"gts": [gt(*a, 0), gt(*b, 0)],
                           "dets": [det(*a, .9, 0), det(11, 11, 60, 70, .85, 0), det(*b, .6, 0),
                                    det(100, 121, 300, 262, .6, 0)]}])
    add("class_without_gt", 3, [{"gts": [gt(*a, 0)],
                                 "dets": [det(*a, .9, 0), det(*b, .95, 2), det(*c, .3, 2)]}])
    add("score_ties_across_images", 1, [
        {"gts": [gt(*a, 0)], "dets": [det(*a, .5, 0), det(*b, .5, 0)]},
        {"gts": [gt(*b, 0), gt(*c, 0)], "dets": [det(*b, .5, 0), det(300, 300, 340, 330, .5, 0),
                                                  det(*c, .5, 0)]}])
    add("difficult", 1, [{"gts": [gt(*a, 0, difficult=1), gt(*b, 0)],
                          "dets": [det(*a, .9, 0), det(*b, .7, 0), det(*c, .8, 0)]}])
    add("only_difficult_gt", 2, [{"gts": [gt(*a, 0, difficult=1), gt(*b, 1)],
                                  "dets": [det(*a, .9, 0), det(*b, .7, 1)]}])
    add("crowd", 1, [{"gts": [gt(0, 0, 200, 200, 0, iscrowd=1), gt(300, 300, 380, 390, 0)],
                      "dets": [det(10, 10, 60, 60, .9, 0), det(100, 100, 150, 140, .8, 0),
                               det(300, 300, 380, 390, .7, 0), det(500, 500, 540, 530, .75, 0)]}])
    add("area_ranges", 1, [{"gts": [gt(0, 0, 20, 20, 0), gt(100, 100, 150, 150, 0),
                                    gt(300, 300, 450, 420, 0), gt(600, 600, 630, 630, 0, area=2000)],
                            "dets": [det(0, 0, 20, 20, .9, 0), det(300, 302, 450, 420, .8, 0),
                                     det(700, 0, 710, 8, .95, 0), det(0, 700, 200, 900, .6, 0),
                                     det(100, 100, 152, 148, .5, 0), det(600, 600, 630, 630, .4, 0)]}])
    # Equal IoU with two GT: pycocotools takes the later one (>= replaces); a second detection
    # then finds the earlier one.
    add("equal_iou_two_gt", 1, [{"gts": [gt(0, 0, 100, 100, 0), gt(50, 0, 150, 100, 0)],
                                 "dets": [det(25, 0, 125, 100, .9, 0), det(0, 0, 100, 100, .8, 0)]}])
    many = [det(x * 9, 0, x * 9 + 8, 8, 1.0 - x * 0.005, 0) for x in range(120)]
    add("more_than_100_dets", 1, [{"gts": [gt(x * 9, 0, x * 9 + 8, 8, 0) for x in range(0, 120, 3)],
                                   "dets": many}])
    for seed in range(4):
        rnd = random.Random(seed)
        num_classes, images = 4, []
        for _ in range(10):
            gts, dts = [], []
            for _ in range(rnd.randint(0, 6)):
                w, h = rnd.choice([(12, 15), (40, 50), (120, 90),
                                   (rnd.uniform(5, 200), rnd.uniform(5, 200))])
                x, y = rnd.uniform(0, 400), rnd.uniform(0, 400)
                label = rnd.randrange(num_classes)
                gts.append(gt(round(x, 1), round(y, 1), round(x + w, 1), round(y + h, 1), label,
                              difficult=int(rnd.random() < 0.15), iscrowd=int(rnd.random() < 0.08)))
                for _ in range(rnd.choice([0, 1, 1, 1, 2])):
                    j = [rnd.gauss(0, 0.08 * w), rnd.gauss(0, 0.08 * h)]
                    j2 = [rnd.gauss(0, 0.08 * w), rnd.gauss(0, 0.08 * h)]
                    x1, y1 = gts[-1][0] + j[0], gts[-1][1] + j[1]
                    x2, y2 = max(x1, gts[-1][2] + j2[0]), max(y1, gts[-1][3] + j2[1])
                    lab = label if rnd.random() < 0.85 else rnd.randrange(num_classes)
                    dts.append(det(round(x1, 2), round(y1, 2), round(x2, 2), round(y2, 2),
                                   round(rnd.random(), 1 if seed % 2 else 4), lab))
            for _ in range(rnd.randint(0, 4)):
                x, y, w, h = (rnd.uniform(0, 400), rnd.uniform(0, 400), rnd.uniform(4, 150),
                              rnd.uniform(4, 150))
                dts.append(det(round(x, 2), round(y, 2), round(x + w, 2), round(y + h, 2),
                               round(rnd.random() * 0.7, 1 if seed % 2 else 4),
                               rnd.randrange(num_classes)))
            images.append({"gts": gts, "dets": dts})
        add("random_%d" % seed, num_classes, images)
    return cases


def ood_cases():
    cases = []

    def add(name, pos, neg, recall_level=0.95):
        cases.append({"name": name, "pos": [float(v) for v in pos], "neg": [float(v) for v in neg],
                      "recall_level": recall_level})

    add("separated", [3, 4, 5], [0, 1, 2])
    add("reversed", [0, 1, 2], [3, 4, 5])
    add("all_equal", [1, 1, 1, 1], [1, 1])
    add("single_each", [0.3], [0.7])
    add("ties_mixed", [0.9, 0.5, 0.5, 0.5, 0.2, 0.1], [0.5, 0.5, 0.3, 0.2, 0.05])
    add("recall_level_0.5", [5, 4, 3, 2], [4.5, 3.5, 1], 0.5)
    rnd = random.Random(7)
    add("gaussian", [rnd.gauss(1.0, 1.0) for _ in range(300)], [rnd.gauss(0, 1.0) for _ in range(200)])
    add("gaussian_ties", [round(rnd.gauss(0.5, 1.0), 1) for _ in range(400)],
        [round(rnd.gauss(0, 1.0), 1) for _ in range(150)])
    add("negative_energies", [-rnd.uniform(0, 3) for _ in range(60)],
        [-rnd.uniform(1, 5) for _ in range(40)])
    return cases


def main():
    dets = detection_cases()
    cross_checked = False
    for case in dets:
        case["coco"] = coco_reference(case)
        case["voc07"] = voc07_reference(case)
        cross_checked = coco_cross_check(case, case["coco"]) or cross_checked
    oods = ood_cases()
    for case in oods:
        case.update(ood_reference(case["pos"], case["neg"], case["recall_level"]))
    out = {"format_version": FORMAT_VERSION, "generator": "tests/golden/gen_metrics.py",
           "references": {"sklearn": sklearn.__version__, "numpy": np.__version__,
                          "pycocotools_cross_check": cross_checked},
           "detection_cases": dets, "ood_cases": oods}
    with open(OUT, "w") as f:
        json.dump(out, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print("wrote %s: %d detection cases, %d OOD cases, pycocotools cross-check: %s"
          % (OUT, len(dets), len(oods), cross_checked), file=sys.stderr)


if __name__ == "__main__":
    main()
