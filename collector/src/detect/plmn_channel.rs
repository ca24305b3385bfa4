//! `plmn_channel_mismatch` and `foreign_plmn`: an operator identity on a
//! channel that operator does not use here, or a country code foreign to
//! the known network.
//!
//! **Evidence**: (a) a cell of PLMN P on channel C when at least
//! `MIN_KNOWN_CELLS` known cells of P (same RAT) are on other channels only —
//! a fake cell often copies a real operator's PLMN but sits on a free or
//! test channel; weight 0.5. (b) an MCC absent from the known network; test
//! PLMNs (MCC 001, 002, 999 — the defaults of open-source base stations)
//! weigh 0.7, other foreign MCCs 0.4. Known cells are never reported.
//!
//! **False positives**: (a) a carrier the import does not list (OpenCellID has
//! no channel numbers; channels come from learned cells only), new spectrum;
//! (b) roaming cells near a border, private networks on test PLMNs.

use super::{Analyzer, Finding, Knowledge};
use std::collections::HashSet;
use towerwatch_models::Observation;

/// Rule name of the channel check.
pub const NAME: &str = "plmn_channel_mismatch";
/// Rule name of the country check.
pub const FOREIGN: &str = "foreign_plmn";
/// Rule version.
pub const VERSION: u32 = 1;
/// Weight of a channel mismatch.
pub const WEIGHT: f64 = 0.5;
/// Weight of a test PLMN.
pub const TEST_PLMN_WEIGHT: f64 = 0.7;
/// Weight of another foreign MCC.
pub const FOREIGN_WEIGHT: f64 = 0.4;
/// Fewest known cells of an operator before its channels are trusted.
pub const MIN_KNOWN_CELLS: usize = 3;
/// Most cells remembered as reported.
pub const MAX_STATE: usize = 100_000;

/// State: cells already reported (each is reported once).
#[derive(Debug, Default)]
pub struct PlmnChannel {
    reported: HashSet<(String, &'static str)>,
}

impl Analyzer for PlmnChannel {
    fn name(&self) -> &'static str {
        NAME
    }
    fn version(&self) -> u32 {
        VERSION
    }
    fn observe(&mut self, obs: &Observation, known: &Knowledge, out: &mut Vec<Finding>) {
        let Some(plmn) = obs.cell.plmn() else { return };
        if known.lookup(obs.rat, &obs.cell).is_some() {
            return;
        }
        let key = super::CellKey::of(obs.rat, &obs.cell).0;
        let mut emit = |kind: &'static str, weight: f64, detail: String, this: &mut Self| {
            if this.reported.len() < MAX_STATE && this.reported.insert((key.clone(), kind)) {
                out.push(Finding::about(obs, kind, VERSION, weight, detail));
            }
        };
        if let (Some(ch), Some(chs)) =
            (obs.cell.channel(obs.rat), known.channels_of(obs.rat, &plmn))
        {
            if known.cells_of(obs.rat, &plmn) >= MIN_KNOWN_CELLS && !chs.contains(&ch) {
                let detail = format!(
                    "{plmn} on {} channel {ch}, where its known cells use {:?}",
                    obs.rat,
                    chs.iter().take(16).collect::<Vec<_>>()
                );
                emit(NAME, WEIGHT, detail, self);
            }
        }
        let mcc = obs.cell.mcc.as_deref().unwrap_or_default();
        if !known.mccs().is_empty() && !known.mccs().contains(mcc) {
            let test = matches!(mcc, "001" | "002" | "999");
            let what = if test {
                "a test network code"
            } else {
                "not in the known network"
            };
            let detail = format!(
                "MCC {mcc} ({plmn}) is {what}; known MCCs {:?}",
                known.mccs()
            );
            emit(
                FOREIGN,
                if test {
                    TEST_PLMN_WEIGHT
                } else {
                    FOREIGN_WEIGHT
                },
                detail,
                self,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testutil::*;
    use towerwatch_models::known_cell::{KnownCell, KnownCellSource};

    fn known() -> Knowledge {
        let mut k = Knowledge::new();
        for (i, ch) in [6300u32, 6300, 1300].iter().enumerate() {
            let o = lte(
                "a",
                0,
                *ch,
                i as u16,
                ("262", "01"),
                4021,
                100 + i as u64,
                -80.0,
            );
            k.insert(KnownCell {
                rat: o.rat,
                cell: o.cell,
                lat: None,
                lon: None,
                range_m: None,
                samples: 1,
                source: KnownCellSource::Learned,
                average_signal_dbm: None,
                created: None,
                updated: None,
                profiles: vec![],
            });
        }
        k
    }

    #[test]
    fn channel_and_country() {
        let k = known();
        let mut a = PlmnChannel::default();
        let mut out = Vec::new();
        // A new cell on a used channel: nothing here.
        a.observe(
            &lte("a", 0, 1300, 9, ("262", "01"), 4021, 200, -80.0),
            &k,
            &mut out,
        );
        assert!(out.is_empty());
        a.observe(
            &lte("a", 0, 3050, 9, ("262", "01"), 4021, 201, -80.0),
            &k,
            &mut out,
        );
        a.observe(
            &lte("b", 1, 3050, 9, ("262", "01"), 4021, 201, -80.0),
            &k,
            &mut out,
        );
        assert_eq!(out.len(), 1, "reported once");
        assert_eq!(out[0].evidence.kind, NAME);
        a.observe(
            &lte("a", 0, 6300, 9, ("001", "01"), 1, 1, -50.0),
            &k,
            &mut out,
        );
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].evidence.kind, FOREIGN);
        assert_eq!(out[1].evidence.weight, Some(TEST_PLMN_WEIGHT));
        // An operator with too few known cells: its channels are not judged.
        a.observe(
            &lte("a", 0, 3050, 9, ("262", "02"), 4021, 201, -80.0),
            &k,
            &mut out,
        );
        assert_eq!(out.len(), 2);
    }
}
