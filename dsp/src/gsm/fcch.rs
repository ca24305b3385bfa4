//! FCCH detection and frequency estimation, TS 45.002 §5.2.4 (the frequency
//! correction burst: 148 zero bits, i.e. an unmodulated tone at +1625/24 kHz
//! ≈ +67.7 kHz, TS 45.004), used for the frequency correction of TS 45.010 §6.
//!
//! The detector is a phase-difference test that ignores the frequency offset:
//! zₖ(n) = x(n + k·sps)·x*(n), summed over a sliding window of `W` symbols.
//! For a tone |Σz| equals Σ|x|², so ρ = |Σz₄| / Σ|x|² → SNR/(1 + SNR); for
//! GMSK data with a lag of four symbols it averages to ≈ 0 (at least one
//! symbol's quarter turn lies wholly inside the lag and E[e^{±jπ/2}] = 0), and
//! for noise it is ≈ 1/√(W·sps). A tone must also look like a burst: ρ must
//! stay above threshold for a run no longer than a burst allows (a continuous
//! carrier or a DC offset is refused by that and by its one-symbol phase step).
//!
//! Frequency: arg Σz₁ = π/2 + 2π·f·T gives f unambiguously over ±135 kHz;
//! arg Σz₄ = 4·(π/2 + 2π·f·T) refines it four times more finely.

use num_complex::{Complex, Complex32};

use super::SYMBOL_RATE;

/// FCCH burst length, symbols.
const FCCH_LEN: usize = 148;

/// Detector settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FcchConfig {
    /// Window length, symbols (≤ 140).
    pub window_symbols: usize,
    /// Threshold on ρ (0–1): 0.5 accepts FCCH down to about 0 dB SNR; dummy
    /// bursts reach ρ ≈ 0.35–0.55 on some channels (see [`consensus_offset`]).
    pub threshold: f32,
    /// Largest frequency offset accepted, Hz.
    pub max_offset_hz: f64,
}

impl Default for FcchConfig {
    fn default() -> Self {
        FcchConfig {
            window_symbols: 100,
            threshold: 0.5,
            max_offset_hz: 60_000.0,
        }
    }
}

/// One detected frequency correction burst.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FcchHit {
    /// Estimated sample index of the burst's first bit (± a few symbols).
    pub start: usize,
    /// Frequency offset of the carrier, Hz (tone at 67.7 kHz + offset).
    pub offset_hz: f64,
    /// Peak ρ of the burst.
    pub rho: f32,
    /// SNR implied by ρ, dB (ρ = SNR / (1 + SNR)).
    pub snr_db: f32,
}

/// The outcome of a search.
#[derive(Debug, Clone, PartialEq)]
pub enum FcchSearch {
    /// Bursts found, in time order.
    Found {
        /// The bursts.
        hits: Vec<FcchHit>,
    },
    /// Nothing burst-like above threshold.
    NotFound {
        /// Highest ρ seen anywhere (0 for an empty or too short input).
        best_rho: f32,
    },
}

/// The detector; buffers are reused between calls.
#[derive(Debug, Clone)]
pub struct FcchDetector {
    cfg: FcchConfig,
    sps: usize,
    /// Per-symbol sums: (z₁, z₄, |x|²), then prefix sums.
    z1: Vec<Complex<f64>>,
    z4: Vec<Complex<f64>>,
    p: Vec<f64>,
    rho: Vec<f32>,
}

impl FcchDetector {
    /// A detector for signals at `sps` samples per symbol.
    pub fn new(cfg: FcchConfig, sps: usize) -> Self {
        let cfg = FcchConfig {
            window_symbols: cfg.window_symbols.clamp(16, 140),
            threshold: if cfg.threshold.is_finite() {
                cfg.threshold.clamp(0.05, 0.99)
            } else {
                0.35
            },
            max_offset_hz: if cfg.max_offset_hz.is_finite() {
                cfg.max_offset_hz.clamp(0.0, 130_000.0)
            } else {
                60_000.0
            },
        };
        FcchDetector {
            cfg,
            sps: sps.max(1),
            z1: Vec::new(),
            z4: Vec::new(),
            p: Vec::new(),
            rho: Vec::new(),
        }
    }

