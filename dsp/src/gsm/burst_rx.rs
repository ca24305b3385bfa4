//! Reception of one burst from oversampled baseband: timing search over a
//! window of sampling instants, channel estimation on the training sequence
//! ([`super::chest`], normal burst TS 45.002 §5.2.3 or SCH §5.2.5), derotation
//! by j⁻ᵐ (TS 45.004 linearised GMSK) and MLSE equalization
//! ([`super::equalizer`]) into 148 LLRs; then the channel is estimated again
//! from the whole burst's decisions and the burst equalized a second time.
//!
//! A burst's time reference `t` is the sample taken for burst bit 0 under the
//! causal channel model (r′ₘ at sample t + m·sps); the GMSK pulse's own delay
//! and the multipath fold into the taps. The search keeps the instant with the
//! highest training SNR (energy captured by the taps over the residual).

use super::burst::{sch_training_bits, training_bits, BURST_LEN};
use super::chest::{estimate_from_decisions, ChannelEstimate, TrainingEstimator, CHANNEL_TAPS};
use super::equalizer::{Mlse, UNKNOWN};
use num_complex::Complex32;

/// Which burst type to receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BurstKind {
    /// Normal burst with training sequence code 0–7 (TS 45.002 §5.2.3).
    Normal {
        /// Training sequence code (= BCC on the BCCH carrier).
        tsc: u8,
    },
    /// Synchronization burst (TS 45.002 §5.2.5).
    Sch,
}

/// A received burst.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedBurst {
    /// Sample index chosen for burst bit 0 (see the module doc).
    pub t: usize,
    /// The channel estimated on the training sequence.
    pub channel: ChannelEstimate,
    /// One LLR per burst bit (positive = 0), tail and training bits included.
    pub llrs: [f32; BURST_LEN],
    /// Mean power of the burst's samples.
    pub power: f32,
}

/// Symbols between the centres of the two half-bursts compared by
/// [`BurstReceiver::phase_drift`].
pub const DRIFT_SPAN_SYMBOLS: usize = 72;

/// Burst receiver at `sps` samples per symbol; buffers allocated in `new`.
#[derive(Debug, Clone)]
pub struct BurstReceiver {
    sps: usize,
    normal: Vec<TrainingEstimator>,
    sch: TrainingEstimator,
    known_normal: Vec<[u8; BURST_LEN]>,
    known_sch: [u8; BURST_LEN],
    mlse: Mlse,
    r: [Complex32; BURST_LEN],
    decided: [u8; BURST_LEN],
}

/// j⁻ᵐ.
fn derot(m: usize) -> Complex32 {
    match m % 4 {
        0 => Complex32::new(1.0, 0.0),
        1 => Complex32::new(0.0, -1.0),
        2 => Complex32::new(-1.0, 0.0),
        _ => Complex32::new(0.0, 1.0),
    }
}

impl BurstReceiver {
    /// A receiver for signals at `sps` (≥ 1) samples per symbol.
    pub fn new(sps: usize) -> Self {
        let tails = |k: &mut [u8; BURST_LEN]| {
            for i in (0..3).chain(145..148) {
                k[i] = 0;
            }
        };
        let known_normal = (0..8u8)
            .map(|tsc| {
                let mut k = [UNKNOWN; BURST_LEN];
                tails(&mut k);
                k[61..87].copy_from_slice(&training_bits(tsc));
                k
            })
            .collect();
        let mut known_sch = [UNKNOWN; BURST_LEN];
        tails(&mut known_sch);
        known_sch[42..106].copy_from_slice(&sch_training_bits());
        BurstReceiver {
            sps: sps.max(1),
            normal: (0..8u8)
                .map(|tsc| TrainingEstimator::new(&training_bits(tsc), 61))
                .collect(),
            sch: TrainingEstimator::new(&sch_training_bits(), 42),
            known_normal,
            known_sch,
            mlse: Mlse::new(BURST_LEN),
            r: [Complex32::default(); BURST_LEN],
            decided: [0; BURST_LEN],
        }
    }

    /// Samples per symbol.
    pub fn sps(&self) -> usize {
        self.sps
    }

    /// Fills `self.r[m]` for m in `range` from `x` at reference `t`; false if out of range.
    fn gather(&mut self, x: &[Complex32], t: usize, range: std::ops::Range<usize>) -> bool {
        let last = t + (range.end.saturating_sub(1)) * self.sps;
        if range.is_empty() || last >= x.len() {
            return false;
        }
        for m in range {
            self.r[m] = x[t + m * self.sps] * derot(m);
        }
        true
    }

    /// Searches `t` in `t_lo..=t_hi` for the best training fit; `None` when no
    /// candidate instant has the whole burst inside `x`.
    pub fn locate(
        &mut self,
        x: &[Complex32],
        kind: BurstKind,
        t_lo: usize,
        t_hi: usize,
    ) -> Option<(usize, ChannelEstimate)> {
        let (first, end) = match kind {
            BurstKind::Normal { tsc } => {
                let e = &self.normal[usize::from(tsc & 7)];
                (e.first(), e.end())
            }
            BurstKind::Sch => (self.sch.first(), self.sch.end()),
        };
        let mut best: Option<(usize, ChannelEstimate, f32)> = None;
        for t in t_lo..=t_hi {
            if t + (BURST_LEN - 1) * self.sps >= x.len() {
                break;
            }
            if !self.gather(x, t, first..end) {
                break;
            }
            let est = match kind {
                BurstKind::Normal { tsc } => self.normal[usize::from(tsc & 7)].estimate(&self.r),
                BurstKind::Sch => self.sch.estimate(&self.r),
            };
            if let Some(e) = est {
                let q = e.energy / e.noise_var;
                if q.is_finite() && best.as_ref().is_none_or(|b| q > b.2) {
                    best = Some((t, e, q));
                }
            }
        }
        best.map(|(t, e, _)| (t, e))
    }

