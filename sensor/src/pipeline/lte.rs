//! LTE: samples at 1.92 Msps (central 6 PRB) → Observations, via
//! `towerwatch_dsp::lte::cell_search`. Shared by `decode` and the live scan.

use towerwatch_dsp::lte::cell_search::{LteCellReport, LteCellSearcher, LteSearchConfig};
use towerwatch_dsp::lte::mib::{Mib, PhichDuration, PhichResource};
use towerwatch_models::system_info::{Mib as WireMib, RawPdus};
use towerwatch_models::{CellId, Measurement, Observation, Rat, SystemInfo, Timestamp};

/// Where the samples were taken: what every Observation of a window shares.
#[derive(Debug, Clone)]
pub struct ChannelContext {
    /// Sensor id.
    pub sensor_id: String,
    /// Centre frequency, Hz.
    pub center_freq_hz: Option<f64>,
    /// dBFS → dBm.
    pub calibration_db: f64,
    /// Time of the window's first sample.
    pub time: Timestamp,
    /// Recording name, for replay.
    pub source: Option<String>,
}

/// Decodes LTE cells in windows of samples; built once per channel (FFT plans).
#[derive(Debug)]
pub struct LteDecoder {
    searcher: LteCellSearcher,
}

impl Default for LteDecoder {
    fn default() -> Self {
        Self::new()
    }
}

fn finite(x: f32) -> Option<f64> {
    x.is_finite().then_some(f64::from(x))
}

/// The MIB as the wire names it.
pub fn wire_mib(m: &Mib) -> WireMib {
    WireMib {
        nof_prb: Some(u16::from(m.nof_prb)),
        antenna_ports: Some(m.ports),
        sfn: Some(m.sfn),
        phich_duration: Some(
            match m.phich_duration {
                PhichDuration::Normal => "normal",
                PhichDuration::Extended => "extended",
            }
            .into(),
        ),
        phich_resource: Some(
            match m.phich_resource {
                PhichResource::OneSixth => "one_sixth",
                PhichResource::Half => "half",
                PhichResource::One => "one",
                PhichResource::Two => "two",
            }
            .into(),
        ),
        ..WireMib::default()
    }
}

/// The 24 MIB bits packed MSB first into 3 bytes, hex.
pub fn mib_hex(bits: &[u8; 24]) -> String {
    let bytes: Vec<u8> = bits
        .chunks(8)
        .map(|c| c.iter().fold(0u8, |a, &b| (a << 1) | (b & 1)))
        .collect();
    hex::encode(bytes)
}

impl LteDecoder {
    /// A decoder with the default search settings.
    pub fn new() -> Self {
        LteDecoder {
            searcher: LteCellSearcher::new(LteSearchConfig::default()),
        }
    }

    /// Every cell with a passing MIB CRC in `samples` (1.92 Msps).
    pub fn search(&mut self, samples: &[towerwatch_dsp::Complex32]) -> Vec<LteCellReport> {
        self.searcher.search(samples)
    }

    /// One Observation (seq 0, to be numbered by the outbox) per report.
    pub fn observation(report: &LteCellReport, ctx: &ChannelContext) -> Observation {
        let earfcn = ctx
            .center_freq_hz
            .and_then(towerwatch_models::band::lte_freq_to_earfcn);
        let cell = CellId {
            earfcn,
            pci: Some(report.pci),
            ..CellId::default()
        };
        let mut o = Observation::new(ctx.sensor_id.clone(), 0, ctx.time, Rat::Lte, cell);
        o.center_freq_hz = ctx
            .center_freq_hz
            .filter(|f| f.is_finite() && *f > 0.0)
            .map(|f| f.round() as u64);
        let cal = ctx.calibration_db;
        o.measurement = Measurement {
            rsrp_dbm: finite(report.rsrp_dbfs).map(|p| p + cal),
            rssi_dbm: finite(report.rssi_dbfs).map(|p| p + cal),
            rsrq_db: finite(report.rsrq_db),
            sinr_db: finite(report.sinr_db),
            cfo_hz: report.cfo_hz.is_finite().then_some(report.cfo_hz),
            power_dbfs: finite(report.rsrp_dbfs),
            ..Measurement::default()
        };
        if let Some(m) = &report.mib {
            o.system_info = Some(SystemInfo {
                mib: Some(wire_mib(m)),
                raw: Some(RawPdus {
                    mib: Some(mib_hex(&m.bits)),
                    ..RawPdus::default()
                }),
                ..SystemInfo::default()
            });
        }
        o.source = ctx.source.clone();
        o
    }
}

