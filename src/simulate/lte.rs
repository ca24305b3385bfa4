//! One LTE station's downlink for the simulator, through
//! `towerwatch_dsp::lte::tx` (PSS/SSS, CRS, PBCH with the station's MIB, a
//! fully loaded grid; TS 36.211 §6).
//!
//! The station's frame timing is continuous in scenario time: a per-station
//! phase (from the scenario seed) plus `t` gives the SFN and the sample where
//! the dwell starts. The grid is generated at the largest FFT size whose rate
//! (1.92 Msps · 2^m) does not exceed the sensor's, then resampled to it.
//! Power is normalized to a reference-signal EPRE of 0 dBFS on each antenna
//! port (the ports are summed, as one receive antenna hears them).

use super::resample_to;
use crate::scenario::{SimCell, World};
use towerwatch_dsp::lte::mib::{PhichDuration, PhichResource};
use towerwatch_dsp::lte::tx::channel::Rng;
use towerwatch_dsp::lte::tx::{LteTransmitter, LteTxConfig};
use towerwatch_dsp::lte::{CyclicPrefix, Duplex};
use towerwatch_dsp::Complex32;

/// The FFT size and rate the grid is generated at for a sensor sampling at `rate`.
pub fn generation_rate(rate: f64) -> (usize, f64) {
    let mut m = 1usize;
    while m < 16 && 1.92e6 * (2 * m) as f64 <= rate * (1.0 + 1e-9) {
        m *= 2;
    }
    (128 * m, 1.92e6 * m as f64)
}

/// `n` samples at `rate` of `cell` starting at scenario second `t`.
pub fn render(
    world: &World,
    cell: &SimCell,
    t: f64,
    rate: f64,
    n: usize,
    seed: u64,
) -> Result<Vec<Complex32>, String> {
    let l = cell.spec.lte.as_ref().ok_or("no [lte] settings")?;
    let (fft_size, fs) = generation_rate(rate);
    // Frame phase of this station (fixed for the whole scenario).
    let phase = Rng::new(world.scenario.seed ^ u64::from(l.pci) << 20 ^ u64::from(l.earfcn))
        .uniform()
        * 0.01;
    let frames = (t + phase) / 0.01;
    let sfn = (frames.floor() as u64 % 1024) as u16;
    let skip = (frames.fract() * 0.01 * fs).round() as usize;
    let n_src = ((n as f64) * fs / rate).ceil() as usize + 64;
    let subframes = (skip + n_src).div_ceil((fs * 1e-3) as usize) + 1;
    let mut tx = LteTransmitter::new(LteTxConfig {
        pci: l.pci,
        ports: l.ports,
        cp: CyclicPrefix::Normal,
        duplex: Duplex::Fdd,
        nof_prb: l.nof_prb,
        fft_size,
        phich_duration: PhichDuration::Normal,
        phich_resource: PhichResource::One,
        sfn,
        data_load: true,
        seed,
    })
    .map_err(|e| e.to_string())?;
    // System information needs the whole carrier inside the FFT (the sensor's
    // rate must hold the cell's bandwidth); a narrower capture sees PSS/SSS/PBCH only.
    if 12 * usize::from(l.nof_prb) < fft_size {
        tx.set_system_info(super::lte_si::schedule(cell, l)?)
            .map_err(|e| e.to_string())?;
    }
    let mut x = tx.generate(subframes);
    x.drain(..skip.min(x.len()));
    // The transmitter's resource elements have unit amplitude before an IFFT
    // scaled by 1/√N, so one RE is 1/N in the time domain; scaling by √N makes
    // each port's reference-signal EPRE 0 dBFS (a full-scale tone on one
    // subcarrier is 0 dBFS, TS 36.214's RSRP as our receiver reports it).
    let g = (fft_size as f32).sqrt();
    x.iter_mut().for_each(|v| *v *= g);
    Ok(resample_to(x, fs, rate, n))
}
