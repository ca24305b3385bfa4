//! LTE turbo coding chain, TS 36.212 §5.1.2–5.1.4.1: loopback of the encoder,
//! rate matcher, segmentation and decoder over block sizes, redundancy versions,
//! E and SNR (BPSK over AWGN, seeded), and the fast max-log decoder against its
//! scalar reference.

use towerwatch_dsp::fec::crc::{Crc, CRC24A, CRC24B};
use towerwatch_dsp::fec::segmentation::{desegment, segment, Segmentation};
use towerwatch_dsp::fec::turbo::{
    turbo_encode, TurboAlgorithm, TurboConfig, TurboDecoder, KNOWN_BIT_LLR, QPP_TABLE,
};
use towerwatch_dsp::fec::turbo_rate_match::{code_block_e, TurboRateMatcher};
use towerwatch_dsp::lte::tbs::{tbs, TBS_DCI1C, TBS_TABLE};

/// xorshift64* with Box–Muller: reproducible noise without a dependency.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn gauss(&mut self) -> f64 {
        (-2.0 * self.uniform().ln()).sqrt() * (std::f64::consts::TAU * self.uniform()).cos()
    }
    fn bits(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| (self.next_u64() >> 63) as u8).collect()
    }
}

/// BPSK (0 ↦ +1) over AWGN at Es/N0 `snr_db`: LLRs 2y/σ² (σ² = N0/2 per real dimension).
fn channel(bits: &[u8], snr_db: f64, rng: &mut Rng) -> Vec<f32> {
    let sigma2 = 0.5 / 10f64.powf(snr_db / 10.0);
    bits.iter()
        .map(|&b| {
            let x = if b == 0 { 1.0 } else { -1.0 };
            (2.0 * (x + sigma2.sqrt() * rng.gauss()) / sigma2) as f32
        })
        .collect()
}

fn noiseless(bits: &[u8]) -> Vec<f32> {
    bits.iter()
        .map(|&b| if b == 0 { 4.0 } else { -4.0 })
        .collect()
}

#[test]
fn every_block_size_loops_back_noiseless() {
    let mut rng = Rng(1);
    let mut dec = TurboDecoder::new(6144);
    for &(k, _, _) in &QPP_TABLE {
        let k = usize::from(k);
        let c = rng.bits(k);
        let [d0, d1, d2] = turbo_encode(&c).unwrap();
        let mut out = vec![0u8; k];
        let o = dec
            .decode(
                &noiseless(&d0),
                &noiseless(&d1),
                &noiseless(&d2),
                &mut out,
                |b| b == c.as_slice(),
            )
            .unwrap();
        assert!(o.check_passed && o.iterations == 1, "K {k}: {o:?}");
    }
}

#[test]
fn fast_max_log_equals_reference_bit_for_bit() {
    let mut rng = Rng(7);
    for &k in &[40usize, 104, 512, 1056, 6144] {
        let c = rng.bits(k);
        let [d0, d1, d2] = turbo_encode(&c).unwrap();
        let (l0, l1, l2) = (
            channel(&d0, -4.0, &mut rng),
            channel(&d1, -4.0, &mut rng),
            channel(&d2, -4.0, &mut rng),
        );
        let mut outs = Vec::new();
        for algorithm in [TurboAlgorithm::MaxLog, TurboAlgorithm::MaxLogReference] {
            let mut dec = TurboDecoder::with_config(
                k,
                TurboConfig {
                    max_iterations: 6,
                    algorithm,
                    ..Default::default()
                },
            );
            let mut out = vec![0u8; k];
            let o = dec.decode(&l0, &l1, &l2, &mut out, |_| false).unwrap();
            assert_eq!(o.iterations, 6);
            outs.push((
                out,
                dec.llrs().iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            ));
        }
        assert_eq!(
            outs[0], outs[1],
            "K {k}: fast max-log differs from the reference"
        );
    }
}

/// Block error rate over `trials` blocks of size `k` at Es/N0 `snr_db`, with the
/// mean number of iterations (early stop on the true bits, i.e. an ideal CRC).
fn bler(k: usize, snr_db: f64, trials: usize, config: TurboConfig, seed: u64) -> (f64, f64) {
    let mut rng = Rng(seed);
    let mut dec = TurboDecoder::with_config(k, config);
    let mut out = vec![0u8; k];
    let (mut errors, mut iters) = (0, 0);
    for _ in 0..trials {
        let c = rng.bits(k);
        let [d0, d1, d2] = turbo_encode(&c).unwrap();
        let (l0, l1, l2) = (
            channel(&d0, snr_db, &mut rng),
            channel(&d1, snr_db, &mut rng),
            channel(&d2, snr_db, &mut rng),
        );
        let o = dec
            .decode(&l0, &l1, &l2, &mut out, |b| b == c.as_slice())
            .unwrap();
        iters += o.iterations;
        errors += usize::from(out != c);
    }
    (errors as f64 / trials as f64, iters as f64 / trials as f64)
}