    /// Searches `x` (at `sps` samples per symbol, channel centred) for FCCH bursts.
    pub fn search(&mut self, x: &[Complex32]) -> FcchSearch {
        let sps = self.sps;
        let w = self.cfg.window_symbols;
        let n_sym = x.len().saturating_sub(4 * sps) / sps;
        if n_sym < w + 1 {
            return FcchSearch::NotFound { best_rho: 0.0 };
        }
        // Prefix sums per symbol.
        self.z1.clear();
        self.z4.clear();
        self.p.clear();
        let zero = Complex::new(0.0f64, 0.0);
        self.z1.push(zero);
        self.z4.push(zero);
        self.p.push(0.0);
        let (mut a1, mut a4, mut ap) = (zero, zero, 0.0f64);
        for k in 0..n_sym {
            let (mut s1, mut s4, mut sp) = (Complex32::default(), Complex32::default(), 0.0f32);
            for n in k * sps..(k + 1) * sps {
                let c = x[n].conj();
                s1 += x[n + sps] * c;
                s4 += x[n + 4 * sps] * c;
                sp += x[n].norm_sqr();
            }
            a1 += Complex::new(f64::from(s1.re), f64::from(s1.im));
            a4 += Complex::new(f64::from(s4.re), f64::from(s4.im));
            ap += f64::from(sp);
            self.z1.push(a1);
            self.z4.push(a4);
            self.p.push(ap);
        }
        // ρ for every window start (in symbols).
        let starts = n_sym + 1 - w;
        self.rho.clear();
        let mut best_rho = 0.0f32;
        for s in 0..starts {
            let z = self.z4[s + w] - self.z4[s];
            let p = self.p[s + w] - self.p[s];
            let r = if p > 1e-30 {
                (z.norm_sqr().sqrt() / p) as f32
            } else {
                0.0
            };
            let r = if r.is_finite() { r.min(1.0) } else { 0.0 };
            best_rho = best_rho.max(r);
            self.rho.push(r);
        }
        // Runs above threshold.
        let thr = self.cfg.threshold;
        // A window overlapping the burst by a fraction q has ρ ≈ q·ρmax, so the run
        // above threshold spans at most FCCH_LEN + W starts; a carrier is longer.
        let max_run = FCCH_LEN + w;
        let mut hits = Vec::new();
        let mut s = 0;
        while s < starts {
            if self.rho[s] < thr {
                s += 1;
                continue;
            }
            let run_start = s;
            while s < starts && self.rho[s] >= thr {
                s += 1;
            }
            let run_end = s; // exclusive
                             // A burst: the run is bounded on both sides and not longer than a burst allows.
            if run_start == 0 || run_end == starts || run_end - run_start > max_run {
                continue;
            }
            let Some(peak) =
                (run_start..run_end).max_by(|&a, &b| self.rho[a].total_cmp(&self.rho[b]))
            else {
                continue;
            };
            let centre = (run_start + run_end - 1) as f64 / 2.0;
            let z1 = self.z1[peak + w] - self.z1[peak];
            let z4 = self.z4[peak + w] - self.z4[peak];
            let t = 1.0 / SYMBOL_RATE;
            let wrap = |a: f64| {
                (a + std::f64::consts::PI).rem_euclid(std::f64::consts::TAU) - std::f64::consts::PI
            };
            // One-symbol step: π/2 + 2πfT.
            let step = z1.arg();
            let f1 = wrap(step - std::f64::consts::FRAC_PI_2) / (std::f64::consts::TAU * t);
            // Four-symbol step: 8πfT (mod 2π), ambiguity 1/(4T).
            let f4 = wrap(z4.arg()) / (4.0 * std::f64::consts::TAU * t);
            let amb = 1.0 / (4.0 * t);
            let k = ((f1 - f4) / amb).round();
            let f = f4 + k * amb;
            // The one-symbol step must agree (a DC offset or a tone far from 67.7 kHz fails this).
            let rho1 = {
                let p = self.p[peak + w] - self.p[peak];
                if p > 1e-30 {
                    (z1.norm_sqr().sqrt() / p) as f32
                } else {
                    0.0
                }
            };
            if !(f.is_finite() && f.abs() <= self.cfg.max_offset_hz && rho1 >= thr) {
                continue;
            }
            let rho = self.rho[peak];
            let snr = (rho / (1.0 - rho).max(1e-4)).max(1e-6);
            let start_sym = centre + w as f64 / 2.0 - FCCH_LEN as f64 / 2.0;
            hits.push(FcchHit {
                start: (start_sym.max(0.0) * sps as f64).round() as usize,
                offset_hz: f,
                rho,
                snr_db: 10.0 * snr.log10(),
            });
        }
        // One burst may leave more than one run (ρ dipping near the threshold):
        // keep the strongest hit within a burst length.
        let span = FCCH_LEN * sps;
        let all = std::mem::take(&mut hits);
        for h in &all {
            let stronger = all.iter().any(|o| {
                o.start.abs_diff(h.start) < span
                    && (o.rho > h.rho || (o.rho == h.rho && o.start < h.start))
            });
            if !stronger {
                hits.push(*h);
            }
        }
        if hits.is_empty() {
            FcchSearch::NotFound { best_rho }
        } else {
            FcchSearch::Found { hits }
        }
    }
}

