#!/usr/bin/env python3
"""Re-creates the recording excerpts in testdata/iq/ from ../shared/iq/.

Usage: python3 testdata/make_excerpts.py [SHARED_IQ_DIR]
"""
import hashlib
import json
import os
import shutil
import struct
import sys

SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "shared", "iq")
DST = os.path.join(os.path.dirname(__file__), "iq")
BYTES = {"cf32_le": 8, "ci16_le": 4, "ci8": 2, "cu8": 2}


def cf32_to_ci16(data):
    """Lossless cf32 → ci16 for integer-valued samples (raw ADC counts stored as floats)."""
    v = struct.unpack(f"<{len(data) // 4}f", data)
    assert all(x == int(x) and -32768 <= x <= 32767 for x in v), "not integer-valued 16-bit samples"
    return struct.pack(f"<{len(v)}h", *(int(x) for x in v))


def excerpt(sub, name, dur_s=None, out=None, as_ci16=False):
    meta = json.load(open(f"{SRC}/{sub}/{name}.sigmf-meta"))
    g = meta["global"]
    bps = BYTES[g["core:datatype"]]
    data = open(f"{SRC}/{sub}/{name}.sigmf-data", "rb").read()
    total = len(data) // bps
    n = int(round(dur_s * g["core:sample_rate"])) if dur_s else total
    part = data[: n * bps]
    if as_ci16:
        assert g["core:datatype"] == "cf32_le"
        part = cf32_to_ci16(part)
        g["core:datatype"] = "ci16_le"
    out = out or name
    open(f"{DST}/{out}.sigmf-data", "wb").write(part)
    original = g.get("core:sha512")
    g["core:sha512"] = hashlib.sha512(part).hexdigest()
    if dur_s or as_ci16:
        if dur_s:
            g["core:description"] = g.get("core:description", "") + f" [excerpt: samples 0..{n} of {total}]"
        g["towerwatch:excerpt_of"] = {"recording": f"shared/iq/{sub}/{name}", "first_sample": 0, "samples": n, "original_sha512": original}
        if as_ci16:
            g["core:description"] = g.get("core:description", "") + " [cf32 ADC counts re-encoded losslessly as ci16_le: full scale 32768]"
            g["towerwatch:excerpt_of"]["conversion"] = "cf32_le to ci16_le, lossless (every value is an integer within ±32767)"
    json.dump(meta, open(f"{DST}/{out}.sigmf-meta", "w"), indent=1)
    truth = f"{SRC}/{sub}/{name}.truth.json"
    if os.path.exists(truth):
        shutil.copyfile(truth, f"{DST}/{out}.truth.json")


excerpt("lte", "srsran_pbch_cell150_2port")
excerpt("lte", "srsran_amarisoft_cell1_6prb")
excerpt("lte", "srsenb_b3_6prb_pci123", 0.04, "srsenb_b3_6prb_pci123_40ms")
excerpt("lte", "real_f796_s19.2_hackrf", 0.02, "real_f796_s19.2_hackrf_20ms")
excerpt("lte", "real_f2646_s1.92_noise_hackrf", 0.04, "real_f2646_s1.92_noise_hackrf_40ms")
excerpt("gsm", "real_gsmsp2007_953.6MHz_128", as_ci16=True)