#[test]
fn bler_curve_rate_one_third() {
    // Rate 1/3 BPSK: Eb/N0 = Es/N0 + 4.77 dB. Uncoded BPSK at Es/N0 = −3 dB has a
    // bit error rate of 16 %, so every block of ≥ 40 bits would be lost.
    let cfg = TurboConfig::default();
    let mut curve = Vec::new();
    for snr in [-6.0, -5.0, -4.0, -3.0] {
        let (b, it) = bler(1024, snr, 40, cfg, 11);
        curve.push((snr, b, it));
    }
    eprintln!("K = 1024, max-log ×0.7, ≤8 iterations: (Es/N0 dB, BLER, mean iterations) {curve:?}");
    assert!(curve[3].1 == 0.0, "BLER at −3 dB: {}", curve[3].1);
    assert!(curve[0].1 > curve[3].1);
    // Larger blocks do better (interleaver gain): K = 6144 at −4 dB.
    let (b6144, _) = bler(6144, -4.0, 10, cfg, 12);
    assert_eq!(b6144, 0.0);
    // Small SIB-sized blocks still decode at −2 dB.
    let (b40, _) = bler(40, -1.0, 100, cfg, 13);
    assert!(b40 < 0.05, "K 40 BLER {b40}");
}

#[test]
fn log_map_reference_is_at_least_as_good_as_max_log() {
    let base = TurboConfig {
        max_iterations: 4,
        extrinsic_scale: 1.0,
        ..Default::default()
    };
    let (max_log, _) = bler(256, -3.5, 60, base, 21);
    let (log_map, _) = bler(
        256,
        -3.5,
        60,
        TurboConfig {
            algorithm: TurboAlgorithm::LogMapReference,
            ..base
        },
        21,
    );
    let (scaled, _) = bler(
        256,
        -3.5,
        60,
        TurboConfig {
            extrinsic_scale: 0.7,
            ..base
        },
        21,
    );
    eprintln!("K 256, Es/N0 −3.5 dB, 4 iterations: BLER max-log {max_log}, max-log×0.7 {scaled}, log-MAP {log_map}");
    assert!(log_map <= max_log, "log-MAP {log_map} vs max-log {max_log}");
    assert!(log_map < 0.5);
}

#[test]
fn rate_match_round_trip_over_rv_and_e() {
    let mut rng = Rng(3);
    let mut dec = TurboDecoder::new(6144);
    for &(k, f) in &[(40usize, 0usize), (48, 4), (1056, 0), (6144, 0)] {
        let mut c = rng.bits(k);
        c[..f].fill(0);
        let [d0, d1, d2] = turbo_encode(&c).unwrap();
        let rm = TurboRateMatcher::new(k, f, None).unwrap();
        for rv in 0..4u8 {
            // Punctured to rate 0.8 (RV 0 only: RV 1–3 start in the parity bits and
            // are not self-decodable that high), rate 1/2, about the mother rate,
            // and repeated past K_w.
            let punctured = if rv == 0 { Some((k * 5) / 4) } else { None };
            for e in punctured
                .into_iter()
                .chain([2 * k, 3 * k, 4 * rm.ncb() + 7])
            {
                let mut tx = vec![0u8; e];
                rm.rate_match([&d0, &d1, &d2], rv, &mut tx).unwrap();
                let mut s = [vec![0f32; k + 4], vec![0f32; k + 4], vec![0f32; k + 4]];
                let [s0, s1, s2] = &mut s;
                rm.dematch_accumulate(&noiseless(&tx), rv, [s0, s1, s2])
                    .unwrap();
                s0[..f].fill(KNOWN_BIT_LLR);
                s1[..f].fill(KNOWN_BIT_LLR);
                let mut out = vec![0u8; k];
                let o = dec
                    .decode(s0, s1, s2, &mut out, |b| b == c.as_slice())
                    .unwrap();
                assert!(o.check_passed, "K {k} F {f} rv {rv} E {e}");
            }
        }
    }
}

