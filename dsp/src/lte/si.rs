//! System information receiver: finds SI-RNTI downlink assignments on the
//! PDCCH and decodes the PDSCH they point to into BCCH-DL-SCH transport blocks
//! (SIB1 and SI messages; their content is decoded by the `rrc` crate).
//!
//! Per downlink subframe ([`SiReceiver::decode_subframe`]):
//! 1. OFDM demodulation of the control region at the cell's own bandwidth
//!    ([`super::wideband`], TS 36.211 §6.12) and CRS channel estimation (§6.10.1);
//! 2. PCFICH → CFI ([`super::pcfich`], §6.7, TS 36.212 §5.3.4);
//! 3. PDCCH blind decoding of the common search space (TS 36.213 §9.1.1,
//!    aggregation 4 and 8) for DCI formats 1A and 1C with CRC masked by SI-RNTI
//!    ([`super::pdcch`], [`super::dci`]; TS 36.211 §6.8, TS 36.212 §5.3.3); idle
//!    CCEs (no power above the noise) are skipped;
//! 4. resource allocation type 2 → PRBs ([`super::ra`], TS 36.213 §7.1.6.3), TBS
//!    (§7.1.7: `I_TBS = I_MCS`, `N_PRB^1A` from the TPC LSB; Table 7.1.7.2.3-1
//!    for 1C), redundancy version (DCI 1A field; for 1C `⌈3k/2⌉ mod 4`, TS 36.321
//!    §5.3.1, with `k = (SFN/2) mod 4` for SIB1, `k = i mod 4` from the
//!    subframe's place `i` in its SI window when the [`SiSchedule`] is known, and
//!    every RV tried alone otherwise);
//! 5. the rest of the subframe, the PDSCH ([`super::pdsch`], TS 36.211 §6.3–6.4)
//!    with transmit-diversity combining, descrambling, turbo decoding with soft
//!    combining of repetitions (TS 36.212 §5.3.2) and the CRC24A.
//!
//! [`SiReceiver::decode_recording`] walks every subframe of a recording whose
//! frame timing is known (what a sniffer does: SI-RNTI is tried everywhere);
//! [`decode_si`] goes from any sample rate and a cell-search report to PDUs.
//! The work per subframe is bounded (six PDCCH candidates × two formats, one
//! turbo decode of at most 8 iterations, a few for 1C RV trials).

use super::cell_search::LteCellReport;
use super::dci::{size_1a, size_1c, Dci, Dci1A, Dci1C, DciDecoder, DciFormat, SI_RNTI};
use super::mib::{PhichDuration, PhichResource};
use super::pcfich::{self, decode_cfi, CfiDecision};
use super::pdcch::{self, ControlLayout, PdcchError};
use super::pdsch::{self, pdsch_res, si_rv, DlschDecoder, PdschCell};
use super::ra::{alloc_1a, alloc_1c, PrbAllocation};
use super::sync::cfo::Derotator;
use super::tbs::{tbs_dci1a_common, tbs_dci1c};
use super::wideband::{fft_size_for, qpsk_llrs, WidebandChest, WidebandDemod, WidebandError};
use super::{CyclicPrefix, Duplex, SEARCH_RATE_HZ};
use crate::sequence::GoldSequence;
use crate::signal::resample::{ResampleError, Resampler};
use num_complex::Complex32;
use serde::{Deserialize, Serialize};

/// The cell parameters the SI receiver needs (from cell search and the MIB).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiCell {
    /// Downlink bandwidth in PRB.
    pub nprb: u8,
    /// Physical cell identity.
    pub pci: u16,
    /// CRS antenna ports (1, 2, 4).
    pub ports: u8,
    /// Cyclic prefix.
    pub cp: CyclicPrefix,
    /// Duplex mode.
    pub duplex: Duplex,
    /// PHICH duration (MIB).
    pub phich_duration: PhichDuration,
    /// PHICH resource (MIB).
    pub phich_resource: PhichResource,
}

impl SiCell {
    /// The cell of a cell-search report with a decoded MIB.
    pub fn from_report(r: &LteCellReport) -> Option<Self> {
        let m = r.mib?;
        Some(SiCell {
            nprb: m.nof_prb,
            pci: r.pci,
            ports: m.ports,
            cp: r.cp,
            duplex: r.duplex,
            phich_duration: m.phich_duration,
            phich_resource: m.phich_resource,
        })
    }

