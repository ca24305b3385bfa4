//! What the collector knows about the legitimate network: known cells
//! (imported and learned) and sensor positions.

use std::collections::{BTreeSet, HashMap};
use towerwatch_models::known_cell::KnownCell;
use towerwatch_models::{CellId, Position, Rat};

/// A stable key for a cell: its global identity when broadcast
/// (`lte:262-01:4021:123456789`), else its channel and physical identity
/// (`lte@6300/123`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CellKey(pub String);

impl CellKey {
    /// The key of a cell.
    pub fn of(rat: Rat, cell: &CellId) -> CellKey {
        match global_key(rat, cell) {
            Some(k) => CellKey(k),
            None => CellKey(format!(
                "{}@{}/{}",
                rat,
                cell.channel(rat).map_or("?".into(), |c| c.to_string()),
                cell.phy_id(rat).map_or("?".into(), |c| c.to_string())
            )),
        }
    }

    /// A key for a non-cell finding (e.g. `jamming:lte_b20`).
    pub fn other(s: impl Into<String>) -> CellKey {
        CellKey(s.into())
    }

    /// The stable suspect id derived from the key (`s-` and 12 hex digits of FNV-1a).
    pub fn suspect_id(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in self.0.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        format!("s-{:012x}", h & 0xffff_ffff_ffff)
    }
}

/// `rat:mcc-mnc:area:ci` when the cell broadcasts its global identity.
pub fn global_key(rat: Rat, cell: &CellId) -> Option<String> {
    let area = cell.tac.or(cell.lac.map(u32::from))?;
    Some(format!(
        "{}:{}-{}:{}:{}",
        rat,
        cell.mcc.as_ref()?,
        cell.mnc.as_ref()?,
        area,
        cell.cell_identity?
    ))
}

/// The legitimate network and the sensors, as analyzers see it.
#[derive(Debug, Clone, Default)]
pub struct Knowledge {
    cells: HashMap<String, KnownCell>,
    plmn_channels: HashMap<(Rat, String), BTreeSet<u32>>,
    plmn_cells: HashMap<(Rat, String), usize>,
    mccs: BTreeSet<String>,
    sensors: HashMap<String, Position>,
}

impl Knowledge {
    /// Empty knowledge.
    pub fn new() -> Self {
        Knowledge::default()
    }

    /// Adds or replaces a known cell (ignored without a global identity).
    pub fn insert(&mut self, cell: KnownCell) {
        let Some(key) = global_key(cell.rat, &cell.cell) else {
            return;
        };
        if let Some(plmn) = cell.cell.plmn() {
            if let Some(ch) = cell.cell.channel(cell.rat) {
                self.plmn_channels
                    .entry((cell.rat, plmn.clone()))
                    .or_default()
                    .insert(ch);
            }
            if !self.cells.contains_key(&key) {
                *self.plmn_cells.entry((cell.rat, plmn)).or_default() += 1;
            }
        }
        if let Some(mcc) = &cell.cell.mcc {
            self.mccs.insert(mcc.clone());
        }
        self.cells.insert(key, cell);
    }

    /// The known cell with this identity.
    pub fn lookup(&self, rat: Rat, cell: &CellId) -> Option<&KnownCell> {
        self.cells.get(&global_key(rat, cell)?)
    }

    /// All known cells.
    pub fn cells(&self) -> impl Iterator<Item = &KnownCell> {
        self.cells.values()
    }

    /// Number of known cells.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Whether no cell is known.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// Channels on which the operator `plmn` runs known cells of `rat`.
    pub fn channels_of(&self, rat: Rat, plmn: &str) -> Option<&BTreeSet<u32>> {
        self.plmn_channels.get(&(rat, plmn.to_string()))
    }

    /// Number of known cells of `plmn` and `rat`.
    pub fn cells_of(&self, rat: Rat, plmn: &str) -> usize {
        self.plmn_cells
            .get(&(rat, plmn.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// Country codes of the known network.
    pub fn mccs(&self) -> &BTreeSet<String> {
        &self.mccs
    }

    /// Records a sensor's position.
    pub fn set_sensor(&mut self, sensor_id: &str, p: Position) {
        self.sensors.insert(sensor_id.to_string(), p);
    }

    /// A sensor's position.
    pub fn sensor(&self, sensor_id: &str) -> Option<&Position> {
        self.sensors.get(sensor_id)
    }

    /// All sensor positions.
    pub fn sensors(&self) -> impl Iterator<Item = (&String, &Position)> {
        self.sensors.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use towerwatch_models::known_cell::KnownCellSource;

    #[test]
    fn keys_and_lookup() {
        let c = CellId {
            earfcn: Some(6300),
            pci: Some(123),
            mcc: Some("262".into()),
            mnc: Some("01".into()),
            tac: Some(4021),
            cell_identity: Some(7),
            ..CellId::default()
        };
        assert_eq!(CellKey::of(Rat::Lte, &c).0, "lte:262-01:4021:7");
        let phy = CellId {
            earfcn: Some(6300),
            pci: Some(5),
            ..CellId::default()
        };
        assert_eq!(CellKey::of(Rat::Lte, &phy).0, "lte@6300/5");
        let id = CellKey::of(Rat::Lte, &c).suspect_id();
        assert_eq!(id, CellKey::of(Rat::Lte, &c).suspect_id());
        assert!(id.starts_with("s-") && id.len() == 14);
        let mut k = Knowledge::new();
        k.insert(KnownCell {
            rat: Rat::Lte,
            cell: c.clone(),
            lat: None,
            lon: None,
            range_m: None,
            samples: 0,
            source: KnownCellSource::Imported,
            average_signal_dbm: None,
            created: None,
            updated: None,
            profiles: vec![],
        });
        // An observation with channel and PCI still matches on the global identity.
        assert!(k
            .lookup(
                Rat::Lte,
                &CellId {
                    pci: Some(400),
                    ..c.clone()
                }
            )
            .is_some());
        assert!(k.lookup(Rat::Gsm, &c).is_none());
        assert_eq!(
            k.channels_of(Rat::Lte, "26201")
                .unwrap()
                .iter()
                .copied()
                .collect::<Vec<_>>(),
            vec![6300]
        );
        assert_eq!(k.cells_of(Rat::Lte, "26201"), 1);
    }
}