    /// How far the carrier phase turns across a burst whose bits are all known
    /// (`bits`, 0/1, e.g. a decoded and re-encoded SCH burst) at instant `t`: the
    /// channel is estimated from the whole burst, the received samples are
    /// correlated with the reconstructed ones over symbols 4–75 and 76–147, and
    /// the second correlation times the conjugate of the first is returned. Its
    /// argument is the phase turned in [`DRIFT_SPAN_SYMBOLS`] symbols (a residual
    /// frequency offset), its magnitude weights it when summed over bursts.
    /// `None` when the burst is not wholly inside `x` or the estimate fails.
    pub fn phase_drift(
        &mut self,
        x: &[Complex32],
        t: usize,
        bits: &[u8; BURST_LEN],
    ) -> Option<Complex32> {
        if !self.gather(x, t, 0..BURST_LEN) {
            return None;
        }
        let est = estimate_from_decisions(&self.r, bits)?;
        let s = |m: usize| if bits[m] & 1 == 0 { 1.0f32 } else { -1.0 };
        let mut c = [Complex32::default(); 2];
        for m in CHANNEL_TAPS - 1..BURST_LEN {
            let mut y = Complex32::default();
            for (l, &g) in est.taps.iter().enumerate() {
                y += g * s(m - l);
            }
            c[usize::from(m >= 76)] += self.r[m] * y.conj();
        }
        let d = c[1] * c[0].conj();
        (d.re.is_finite() && d.im.is_finite()).then_some(d)
    }

    /// Locates the burst in `t_lo..=t_hi` and equalizes it.
    pub fn receive(
        &mut self,
        x: &[Complex32],
        kind: BurstKind,
        t_lo: usize,
        t_hi: usize,
    ) -> Option<ReceivedBurst> {
        let (t, channel) = self.locate(x, kind, t_lo, t_hi)?;
        if !self.gather(x, t, 0..BURST_LEN) {
            return None;
        }
        let power = (0..BURST_LEN).map(|m| self.r[m].norm_sqr()).sum::<f32>() / BURST_LEN as f32;
        let known = match kind {
            BurstKind::Normal { tsc } => &self.known_normal[usize::from(tsc & 7)],
            BurstKind::Sch => &self.known_sch,
        };
        let mut llrs = [0.0f32; BURST_LEN];
        let taps: [Complex32; CHANNEL_TAPS] = channel.taps;
        self.mlse
            .equalize(&self.r, &taps, channel.noise_var, known, &mut llrs)
            .ok()?;
        // Decision-directed refinement: the whole burst's decisions give a
        // channel estimate from 144 observations instead of 22 (or 60), and a
        // better noise variance; equalize again with it.
        let mut channel = channel;
        for (d, &l) in self.decided.iter_mut().zip(&llrs) {
            *d = u8::from(l < 0.0);
        }
        if let Some(refined) = estimate_from_decisions(&self.r, &self.decided) {
            if self
                .mlse
                .equalize(&self.r, &refined.taps, refined.noise_var, known, &mut llrs)
                .is_ok()
            {
                channel = refined;
            }
        }
        Some(ReceivedBurst {
            t,
            channel,
            llrs,
            power,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gsm::burst::sch_burst;
    use crate::gsm::sch::{encode_sch, SchInfo};
    use crate::gsm::tx::channel::apply_cfo;
    use crate::gsm::tx::{FrameModulator, Ts0Config, Ts0Generator, FRAME_SYMBOLS};
    use crate::gsm::SYMBOL_RATE;

    /// The SCH burst of frame 51·100 + 1 at 2 sps, shifted by `cfo` Hz: (samples, its bits).
    fn sch_signal(cfo: f64) -> (Vec<Complex32>, [u8; BURST_LEN]) {
        let cfg = Ts0Config {
            ncc: 3,
            bcc: 5,
            combined: false,
        };
        let frames = Ts0Generator::new(cfg, |_, _| None).frames(51 * 100, 3, true);
        let mut x = Vec::new();
        FrameModulator::new(2).modulate(&frames, 0.5, &mut x);
        apply_cfo(&mut x, cfo, 2.0 * SYMBOL_RATE, 0.4);
        let bits = sch_burst(&encode_sch(&SchInfo::for_frame(51 * 100 + 1, 3, 5)));
        (x, bits)
    }

    #[test]
    fn phase_drift_measures_a_residual_offset() {
        let mut rx = BurstReceiver::new(2);
        for cfo in [0.0, 300.0, -450.0] {
            let (x, bits) = sch_signal(cfo);
            let c = 2 * FRAME_SYMBOLS;
            let (t, _) = rx.locate(&x, BurstKind::Sch, c - 40, c + 40).unwrap();
            let d = rx.phase_drift(&x, t, &bits).unwrap();
            let want = std::f64::consts::TAU * cfo * DRIFT_SPAN_SYMBOLS as f64 / SYMBOL_RATE;
            let got = f64::from(d.arg());
            assert!(
                (got - want).abs() < 0.03,
                "{cfo} Hz: {got} rad, want {want}"
            );
        }
        // Outside the buffer: nothing.
        let (x, bits) = sch_signal(0.0);
        assert!(rx.phase_drift(&x, x.len() - 10, &bits).is_none());
    }
}