    /// FFT size the receiver uses (128·2^n above 12·N_RB).
    pub fn fft_size(&self) -> usize {
        fft_size_for(usize::from(self.nprb))
    }

    /// Sample rate the receiver expects: `fft_size · 15 kHz`.
    pub fn sample_rate(&self) -> f64 {
        self.fft_size() as f64 * 15e3
    }
}

/// Errors building the receiver or preparing its input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SiError {
    /// Invalid cell parameters.
    #[error("front end: {0}")]
    Wideband(#[from] WidebandError),
    /// Invalid control region parameters.
    #[error("control region: {0}")]
    Control(#[from] PdcchError),
    /// Resampling to the cell's rate failed.
    #[error("resampling: {0}")]
    Resample(#[from] ResampleError),
    /// The report has no MIB.
    #[error("the cell report has no decoded MIB")]
    NoMib,
}

/// The downlink assignment that carried a PDU.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SiDci {
    /// DCI format.
    pub format: DciFormat,
    /// Decoded fields.
    pub dci: Dci,
    /// Aggregation level (4 or 8).
    pub aggregation: u8,
    /// First CCE.
    pub first_cce: u16,
    /// CFI of the subframe.
    pub cfi: u8,
    /// Agreement of the re-encoded DCI with the received bits (0..1).
    pub agreement: f32,
}

/// One decoded BCCH-DL-SCH transport block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiPdu {
    /// Transport block bytes as received (MAC padding not removed).
    pub bytes: Vec<u8>,
    /// System frame number.
    pub sfn: u16,
    /// Subframe 0..10.
    pub subframe: u8,
    /// The assignment.
    pub dci: SiDci,
    /// Transport block size (bits).
    pub tbs: u32,
    /// Redundancy version of the transmission that completed the block.
    pub rv: u8,
    /// PRBs of the allocation.
    pub n_prb: u8,
    /// Transmissions soft-combined (1: decoded alone).
    pub combined: u8,
    /// Turbo iterations.
    pub iterations: u8,
    /// CRS SINR estimate of the subframe (dB).
    pub sinr_db: f32,
}

/// What one subframe gave.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SiSubframe {
    /// PCFICH decision (None: no usable control region).
    pub cfi: Option<CfiDecision>,
    /// The SI-RNTI assignment found, if any.
    pub dci: Option<SiDci>,
    /// Whether a PDSCH was attempted and its CRC passed.
    pub crc_ok: bool,
    /// The decoded PDU.
    pub pdu: Option<SiPdu>,
}

/// Frame timing of a recording at the receiver's sample rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SiTiming {
    /// Sample index (may be fractional or negative) where a radio frame starts.
    pub frame_start: f64,
    /// SFN of that frame.
    pub sfn: u16,
    /// Samples per frame (nominal `fs·10 ms`, adjusted for sample-clock drift).
    pub frame_len: f64,
    /// Frequency offset to remove (Hz).
    pub cfo_hz: f64,
}

/// Where SI messages can be, from SIB1 (TS 36.331 §5.2.3, decoded by the `rrc`
/// crate): message n (1-based, the n-th `schedulingInfoList` entry) is sent in
/// the window of `window_ms` subframes starting at absolute subframe
/// `x = (n − 1)·w` modulo `10·T_n`, i.e. in the frame with `SFN mod T_n = ⌊x/10⌋`,
/// subframe `x mod 10`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiSchedule {
    /// si-WindowLength in ms (1..=40).
    pub window_ms: u16,
    /// si-Periodicity of each SI message, in radio frames (8..=512).
    pub periodicities_rf: Vec<u16>,
}

impl SiSchedule {
    /// Whether subframe `sf` of frame `sfn` lies in some SI window, or carries SIB1
    /// (subframe 5 of even frames).
    pub fn may_carry_si(&self, sfn: u16, sf: u8) -> bool {
        (sf == 5 && sfn % 2 == 0) || self.window_position(sfn, sf).is_some()
    }

