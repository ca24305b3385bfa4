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
