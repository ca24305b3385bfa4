//! `truth.json` and `known_cells.csv`: what the simulator put where, for
//! tests and for the analyst comparing the collector's picture with reality.

use crate::scenario::propagation::Link;
use crate::scenario::{ScanChannel, SimCell, SimSensor, World};
use serde::{Deserialize, Serialize};
use towerwatch_models::known_cell::{KnownCell, KnownCellSource};
use towerwatch_models::{CellId, Rat};

/// The whole truth.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Truth {
    /// Scenario name.
    pub scenario: String,
    /// Wall-clock time of scenario second 0.
    pub start: String,
    /// Seconds between cycle starts.
    pub cycle_s: f64,
    /// Cycles rendered.
    pub cycles: u32,
    /// Reference point `[lat, lon]`.
    pub area: [f64; 2],
    /// Scan plan.
    pub channels: Vec<TruthChannel>,
    /// Sensors.
    pub sensors: Vec<TruthSensor>,
    /// Stations.
    pub cells: Vec<TruthCell>,
    /// Per station and sensor.
    pub links: Vec<TruthLink>,
}

/// A channel of the plan.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TruthChannel {
    /// `lte` or `gsm`.
    pub rat: Rat,
    /// EARFCN / ARFCN.
    pub number: u32,
    /// Hz.
    pub freq_hz: f64,
}

/// A sensor.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TruthSensor {
    /// Id.
    pub id: String,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// LO error, ppm.
    pub ppm: f64,
    /// Gain error, dB.
    pub gain_offset_db: f64,
    /// Nominal calibration (dBm = dBFS + this).
    pub full_scale_dbm: f64,
    /// Recording format.
    pub datatype: String,
}

/// A station.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TruthCell {
    /// Name.
    pub name: String,
    /// RAT.
    pub rat: Rat,
    /// Rogue.
    pub rogue: bool,
    /// In the imported cell list.
    pub listed: bool,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Identity as observations name it.
    pub cell: CellId,
    /// EPRE (LTE) or carrier power (GSM), dBm.
    pub power_dbm: f64,
    /// On air from, scenario seconds.
    pub on_s: f64,
    /// Off air from.
    pub off_s: Option<f64>,
}

/// One link.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TruthLink {
    /// Station name.
    pub cell: String,
    /// Sensor id.
    pub sensor: String,
    /// 3D distance, m.
    pub distance_m: f64,
    /// Line of sight.
    pub los: bool,
    /// Median loss, dB.
    pub path_loss_db: f64,
    /// Shadowing, dB.
    pub shadowing_db: f64,
    /// What the sensor receives: RSRP (LTE) or carrier power (GSM), dBm, before its gain error.
    pub rx_dbm: f64,
}

/// The identity of a station as its observations carry it.
pub fn cell_id(c: &SimCell) -> CellId {
    let mut id = CellId {
        mcc: Some(c.spec.mcc.clone()),
        mnc: Some(c.spec.mnc.clone()),
        ..CellId::default()
    };
    if let Some(l) = &c.spec.lte {
        id.earfcn = Some(l.earfcn);
        id.pci = Some(l.pci);
        id.tac = Some(l.tac);
        id.cell_identity = Some(u64::from(l.cell_identity));
    }
    if let Some(g) = &c.spec.gsm {
        id.arfcn = Some(g.arfcn);
        id.bsic = Some(g.ncc * 8 + g.bcc);
        id.lac = Some(g.lac);
        id.cell_identity = Some(u64::from(g.ci));
    }
    id
}

impl Truth {
    /// The truth of `world` with its large-scale `links[cell][sensor]`.
    pub fn new(world: &World, links: &[Vec<Link>]) -> Truth {
        let sensor = |s: &SimSensor| TruthSensor {
            id: s.id.clone(),
            lat: s.lat,
            lon: s.lon,
            ppm: s.ppm,
            gain_offset_db: s.gain_offset_db,
            full_scale_dbm: s.full_scale_dbm,
            datatype: s.datatype.sigmf_name().into(),
        };
        let channel = |c: &ScanChannel| TruthChannel {
            rat: c.rat,
            number: c.number,
            freq_hz: c.freq_hz,
        };
        let mut out_links = Vec::new();
        for (c, ls) in world.cells.iter().zip(links) {
            for (s, l) in world.sensors.iter().zip(ls) {
                out_links.push(TruthLink {
                    cell: c.spec.name.clone(),
                    sensor: s.id.clone(),
                    distance_m: l.distance_m,
                    los: l.los,
                    path_loss_db: l.path_loss_db,
                    shadowing_db: l.shadowing_db,
                    rx_dbm: c.spec.power_dbm - l.loss_db(),
                });
            }
        }
        Truth {
            scenario: world.scenario.name.clone(),
            start: world.start.to_string(),
            cycle_s: world.cycle_s,
            cycles: world.scenario.time.cycles,
            area: [world.scenario.area.lat, world.scenario.area.lon],
            channels: world.channels.iter().map(channel).collect(),
            sensors: world.sensors.iter().map(sensor).collect(),
            cells: world
                .cells
                .iter()
                .map(|c| TruthCell {
                    name: c.spec.name.clone(),
                    rat: c.spec.rat,
                    rogue: c.spec.rogue,
                    listed: c.listed(),
                    lat: c.lat,
                    lon: c.lon,
                    cell: cell_id(c),
                    power_dbm: c.spec.power_dbm,
                    on_s: c.spec.on_s,
                    off_s: c.spec.off_s,
                })
                .collect(),
            links: out_links,
        }
    }

    /// The link of station `cell` to `sensor`.
    pub fn link(&self, cell: &str, sensor: &str) -> Option<&TruthLink> {
        self.links
            .iter()
            .find(|l| l.cell == cell && l.sensor == sensor)
    }
}

/// The listed cells as OpenCellID CSV (positions as an operator list would give them).
pub fn known_cells_csv(world: &World) -> String {
    let cells: Vec<KnownCell> = world
        .cells
        .iter()
        .filter(|c| c.listed())
        .map(|c| KnownCell {
            rat: c.spec.rat,
            cell: cell_id(c),
            lat: Some(c.lat),
            lon: Some(c.lon),
            range_m: Some(1000.0),
            samples: 10,
            source: KnownCellSource::Imported,
            average_signal_dbm: None,
            created: Some(world.start),
            updated: Some(world.start),
            profiles: Vec::new(),
        })
        .collect();
    towerwatch_collector::opencellid::write(&cells)
}