    /// The SI window holding subframe `sf` of frame `sfn`: (message index from 0,
    /// subframe index `i` within the window, absolute subframe where it starts
    /// modulo 10240). The first matching message wins.
    pub fn window_position(&self, sfn: u16, sf: u8) -> Option<(usize, u32, u32)> {
        let w = u32::from(self.window_ms.clamp(1, 40));
        let abs = u32::from(sfn % 1024) * 10 + u32::from(sf % 10);
        self.periodicities_rf
            .iter()
            .enumerate()
            .find_map(|(n, &t)| {
                let period = 10 * u32::from(t.clamp(1, 1024));
                let x = (n as u32 * w) % period;
                let i = (abs + period - x) % period;
                (i < w).then(|| (n, i, (abs + 10240 - i) % 10240))
            })
    }
}

/// Receiver settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SiConfig {
    /// RNTI searched (SI-RNTI by default).
    pub rnti: u16,
    /// Also search format 1C.
    pub format_1c: bool,
    /// Skip PDCCH candidates whose REs hold no more power than noise.
    pub skip_idle_cces: bool,
}

impl Default for SiConfig {
    fn default() -> Self {
        SiConfig {
            rnti: SI_RNTI,
            format_1c: true,
            skip_idle_cces: true,
        }
    }
}

/// CCEs the common search space can touch (4 × 4 at aggregation 4, 2 × 8 at 8).
const CSS_CCES: usize = 16;

/// SI receiver for one cell at its own sample rate. `new` allocates everything.
pub struct SiReceiver {
    cell: SiCell,
    cfg: SiConfig,
    nprb: usize,
    n_sc: usize,
    nsym: usize,
    demod: WidebandDemod,
    chest: WidebandChest,
    layouts: [ControlLayout; 3],
    rot: Derotator,
    pcfich_scr: [[u8; 32]; 10],
    pdcch_scr: Vec<Vec<u8>>,
    res: Vec<u32>,
    llr: Vec<f32>,
    cce_llr: Vec<f32>,
    cce_pow: Vec<f32>,
    dci: DciDecoder,
    dlsch: DlschDecoder,
    tb: Vec<u8>,
    schedule: Option<SiSchedule>,
}

impl std::fmt::Debug for SiReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SiReceiver")
            .field("cell", &self.cell)
            .field("cfg", &self.cfg)
            .finish_non_exhaustive()
    }
}

impl SiReceiver {
    /// A receiver for `cell` at [`SiCell::sample_rate`], default settings.
    pub fn new(cell: SiCell) -> Result<Self, SiError> {
        Self::with_config(cell, SiConfig::default())
    }

    /// A receiver with explicit settings.
    pub fn with_config(cell: SiCell, cfg: SiConfig) -> Result<Self, SiError> {
        let nprb = usize::from(cell.nprb);
        let demod = WidebandDemod::new(nprb, cell.cp, fft_size_for(nprb))?;
        let chest = WidebandChest::new(nprb, cell.pci, cell.ports, cell.cp)?;
        let mk = |cfi| {
            ControlLayout::new(
                nprb,
                cell.pci,
                cell.ports,
                cell.cp,
                cfi,
                cell.phich_resource,
                cell.phich_duration,
            )
        };
        let layouts = [mk(1)?, mk(2)?, mk(3)?];
        let mut pcfich_scr = [[0u8; 32]; 10];
        let mut pdcch_scr = Vec::with_capacity(10);
        for (sf, s) in pcfich_scr.iter_mut().enumerate() {
            GoldSequence::new(pcfich::c_init(cell.pci, sf)).fill(s);
            let mut v = vec![0u8; 72 * CSS_CCES];
            GoldSequence::new(pdcch::c_init(cell.pci, sf)).fill(&mut v);
            pdcch_scr.push(v);
        }
        let n_sc = 12 * nprb;
        let nsym = 2 * cell.cp.symbols_per_slot();
        Ok(SiReceiver {
            cell,
            cfg,
            nprb,
            n_sc,
            nsym,
            demod,
            chest,
            layouts,
            rot: Derotator::new(0.0, 1.0),
            pcfich_scr,
            pdcch_scr,
            res: Vec::with_capacity(nsym * n_sc),
            llr: vec![0.0; 2 * nsym * n_sc],
            cce_llr: vec![0.0; 72 * CSS_CCES],
            cce_pow: vec![0.0; CSS_CCES],
            dci: DciDecoder::new(),
            dlsch: DlschDecoder::new(),
            tb: Vec::with_capacity(pdsch::MAX_TBS / 8),
            schedule: None,
        })
    }