/// What the SI receiver and the RRC decoder made of one cell's dwell.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DecodedSi {
    /// SIB1 … SIB8 as decoded (the latest copy of each).
    pub info: SystemInfo,
    /// Each distinct transport block that passed its CRC: SIB1 first, then SI messages.
    pub sib1_raw: Option<Vec<u8>>,
    /// SystemInformation messages, in order of first reception.
    pub si_raw: Vec<Vec<u8>>,
    /// Transport blocks whose CRC passed but whose RRC decoding failed.
    pub undecodable: usize,
}

/// Decodes the system information of the cell in `report` from the dwell's
/// samples `raw` at `fs` (the same samples the report was searched in, from
/// their first sample): SI-RNTI PDCCH/PDSCH in every subframe
/// (`towerwatch_dsp::lte::si`), then BCCH-DL-SCH through `towerwatch_rrc::lte`.
pub fn decode_system_info(
    raw: &[towerwatch_dsp::Complex32],
    fs: f64,
    report: &LteCellReport,
) -> DecodedSi {
    let mut out = DecodedSi::default();
    let Ok(pdus) = towerwatch_dsp::lte::si::decode_si(raw, fs, report) else {
        return out;
    };
    for p in pdus {
        let known = out.sib1_raw.as_ref() == Some(&p.bytes) || out.si_raw.contains(&p.bytes);
        if known {
            continue;
        }
        let Ok(b) = towerwatch_rrc::lte::decode_bcch_dl_sch(&p.bytes) else {
            out.undecodable += 1;
            continue;
        };
        let i = &mut out.info;
        if b.sib1.is_some() {
            i.sib1 = b.sib1;
            out.sib1_raw = Some(p.bytes);
        } else {
            macro_rules! take {
                ($($f:ident),*) => { $( if b.$f.is_some() { i.$f = b.$f; } )* };
            }
            take!(sib2, sib3, sib4, sib5, sib6, sib7, sib8);
            // Bounded: a dwell holds a few SI messages; a hostile cell cannot grow this past 32.
            if out.si_raw.len() < 32 {
                out.si_raw.push(p.bytes);
            }
        }
    }
    out
}

/// Adds decoded system information to an LTE Observation: SIBs, the global
/// identity from SIB1 (first PLMN, TAC, cell identity) and the raw PDUs (hex).
pub fn apply_system_info(o: &mut Observation, si: &DecodedSi) {
    if let Some(s1) = &si.info.sib1 {
        if let Some(p) = s1.plmns.first().filter(|p| p.len() >= 5 && p.is_ascii()) {
            o.cell.mcc = Some(p[..3].to_string());
            o.cell.mnc = Some(p[3..].to_string());
        }
        o.cell.tac = s1.tac;
        o.cell.cell_identity = s1.cell_identity;
    }
    if si.sib1_raw.is_none() && si.si_raw.is_empty() {
        return;
    }
    let sys = o.system_info.get_or_insert_with(SystemInfo::default);
    let mib = sys.mib.take();
    let raw_mib = sys.raw.as_ref().and_then(|r| r.mib.clone());
    *sys = SystemInfo {
        mib,
        raw: Some(RawPdus {
            mib: raw_mib,
            sib1: si.sib1_raw.as_ref().map(hex::encode),
            si: si.si_raw.iter().map(hex::encode).collect(),
            ..RawPdus::default()
        }),
        ..si.info.clone()
    };
}