/// The carrier offset the hits agree on: hits are weighted by their SNR
/// (linear; the variance of a hit's estimate falls with it), the offset with
/// the most weight within ±`tolerance_hz` wins, and the result is the weighted
/// mean of the hits within that tolerance, which are returned strongest first.
/// Dummy bursts and other structured data can pass the detector with a low ρ
/// and a scattered offset; they lose this vote to the real bursts.
pub fn consensus_offset(hits: &[FcchHit], tolerance_hz: f64) -> Option<(f64, Vec<FcchHit>)> {
    let w = |h: &FcchHit| 10f64.powf(f64::from(h.snr_db) / 10.0).min(1e4);
    let support = |f: f64| -> f64 {
        hits.iter()
            .filter(|h| (h.offset_hz - f).abs() <= tolerance_hz)
            .map(w)
            .sum()
    };
    let centre = hits
        .iter()
        .map(|h| (h.offset_hz, support(h.offset_hz)))
        .max_by(|a, b| a.1.total_cmp(&b.1))?
        .0;
    let mut members: Vec<FcchHit> = hits
        .iter()
        .filter(|h| (h.offset_hz - centre).abs() <= tolerance_hz)
        .copied()
        .collect();
    let total: f64 = members.iter().map(w).sum();
    let f = members.iter().map(|h| w(h) * h.offset_hz).sum::<f64>() / total.max(1e-30);
    members.sort_by(|a, b| b.snr_db.total_cmp(&a.snr_db));
    f.is_finite().then_some((f, members))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gsm::tx::channel::{add_awgn, apply_cfo, Rng};
    use crate::gsm::tx::{dummy_burst, fcch_burst, FrameBursts, FrameModulator};

    fn signal(cfo: f64, noise: f64) -> Vec<Complex32> {
        let mut rng = Rng::new(5);
        let frames: Vec<FrameBursts> = (0..3)
            .map(|k| {
                let mut f = [Some(dummy_burst()); 8];
                if k == 1 {
                    f[0] = Some(fcch_burst());
                }
                // Other slots: random-looking normal data.
                for s in f.iter_mut().skip(1) {
                    let mut b = [0u8; 148];
                    for v in b.iter_mut().skip(3).take(142) {
                        *v = (rng.next_u64() & 1) as u8;
                    }
                    *s = Some(b);
                }
                f
            })
            .collect();
        let mut x = Vec::new();
        FrameModulator::new(2).modulate(&frames, 0.5, &mut x);
        apply_cfo(&mut x, cfo, 2.0 * SYMBOL_RATE, 0.2);
        add_awgn(&mut x, noise, &mut rng);
        x
    }

    #[test]
    fn finds_the_burst_and_its_offset() {
        for cfo in [-20_000.0, 0.0, 3_000.0, 20_000.0, 45_000.0] {
            let x = signal(cfo, 0.025);
            let mut d = FcchDetector::new(FcchConfig::default(), 2);
            match d.search(&x) {
                FcchSearch::Found { hits } => {
                    assert_eq!(hits.len(), 1, "{hits:?}");
                    let h = hits[0];
                    let expected = 1250 * 2;
                    // The guard period before it (ones: a short tone in this transmitter) pulls the estimate early.
                    assert!((h.start as i64 - expected).abs() <= 24, "{cfo}: {h:?}");
                    assert!((h.offset_hz - cfo).abs() < 150.0, "{cfo}: {h:?}");
                    assert!(h.snr_db > 7.0, "{h:?}");
                }
                other => panic!("{cfo}: {other:?}"),
            }
        }
    }

    #[test]
    fn consensus_outvotes_weak_scattered_hits() {
        let hit = |f: f64, snr_db: f32| FcchHit {
            start: 0,
            offset_hz: f,
            rho: 0.5,
            snr_db,
        };
        // Three weak false hits near −30 kHz, two strong real ones near +100 Hz.
        let hits = [
            hit(-30_000.0, 0.0),
            hit(-29_500.0, 0.5),
            hit(-30_400.0, 0.2),
            hit(80.0, 15.0),
            hit(120.0, 15.0),
        ];
        let (f, members) = consensus_offset(&hits, 1500.0).unwrap();
        assert!((f - 100.0).abs() < 1e-6, "{f}");
        assert_eq!(members.len(), 2);
        assert!(consensus_offset(&[], 1500.0).is_none());
    }

    #[test]
    fn no_burst_in_noise_dc_or_a_continuous_tone() {
        let mut rng = Rng::new(9);
        let mut noise = vec![Complex32::default(); 20_000];
        add_awgn(&mut noise, 1.0, &mut rng);
        let mut d = FcchDetector::new(FcchConfig::default(), 2);
        assert!(matches!(d.search(&noise), FcchSearch::NotFound { .. }));
        let dc = vec![Complex32::new(0.3, 0.1); 20_000];
        assert!(matches!(d.search(&dc), FcchSearch::NotFound { .. }));
        let mut tone = vec![Complex32::new(0.5, 0.0); 20_000];
        apply_cfo(&mut tone, 67_708.0, 2.0 * SYMBOL_RATE, 0.0);
        assert!(matches!(d.search(&tone), FcchSearch::NotFound { .. }));
        assert!(matches!(d.search(&[]), FcchSearch::NotFound { best_rho } if best_rho == 0.0));
        let nan = vec![Complex32::new(f32::NAN, 0.0); 5000];
        assert!(matches!(d.search(&nan), FcchSearch::NotFound { .. }));
    }
}