    /// The cell.
    pub fn cell(&self) -> &SiCell {
        &self.cell
    }

    /// Sample rate expected by [`Self::decode_subframe`].
    pub fn sample_rate(&self) -> f64 {
        self.demod.numerology().sample_rate()
    }

    /// Samples per subframe.
    pub fn subframe_len(&self) -> usize {
        self.demod.numerology().subframe_len()
    }

    /// Sets the frequency offset removed from the input (Hz; the cell-search
    /// report's `cfo_hz`), phase-referenced to sample 0 of the slices passed in.
    pub fn set_cfo(&mut self, cfo_hz: f64) {
        self.rot = Derotator::new(cfo_hz, self.sample_rate());
    }

    /// Restricts [`Self::decode_recording`] to the subframes that can carry SI
    /// (SIB1's schedule); `None` (the default) searches every subframe.
    pub fn set_schedule(&mut self, schedule: Option<SiSchedule>) {
        self.schedule = schedule;
    }

    /// Forgets soft-combining state (e.g. between unrelated recordings).
    pub fn reset(&mut self) {
        self.dlsch.reset();
    }

    /// Decodes the subframe starting at sample `subframe_start` of `samples`
    /// (at [`Self::sample_rate`]) with system frame number `sfn` and index
    /// `subframe` (0..10). Never panics; a subframe outside `samples` gives nothing.
    pub fn decode_subframe(
        &mut self,
        samples: &[Complex32],
        subframe_start: i64,
        sfn: u16,
        subframe: u8,
    ) -> SiSubframe {
        let mut out = SiSubframe::default();
        let sf = usize::from(subframe % 10);
        let sfn = sfn % 1024;
        // Control region: up to 4 symbols below 11 PRB, else 3 (+ symbol 1 CRS for 4 ports).
        let max_ctrl = pdcch::control_symbols(3, self.nprb);
        let ctrl_mask = (1u32 << max_ctrl) - 1;
        if self
            .demod
            .demod(samples, subframe_start, &self.rot, ctrl_mask)
            < max_ctrl
        {
            return out;
        }
        self.chest.estimate(&self.demod.y, sf, false);
        if self.chest.noise_var <= 0.0 || self.chest.signal_power <= 0.0 {
            return out;
        }
        // PCFICH.
        self.res.clear();
        self.layouts[0].pcfich_res(self.n_sc, &mut self.res);
        let mut pcf = [0.0f32; 32];
        qpsk_llrs(&self.demod.y, &self.chest, &self.res, &mut pcf);
        for (l, &c) in pcf.iter_mut().zip(&self.pcfich_scr[sf]) {
            if c == 1 {
                *l = -*l;
            }
        }
        let Some(cfi) = decode_cfi(&pcf) else {
            return out;
        };
        out.cfi = Some(cfi);
        let order: &[u8] = if cfi.confidence >= 0.6 {
            match cfi.cfi {
                1 => &[1],
                2 => &[2],
                _ => &[3],
            }
        } else {
            match cfi.cfi {
                1 => &[1, 2, 3],
                2 => &[2, 3, 1],
                _ => &[3, 2, 1],
            }
        };
        let mut found = None;
        for &c in order {
            if let Some(h) = self.search_pdcch(c, sf) {
                found = Some(h);
                break;
            }
        }
        let Some(sidci) = found else {
            return out;
        };
        out.dci = Some(sidci);
        // PDSCH.
        let Some((alloc, tbs)) = self.allocation(&sidci.dci) else {
            return out;
        };
        let ctrl_syms = pdcch::control_symbols(sidci.cfi, self.nprb);
        let data_mask = ((1u32 << self.nsym) - 1) & !ctrl_mask;
        self.demod
            .demod(samples, subframe_start, &self.rot, data_mask);
        self.chest.estimate(&self.demod.y, sf, true);
        let cell = PdschCell {
            nprb: self.nprb,
            pci: self.cell.pci,
            ports: self.cell.ports,
            cp: self.cell.cp,
            duplex: self.cell.duplex,
        };
        pdsch_res(&cell, &alloc, sf, ctrl_syms, &mut self.res);
        let g = 2 * self.res.len();
        if g == 0 || g > self.llr.len() {
            return out;
        }
        qpsk_llrs(&self.demod.y, &self.chest, &self.res, &mut self.llr[..g]);
        let c_init = pdsch::c_init(self.cfg.rnti, sf, self.cell.pci);
        let is_sib1 = sf == 5 && sfn % 2 == 0;
        let now = u64::from(sfn) * 10 + sf as u64;
        // Redundancy versions to try, and the soft-combining key.
        let (rvs, key): (&[u8], u64) = match sidci.dci {
            Dci::F1A(d) => (
                match d.rv & 3 {
                    0 => &[0],
                    1 => &[1],
                    2 => &[2],
                    _ => &[3],
                },
                (u64::from(is_sib1) << 40) | ((tbs as u64) << 8) | u64::from(d.harq),
            ),
            Dci::F1C(_) if !is_sib1 && self.window_rv(sfn, sf as u8).is_some() => {
                // Known window: RV from the subframe's place in it, combined per window.
                let (rv, key) = self.window_rv(sfn, sf as u8).unwrap_or((0, 0));
                (
                    match rv {
                        0 => &[0],
                        1 => &[1],
                        2 => &[2],
                        _ => &[3],
                    },
                    key,
                )
            }
            Dci::F1C(_) => {
                if is_sib1 {
                    (
                        match si_rv(usize::from((sfn / 2) % 4)) {
                            0 => &[0],
                            1 => &[1],
                            2 => &[2],
                            _ => &[3],
                        },
                        (1u64 << 40) | ((tbs as u64) << 8) | 0xC,
                    )
                } else {
                    (&[0, 2, 3, 1], u64::MAX - 1)
                }
            }
        };
        let combine = rvs.len() == 1;
        for &rv in rvs {
            let k = if combine {
                key
            } else {
                u64::MAX - 2 - u64::from(rv)
            };
            let r = self
                .dlsch
                .decode(&self.llr[..g], c_init, tbs, rv, k, now, &mut self.tb);
            let Ok(r) = r else { continue };
            if !combine {
                self.dlsch.forget(k);
            }
            if r.crc_ok {
                out.crc_ok = true;
                let sinr = self.chest.sinr();
                out.pdu = Some(SiPdu {
                    bytes: self.tb.clone(),
                    sfn,
                    subframe: sf as u8,
                    dci: sidci,
                    tbs: tbs as u32,
                    rv,
                    n_prb: alloc.n_prb as u8,
                    combined: r.combined.min(255) as u8,
                    iterations: r.iterations.min(255) as u8,
                    sinr_db: if sinr > 0.0 {
                        10.0 * sinr.log10()
                    } else {
                        f32::NEG_INFINITY
                    },
                });
                break;
            }
        }
        out
    }