#[test]
fn soft_combining_redundancy_versions_helps() {
    // Each transmission alone is punctured to rate ≈ 0.9 at a low SNR; accumulating
    // RV 0, 2, 3, 1 (the SIB1 order, TS 36.321 §5.3.1) recovers the block.
    let k = 1024;
    let mut rng = Rng(5);
    let rm = TurboRateMatcher::new(k, 0, None).unwrap();
    let mut dec = TurboDecoder::new(k);
    let mut single_ok = 0;
    let mut combined_ok = 0;
    let trials = 20;
    for _ in 0..trials {
        let c = rng.bits(k);
        let [d0, d1, d2] = turbo_encode(&c).unwrap();
        let mut acc = [vec![0f32; k + 4], vec![0f32; k + 4], vec![0f32; k + 4]];
        for (i, rv) in [0u8, 2, 3, 1].into_iter().enumerate() {
            let mut tx = vec![0u8; 1140];
            rm.rate_match([&d0, &d1, &d2], rv, &mut tx).unwrap();
            let rx = channel(&tx, -1.0, &mut rng);
            let [a0, a1, a2] = &mut acc;
            rm.dematch_accumulate(&rx, rv, [a0, a1, a2]).unwrap();
            let mut out = vec![0u8; k];
            let o = dec
                .decode(&acc[0], &acc[1], &acc[2], &mut out, |b| b == c.as_slice())
                .unwrap();
            if i == 0 {
                single_ok += usize::from(o.check_passed);
            }
            if i == 3 {
                combined_ok += usize::from(o.check_passed);
            }
        }
    }
    eprintln!("K 1024, E 1140 per RV at −1 dB: RV0 alone {single_ok}/{trials}, four RVs combined {combined_ok}/{trials}");
    assert!(single_ok < trials / 2);
    assert_eq!(combined_ok, trials);
}

#[test]
fn every_tbs_needs_no_filler_bits() {
    // A property of TS 36.213 Table 7.1.7.2.1-1 (and 7.1.7.2.3-1): TBS + 24 always
    // segments exactly. A mistyped entry would almost surely break it.
    for (i, row) in TBS_TABLE.iter().enumerate() {
        for (n, &v) in row.iter().enumerate() {
            let s = Segmentation::new(v as usize).unwrap();
            assert_eq!(s.f, 0, "I_TBS {i} N_PRB {}: TBS {v}", n + 1);
        }
    }
    for v in TBS_DCI1C {
        assert_eq!(
            Segmentation::new(usize::from(v)).unwrap().f,
            0,
            "1C TBS {v}"
        );
    }
}

#[test]
fn segmentation_round_trip_and_crc_checks() {
    let mut rng = Rng(9);
    for a in [16usize, 40, 176, 1000, 6120, 6121, 12_000, 75_376] {
        let tb = rng.bits(a);
        let (seg, blocks) = segment(&tb).unwrap();
        assert_eq!(blocks.len(), seg.c);
        let total: usize = (0..seg.c).map(|r| seg.block_size(r)).sum();
        assert_eq!(total, seg.b + seg.c * seg.l + seg.f);
        for (r, b) in blocks.iter().enumerate() {
            assert_eq!(b.len(), seg.block_size(r));
            if seg.c > 1 {
                assert!(Crc::new(CRC24B).check(b));
            }
        }
        let refs: Vec<&[u8]> = blocks.iter().map(Vec::as_slice).collect();
        let d = desegment(&seg, &refs).unwrap();
        assert!(d.crc_ok && d.block_crc_ok.iter().all(|&x| x));
        assert_eq!(d.bits, tb);
        // One flipped bit in the last block fails its CRC24B and the CRC24A.
        let mut bad = blocks.clone();
        let last = bad.len() - 1;
        let mid = bad[last].len() / 2;
        bad[last][mid] ^= 1;
        let refs: Vec<&[u8]> = bad.iter().map(Vec::as_slice).collect();
        let d = desegment(&seg, &refs).unwrap();
        assert!(!d.crc_ok);
        assert_eq!(d.block_crc_ok[last], seg.c == 1);
    }
}

