#!/usr/bin/env python3
"""Re-creates the recording excerpts in testdata/iq/ from ../shared/iq/.

Usage: python3 testdata/make_excerpts.py [SHARED_IQ_DIR]
"""
import hashlib
import json
import os
import shutil
import sys

SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "shared", "iq")
DST = os.path.join(os.path.dirname(__file__), "iq")
BYTES = {"cf32_le": 8, "ci16_le": 4, "ci8": 2, "cu8": 2}


def excerpt(sub, name, dur_s=None, out=None):
    meta = json.load(open(f"{SRC}/{sub}/{name}.sigmf-meta"))
    g = meta["global"]
    bps = BYTES[g["core:datatype"]]
    data = open(f"{SRC}/{sub}/{name}.sigmf-data", "rb").read()
    total = len(data) // bps
    n = int(round(dur_s * g["core:sample_rate"])) if dur_s else total
    part = data[: n * bps]
    out = out or name
    open(f"{DST}/{out}.sigmf-data", "wb").write(part)
    original = g.get("core:sha512")
    g["core:sha512"] = hashlib.sha512(part).hexdigest()
    if dur_s:
        g["core:description"] = g.get("core:description", "") + f" [excerpt: samples 0..{n} of {total}]"
        g["towerwatch:excerpt_of"] = {"recording": f"shared/iq/{sub}/{name}", "first_sample": 0, "samples": n, "original_sha512": original}
    json.dump(meta, open(f"{DST}/{out}.sigmf-meta", "w"), indent=1)
    truth = f"{SRC}/{sub}/{name}.truth.json"
    if os.path.exists(truth):
        shutil.copyfile(truth, f"{DST}/{out}.truth.json")


excerpt("lte", "srsran_pbch_cell150_2port")
excerpt("lte", "srsran_amarisoft_cell1_6prb")
excerpt("lte", "srsenb_b3_6prb_pci123", 0.04, "srsenb_b3_6prb_pci123_40ms")
excerpt("lte", "real_f796_s19.2_hackrf", 0.02, "real_f796_s19.2_hackrf_20ms")
excerpt("lte", "real_f2646_s1.92_noise_hackrf", 0.04, "real_f2646_s1.92_noise_hackrf_40ms")