    /// For a subframe inside an SI window of the schedule: the redundancy version
    /// `⌈3k/2⌉ mod 4`, `k = i mod 4` with `i` the subframe's index in the window
    /// (TS 36.321 §5.3.1), and a soft-combining key naming the window.
    fn window_rv(&self, sfn: u16, sf: u8) -> Option<(u8, u64)> {
        let (n, i, start) = self.schedule.as_ref()?.window_position(sfn, sf)?;
        Some((
            si_rv(i as usize % 4),
            (2u64 << 40) | ((n as u64) << 16) | u64::from(start),
        ))
    }

    /// PRBs and TBS of an assignment.
    fn allocation(&self, dci: &Dci) -> Option<(PrbAllocation, usize)> {
        match *dci {
            Dci::F1A(d) => {
                let gap2 = d.distributed && self.nprb >= 50 && d.ndi == 1;
                let a = alloc_1a(d.riv, d.distributed, gap2, self.nprb).ok()?;
                let tbs = tbs_dci1a_common(d.mcs, d.tpc)? as usize;
                Some((a, tbs))
            }
            Dci::F1C(d) => {
                let a = alloc_1c(d.riv, d.gap2, self.nprb).ok()?;
                let tbs = tbs_dci1c(d.tbs_index)? as usize;
                Some((a, tbs))
            }
        }
    }

