//! One GSM station's BCCH carrier (C0) for the simulator, through
//! `towerwatch_dsp::gsm::tx`: FCCH, SCH with the station's BSIC and frame
//! number, BCCH with its System Information on the TS 45.002 §6.3.1.3
//! schedule (TC = (FN div 51) mod 8: SI1 at TC 0, SI2 at 1, SI3 at 2 and 6,
//! SI4 at 3 and 7), dummy bursts elsewhere (C0 never stops transmitting,
//! TS 45.002 §5.2.6), GMSK (TS 45.004) at 4 samples per symbol, resampled to
//! the sensor's rate. Unit carrier power.
//!
//! The station's frame timing is continuous in scenario time, like LTE's.

use super::resample_to;
use crate::scenario::SimCell;
use towerwatch_dsp::gsm::multiframe::Ts0Channel;
use towerwatch_dsp::gsm::sch::HYPERFRAME;
use towerwatch_dsp::gsm::tx::{FrameModulator, Ts0Config, Ts0Generator, FRAME_SYMBOLS};
use towerwatch_dsp::lte::tx::channel::Rng;
use towerwatch_dsp::Complex32;

/// GSM symbol rate, 1625/6 kHz (TS 45.010 §5.4).
pub const SYMBOL_RATE: f64 = 1_625_000.0 / 6.0;
/// TDMA frame duration, s.
pub const FRAME_S: f64 = FRAME_SYMBOLS as f64 / SYMBOL_RATE;
const SPS: usize = 4;

/// `n` samples at `rate` of `cell` from scenario second `t`.
pub fn render(cell: &SimCell, t: f64, rate: f64, n: usize) -> Result<Vec<Complex32>, String> {
    let g = cell.spec.gsm.as_ref().ok_or("no [gsm] settings")?;
    let si = super::gsm_si::system_information(cell)?;
    let fs = SYMBOL_RATE * SPS as f64;
    let phase = Rng::new(u64::from(g.arfcn) << 8 ^ u64::from(g.ncc * 8 + g.bcc) ^ 0x65_6d)
        .uniform()
        * FRAME_S
        * f64::from(HYPERFRAME);
    let frames = (t + phase) / FRAME_S;
    let fn0 = (frames.floor() as u64 % u64::from(HYPERFRAME)) as u32;
    let skip = (frames.fract() * FRAME_SYMBOLS as f64 * SPS as f64).round() as usize;
    let n_src = ((n as f64) * fs / rate).ceil() as usize + 256;
    let nframes = (skip + n_src).div_ceil(FRAME_SYMBOLS * SPS) + 1;
    let mut gen = Ts0Generator::new(
        Ts0Config {
            ncc: g.ncc,
            bcc: g.bcc,
            combined: false,
        },
        |first_fn: u32, ch: Ts0Channel| match ch {
            Ts0Channel::Bcch => si[((first_fn / 51) % 8) as usize],
            _ => None,
        },
    );
    let bursts = gen.frames(fn0, nframes, false);
    let mut m = FrameModulator::new(SPS);
    let mut x = Vec::with_capacity(nframes * FRAME_SYMBOLS * SPS);
    m.modulate(&bursts, 1.0, &mut x);
    x.drain(..skip.min(x.len()));
    Ok(resample_to(x, fs, rate, n))
}