/// TB → CRC24A → segmentation → turbo → rate matching → AWGN → de-matching →
/// turbo decoding with early stop on CRC24B/CRC24A → reassembly.
fn transport_chain(
    a: usize,
    g: usize,
    rv: u8,
    snr_db: f64,
    rng: &mut Rng,
    dec: &mut TurboDecoder,
) -> (bool, usize) {
    let tb = rng.bits(a);
    let (seg, blocks) = segment(&tb).unwrap();
    let crc_a = Crc::new(CRC24A);
    let crc_b = Crc::new(CRC24B);
    let mut decoded = Vec::new();
    let mut iterations = 0;
    for (r, blk) in blocks.iter().enumerate() {
        let (k, f) = (seg.block_size(r), seg.filler(r));
        let [d0, d1, d2] = turbo_encode(blk).unwrap();
        let rm = TurboRateMatcher::new(k, f, None).unwrap();
        let e = code_block_e(g, seg.c, r, 1, 2);
        let mut tx = vec![0u8; e];
        rm.rate_match([&d0, &d1, &d2], rv, &mut tx).unwrap();
        let rx = channel(&tx, snr_db, rng);
        let mut s = [vec![0f32; k + 4], vec![0f32; k + 4], vec![0f32; k + 4]];
        let [s0, s1, s2] = &mut s;
        rm.dematch_accumulate(&rx, rv, [s0, s1, s2]).unwrap();
        s0[..f].fill(KNOWN_BIT_LLR);
        s1[..f].fill(KNOWN_BIT_LLR);
        let mut out = vec![0u8; k];
        let o = if seg.c > 1 {
            dec.decode(s0, s1, s2, &mut out, |b| crc_b.check(b))
                .unwrap()
        } else {
            dec.decode(s0, s1, s2, &mut out, |b| crc_a.check(&b[f..]))
                .unwrap()
        };
        iterations += o.iterations;
        decoded.push(out);
    }
    let refs: Vec<&[u8]> = decoded.iter().map(Vec::as_slice).collect();
    let d = desegment(&seg, &refs).unwrap();
    (d.crc_ok && d.bits == tb, iterations)
}

#[test]
fn transport_block_chain_loopback() {
    let mut rng = Rng(17);
    let mut dec = TurboDecoder::new(6144);
    // SIB-sized blocks (TBS of DCI 1A with SI-RNTI, MCS 2–9 over 2–3 PRB) and big
    // ones, each at a code rate ≤ 1/2: redundancy versions 1 and 2 start in the
    // parity part of the circular buffer and carry few or no systematic bits, so
    // alone they are not decodable at high rates (`rv_self_decodability`).
    for (a, g) in [
        (tbs(2, 2).unwrap() as usize, 440),
        (tbs(6, 2).unwrap() as usize, 440),
        (tbs(9, 3).unwrap() as usize, 1000),
        (4008, 9000),
        (19_080, 42_000),
    ] {
        for rv in 0..4u8 {
            let (ok, it) = transport_chain(a, g, rv, 2.0, &mut rng, &mut dec);
            assert!(ok, "TBS {a} G {g} rv {rv} ({it} iterations)");
        }
    }
}

#[test]
fn decoder_rejects_bad_lengths() {
    let mut dec = TurboDecoder::new(512);
    let mut out = vec![0u8; 41];
    assert!(dec
        .decode(&[0.0; 45], &[0.0; 45], &[0.0; 45], &mut out, |_| false)
        .is_err());
    let mut out = vec![0u8; 1024];
    assert!(dec
        .decode(&[0.0; 1028], &[0.0; 1028], &[0.0; 1028], &mut out, |_| {
            false
        })
        .is_err());
    let mut out = vec![0u8; 40];
    assert!(dec
        .decode(&[0.0; 44], &[0.0; 43], &[0.0; 44], &mut out, |_| false)
        .is_err());
}

#[test]
fn rv_self_decodability() {
    // Noiseless, K = 1024, E = 11K/8 (rate 0.73): RV 0 and 3 carry most systematic
    // bits and decode; RV 2 starts past them (no systematic bit at all) and fails;
    // at rate 1/2 every RV decodes.
    let k = 1024;
    let mut rng = Rng(3);
    let mut dec = TurboDecoder::new(k);
    let c = rng.bits(k);
    let [d0, d1, d2] = turbo_encode(&c).unwrap();
    let rm = TurboRateMatcher::new(k, 0, None).unwrap();
    let decodes = |e: usize, rv: u8, dec: &mut TurboDecoder| {
        let mut tx = vec![0u8; e];
        rm.rate_match([&d0, &d1, &d2], rv, &mut tx).unwrap();
        let mut s = [vec![0f32; k + 4], vec![0f32; k + 4], vec![0f32; k + 4]];
        let [s0, s1, s2] = &mut s;
        rm.dematch_accumulate(&noiseless(&tx), rv, [s0, s1, s2])
            .unwrap();
        let systematic = s0.iter().filter(|x| **x != 0.0).count();
        let mut out = vec![0u8; k];
        (
            dec.decode(s0, s1, s2, &mut out, |b| b == c.as_slice())
                .unwrap()
                .check_passed,
            systematic,
        )
    };
    let e = k * 11 / 8;
    assert!(decodes(e, 0, &mut dec).0);
    assert!(decodes(e, 3, &mut dec).0);
    assert_eq!(decodes(e, 2, &mut dec), (false, 0));
    for rv in 0..4 {
        assert!(decodes(2 * k, rv, &mut dec).0, "rv {rv}");
    }
}