    /// Blind decoding of the common search space for CFI `cfi`.
    fn search_pdcch(&mut self, cfi: u8, sf: usize) -> Option<SiDci> {
        let layout = &self.layouts[usize::from(cfi.clamp(1, 3)) - 1];
        let n = layout.n_cce.min(CSS_CCES);
        if n < 4 {
            return None;
        }
        self.res.clear();
        layout.cce_res(0, n, self.n_sc, &mut self.res);
        if self.res.len() < 36 * n {
            return None;
        }
        let bits = 72 * n;
        qpsk_llrs(
            &self.demod.y,
            &self.chest,
            &self.res,
            &mut self.cce_llr[..bits],
        );
        for (l, &c) in self.cce_llr[..bits].iter_mut().zip(&self.pdcch_scr[sf]) {
            if c == 1 {
                *l = -*l;
            }
        }
        // Received power per CCE against the noise floor and the channel.
        let plane = self.nsym * self.n_sc;
        let mut h_pow = 0.0f32;
        for (c, p) in self.cce_pow[..n].iter_mut().enumerate() {
            let mut s = 0.0f32;
            for &i in &self.res[36 * c..36 * c + 36] {
                let i = i as usize;
                s += self.demod.y[i].norm_sqr();
                for port in 0..self.chest.ports() {
                    h_pow += self.chest.h[port * plane + i].norm_sqr();
                }
            }
            *p = s / 36.0;
        }
        h_pow /= (36 * n) as f32;
        let nv = self.chest.noise_var;
        let sizes = [
            (DciFormat::F1A, size_1a(self.nprb, self.cell.duplex)),
            (DciFormat::F1C, size_1c(self.nprb)),
        ];
        for (l, count) in [(4usize, 4usize), (8, 2)] {
            for m in 0..count {
                let Some(first) = pdcch::common_candidate(layout.n_cce, l, m) else {
                    continue;
                };
                if first + l > n {
                    continue;
                }
                if self.cfg.skip_idle_cces {
                    let p: f32 = self.cce_pow[first..first + l].iter().sum::<f32>() / l as f32;
                    let spread = 3.0 / ((36 * l) as f32).sqrt();
                    if p < nv * (1.0 + spread) + 0.05 * h_pow {
                        continue;
                    }
                }
                let llr = &self.cce_llr[72 * first..72 * (first + l)];
                for &(fmt, size) in &sizes {
                    if fmt == DciFormat::F1C && !self.cfg.format_1c {
                        continue;
                    }
                    let Some(hit) = self.dci.decode(llr, size, self.cfg.rnti) else {
                        continue;
                    };
                    let bits = &hit.bits[..hit.len];
                    let dci = match fmt {
                        DciFormat::F1A => {
                            Dci::F1A(Dci1A::unpack(bits, self.nprb, self.cell.duplex)?)
                        }
                        DciFormat::F1C => Dci::F1C(Dci1C::unpack(bits, self.nprb)?),
                    };
                    return Some(SiDci {
                        format: fmt,
                        dci,
                        aggregation: l as u8,
                        first_cce: first as u16,
                        cfi,
                        agreement: hit.agreement,
                    });
                }
            }
        }
        None
    }

    /// Decodes every whole subframe of `samples` (only those of the schedule, if
    /// one is set; nothing when `frame_len` is not within ±50 % of 10 ms) (at [`Self::sample_rate`]) given
    /// the frame timing; returns the PDUs whose CRC passed, in time order.
    pub fn decode_recording(&mut self, samples: &[Complex32], timing: &SiTiming) -> Vec<SiPdu> {
        let mut pdus = Vec::new();
        let fl = timing.frame_len;
        // Bounded work: frames within ±50 % of nominal, a start within reach.
        let nominal = 10.0 * self.subframe_len() as f64;
        if !(fl.is_finite()
            && (0.5 * nominal..=1.5 * nominal).contains(&fl)
            && timing.frame_start.is_finite()
            && timing.frame_start.abs() < 1e12)
        {
            return pdus;
        }
        self.set_cfo(timing.cfo_hz);
        let sfl = fl / 10.0;
        let sf_len = self.subframe_len() as f64;
        // First subframe index (relative to the reference frame) starting at ≥ 0.
        let i0 = (-timing.frame_start / sfl).ceil() as i64;
        let mut i = i0;
        loop {
            let start = timing.frame_start + i as f64 * sfl;
            if start + sf_len > samples.len() as f64 {
                break;
            }
            let frame = i.div_euclid(10);
            let sf = i.rem_euclid(10) as u8;
            let sfn = (i64::from(timing.sfn) + frame).rem_euclid(1024) as u16;
            if self
                .schedule
                .as_ref()
                .is_some_and(|s| !s.may_carry_si(sfn, sf))
            {
                i += 1;
                continue;
            }
            let r = self.decode_subframe(samples, start.round() as i64, sfn, sf);
            if let Some(p) = r.pdu {
                pdus.push(p);
            }
            i += 1;
        }
        pdus
    }
}

/// Decodes the system information of a cell found by
/// [`super::cell_search::LteCellSearcher`] in `samples` taken at `fs`.
/// The report must come from searching this same recording, resampled to
/// 1.92 Msps with [`crate::signal::resample::resample`] when `fs` differs (whose
/// filter delay is compensated here). The recording is resampled to the cell's
/// rate ([`SiCell::sample_rate`]) when needed.
pub fn decode_si(
    samples: &[Complex32],
    fs: f64,
    report: &LteCellReport,
) -> Result<Vec<SiPdu>, SiError> {
    decode_si_scheduled(samples, fs, report, None)
}

/// As [`decode_si`], searching only the subframes of `schedule` when given.
pub fn decode_si_scheduled(
    samples: &[Complex32],
    fs: f64,
    report: &LteCellReport,
    schedule: Option<SiSchedule>,
) -> Result<Vec<SiPdu>, SiError> {
    let cell = SiCell::from_report(report).ok_or(SiError::NoMib)?;
    let mut rx = SiReceiver::new(cell)?;
    rx.set_schedule(schedule);
    let rate = rx.sample_rate();
    // Time of the frame start in input samples.
    let search_delay = if (fs - SEARCH_RATE_HZ).abs() > 1.0 {
        Resampler::new(fs, SEARCH_RATE_HZ)?.delay_output_samples()
    } else {
        0.0
    };
    let t_in = (report.frame_start as f64 - search_delay) * fs / SEARCH_RATE_HZ;
    let (x, delay_out) = if (fs - rate).abs() > 1.0 {
        let mut r = Resampler::new(fs, rate)?;
        let d = r.delay_output_samples();
        let mut out = Vec::with_capacity((samples.len() as f64 * rate / fs) as usize + 16);
        r.process(samples, &mut out);
        (std::borrow::Cow::Owned(out), d)
    } else {
        (std::borrow::Cow::Borrowed(samples), 0.0)
    };
    let drift = if report.timing_drift_ppm.is_finite() {
        report.timing_drift_ppm.clamp(-1000.0, 1000.0)
    } else {
        0.0
    };
    let timing = SiTiming {
        frame_start: t_in * rate / fs + delay_out,
        sfn: report.mib.map_or(0, |m| m.sfn),
        frame_len: rate * 0.01 * (1.0 + drift * 1e-6),
        cfo_hz: report.cfo_hz,
    };
    Ok(rx.decode_recording(&x, &timing))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_windows_by_hand() {
        // w = 20, T = 8 and 16: message 1 in subframes 0..20 of SFN ≡ 0 mod 8;
        // message 2 (x = 20) in SFN ≡ 2, 3 mod 16.
        let s = SiSchedule {
            window_ms: 20,
            periodicities_rf: vec![8, 16],
        };
        assert!(s.may_carry_si(8, 0));
        assert!(s.may_carry_si(9, 9));
        assert!(!s.may_carry_si(10, 0));
        assert!(s.may_carry_si(10, 5)); // SIB1
        assert!(!s.may_carry_si(11, 5));
        assert!(s.may_carry_si(18, 3));
        assert!(s.may_carry_si(19, 9));
        assert!(s.may_carry_si(2, 3)); // message 2's window
        assert_eq!(s.window_position(3, 4), Some((1, 14, 20)));
        assert_eq!(s.window_position(17, 2), Some((0, 12, 160)));
        assert_eq!(s.window_position(4, 3), None);
        assert!(!s.may_carry_si(4, 3));
        let count = (0..1024u16)
            .flat_map(|f| (0..10u8).map(move |sf| (f, sf)))
            .filter(|&(f, sf)| s.may_carry_si(f, sf))
            .count();
        // Per 16 frames: 2×20 + 20 window subframes, plus the SIB1 subframes of the
        // 8 even frames not already inside a window (frames 0, 2, 8 are): 60 + 5.
        assert_eq!(count, 64 * (60 + 5));
    }
}
