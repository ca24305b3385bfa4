//! Persistent state in sled: observations (time-indexed, with retention),
//! the `(sensor_id, seq)` de-duplication table, sensors and their last
//! status, known cells, suspects and their history.
//!
//! One small module: the rest of the collector sees typed methods, never
//! sled. An observation and its de-duplication entry are written in one
//! transaction; [`Store::flush`] makes everything written so far durable,
//! and the ingest loop acknowledges MQTT messages only after it.

use serde::{Deserialize, Serialize};
use std::path::Path;
use towerwatch_models::known_cell::KnownCell;
use towerwatch_models::{Observation, SensorStatus, Suspect, Timestamp};

/// A store error.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] sled::Error),
    /// A record could not be encoded or decoded.
    #[error("record encoding: {0}")]
    Encoding(#[from] serde_json::Error),
    /// A transaction failed.
    #[error("transaction: {0}")]
    Transaction(String),
}

/// What a sensor last told us.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensorRecord {
    /// The sensor.
    pub sensor_id: String,
    /// Latest status message (retained, or the last will).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<SensorStatus>,
    /// Latest position from an observation or status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<towerwatch_models::Position>,
    /// Time of the latest observation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_observation: Option<Timestamp>,
    /// Observations accepted from it.
    #[serde(default)]
    pub observations: u64,
    /// Highest `seq` accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seq: Option<u64>,
}

/// Result of inserting an observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Insert {
    /// Stored.
    Stored,
    /// `(sensor_id, seq)` was already stored: nothing written.
    Duplicate,
}

/// The collector's database.
#[derive(Debug, Clone)]
pub struct Store {
    db: sled::Db,
    obs: sled::Tree,
    dedup: sled::Tree,
    sensors: sled::Tree,
    cells: sled::Tree,
    suspects: sled::Tree,
    history: sled::Tree,
    /// `id \0 time_key` → history key: a suspect's revisions, oldest first.
    history_index: sled::Tree,
}

/// Revisions kept per suspect; older ones are dropped first.
pub const MAX_REVISIONS_PER_SUSPECT: usize = 100;

/// A revision is also recorded when only `last_seen` moved, at most this often,
/// so that a replay does not show a suspect that was still heard as quiet.
const REVISION_HEARTBEAT_S: f64 = 300.0;

/// One recorded state of a suspect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Revision {
    /// When the collector recorded it.
    pub at: Timestamp,
    /// The suspect as it was then.
    pub suspect: Suspect,
}

/// Whether `new` differs from `old` in what a replay shows.
fn is_new_revision(old: &Suspect, new: &Suspect) -> bool {
    old.score != new.score
        || old.location != new.location
        || old.evidence.len() != new.evidence.len()
        || old.not_localizable != new.not_localizable
        || new.last_seen.seconds_since(old.last_seen) >= REVISION_HEARTBEAT_S
}

fn index_prefix(id: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(id.len() + 9);
    k.extend_from_slice(id.as_bytes());
    k.push(0);
    k
}

fn time_key(t: Timestamp) -> [u8; 8] {
    // Order-preserving: flip the sign bit of the two's-complement value.
    ((t.unix_ns() as u64) ^ (1 << 63)).to_be_bytes()
}

fn key_time(k: &[u8]) -> Option<Timestamp> {
    let b: [u8; 8] = k.get(..8)?.try_into().ok()?;
    Some(Timestamp::from_unix_ns(
        (u64::from_be_bytes(b) ^ (1 << 63)) as i64,
    ))
}

fn dedup_key(sensor_id: &str, seq: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(sensor_id.len() + 9);
    k.extend_from_slice(sensor_id.as_bytes());
    k.push(0);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

impl Store {
    /// Opens (or creates) the store in `dir`.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let db = sled::Config::new()
            .path(dir)
            .mode(sled::Mode::HighThroughput)
            .open()?;
        Ok(Store {
            obs: db.open_tree("observations")?,
            dedup: db.open_tree("dedup")?,
            sensors: db.open_tree("sensors")?,
            cells: db.open_tree("known_cells")?,
            suspects: db.open_tree("suspects")?,
            history: db.open_tree("suspect_history")?,
            history_index: db.open_tree("suspect_history_index")?,
            db,
        })
    }

    /// Stores an observation unless `(sensor_id, seq)` is already stored, atomically.
    pub fn insert_observation(&self, o: &Observation) -> Result<Insert, StoreError> {
        use sled::Transactional;
        let dk = dedup_key(&o.sensor_id, o.seq);
        let mut ok = time_key(o.time).to_vec();
        ok.extend_from_slice(&dk);
        let value = serde_json::to_vec(o)?;
        let stamp = time_key(o.time);
        let r = (&self.obs, &self.dedup).transaction(|(obs, dedup)| {
            if dedup.get(&dk)?.is_some() {
                return Ok(Insert::Duplicate);
            }
            dedup.insert(dk.as_slice(), &stamp[..])?;
            obs.insert(ok.as_slice(), value.as_slice())?;
            Ok(Insert::Stored)
        });
        r.map_err(|e: sled::transaction::TransactionError<()>| {
            StoreError::Transaction(format!("{e:?}"))
        })
    }

    /// Whether `(sensor_id, seq)` is stored.
    pub fn seen(&self, sensor_id: &str, seq: u64) -> Result<bool, StoreError> {
        Ok(self.dedup.contains_key(dedup_key(sensor_id, seq))?)
    }

    /// Observations at or after `since`, oldest first, optionally of one
    /// sensor, at most `limit`, scanning at most `scan_limit` records.
    pub fn observations(
        &self,
        sensor_id: Option<&str>,
        since: Option<Timestamp>,
        limit: usize,
        scan_limit: usize,
    ) -> Result<Vec<Observation>, StoreError> {
        let start = time_key(since.unwrap_or(Timestamp(i64::MIN)));
        let mut out = Vec::new();
        for item in self.obs.range(start..).take(scan_limit) {
            let (k, v) = item?;
            if let Some(s) = sensor_id {
                let id = &k[8..];
                if !(id.starts_with(s.as_bytes()) && id.get(s.len()) == Some(&0)) {
                    continue;
                }
            }
            out.push(serde_json::from_slice(&v)?);
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    /// Number of stored observations.
    pub fn observation_count(&self) -> usize {
        self.obs.len()
    }

    /// Deletes observations, de-duplication entries and suspect history older
    /// than `cutoff`; returns the number of observations deleted.
    pub fn prune(&self, cutoff: Timestamp) -> Result<usize, StoreError> {
        let end = time_key(cutoff);
        let mut n = 0;
        for tree in [&self.obs, &self.history] {
            let keys: Vec<sled::IVec> = tree
                .range(..end)
                .keys()
                .take(100_000)
                .collect::<Result<_, _>>()?;
            for k in keys {
                tree.remove(&k)?;
                if std::ptr::eq(tree, &self.obs) {
                    n += 1;
                } else if let (Some(t), Some(Ok(id))) =
                    (k.get(..8), k.get(8..).map(std::str::from_utf8))
                {
                    let mut ik = index_prefix(id);
                    ik.extend_from_slice(t);
                    self.history_index.remove(ik)?;
                }
            }
        }
        // De-duplication entries carry their observation time as value.
        let mut stale = Vec::new();
        for item in self.dedup.iter().take(1_000_000) {
            let (k, v) = item?;
            if key_time(&v).is_some_and(|t| t < cutoff) {
                stale.push(k);
            }
        }
        for k in stale {
            self.dedup.remove(k)?;
        }
        Ok(n)
    }

    /// Makes everything written so far durable.
    pub fn flush(&self) -> Result<usize, StoreError> {
        Ok(self.db.flush()?)
    }

    /// Writes a sensor record.
    pub fn put_sensor(&self, r: &SensorRecord) -> Result<(), StoreError> {
        self.sensors
            .insert(r.sensor_id.as_bytes(), serde_json::to_vec(r)?)?;
        Ok(())
    }

    /// One sensor.
    pub fn sensor(&self, id: &str) -> Result<Option<SensorRecord>, StoreError> {
        self.sensors
            .get(id.as_bytes())?
            .map(|v| serde_json::from_slice(&v))
            .transpose()
            .map_err(Into::into)
    }

    /// All sensors.
    pub fn sensors(&self) -> Result<Vec<SensorRecord>, StoreError> {
        self.sensors
            .iter()
            .values()
            .map(|v| Ok(serde_json::from_slice(&v?)?))
            .collect()
    }

    /// Writes a known cell under its global key.
    pub fn put_cell(&self, key: &str, c: &KnownCell) -> Result<(), StoreError> {
        self.cells.insert(key.as_bytes(), serde_json::to_vec(c)?)?;
        Ok(())
    }

    /// All known cells.
    pub fn cells(&self) -> Result<Vec<KnownCell>, StoreError> {
        self.cells
            .iter()
            .values()
            .map(|v| Ok(serde_json::from_slice(&v?)?))
            .collect()
    }

    /// Writes a suspect and, when its score, location, error ellipse or
    /// evidence count changed (or it was last recorded over five minutes of
    /// `last_seen` ago), appends it to its history, which keeps the latest
    /// [`MAX_REVISIONS_PER_SUSPECT`] revisions.
    pub fn put_suspect(&self, s: &Suspect) -> Result<(), StoreError> {
        self.put_suspect_at(s, Timestamp::now())
    }

    fn put_suspect_at(&self, s: &Suspect, now: Timestamp) -> Result<(), StoreError> {
        let v = serde_json::to_vec(s)?;
        self.suspects.insert(s.id.as_bytes(), v.as_slice())?;
        let prefix = index_prefix(&s.id);
        let last = match self.history_index.scan_prefix(&prefix).next_back() {
            Some(item) => self.history.get(item?.1)?,
            None => None,
        };
        let record = match last.map(|o| serde_json::from_slice::<Suspect>(&o)) {
            Some(Ok(o)) => is_new_revision(&o, s),
            _ => true,
        };
        if !record {
            return Ok(());
        }
        let t = time_key(now);
        let mut hk = t.to_vec();
        hk.extend_from_slice(s.id.as_bytes());
        self.history.insert(hk.as_slice(), v)?;
        let mut ik = prefix.clone();
        ik.extend_from_slice(&t);
        self.history_index.insert(ik, hk)?;
        // Bounded: drop the oldest beyond the limit (normally just one).
        let keys: Vec<(sled::IVec, sled::IVec)> = self
            .history_index
            .scan_prefix(&prefix)
            .take(MAX_REVISIONS_PER_SUSPECT + 64)
            .collect::<Result<_, _>>()?;
        let excess = keys.len().saturating_sub(MAX_REVISIONS_PER_SUSPECT);
        for (ik, hk) in keys.into_iter().take(excess) {
            self.history.remove(hk)?;
            self.history_index.remove(ik)?;
        }
        Ok(())
    }

    /// One suspect.
    pub fn suspect(&self, id: &str) -> Result<Option<Suspect>, StoreError> {
        self.suspects
            .get(id.as_bytes())?
            .map(|v| serde_json::from_slice(&v))
            .transpose()
            .map_err(Into::into)
    }

    /// All suspects.
    pub fn suspects(&self) -> Result<Vec<Suspect>, StoreError> {
        self.suspects
            .iter()
            .values()
            .map(|v| Ok(serde_json::from_slice(&v?)?))
            .collect()
    }

    /// Revisions of all suspects recorded in `[since, until]`, oldest first,
    /// at most `limit` of them; with `since`, each suspect's latest revision
    /// before it comes first (its state at `since`). The flag says whether
    /// more would have matched.
    pub fn revisions(
        &self,
        since: Option<Timestamp>,
        until: Option<Timestamp>,
        limit: usize,
    ) -> Result<(Vec<Revision>, bool), StoreError> {
        let decode = |k: &[u8], v: &[u8]| -> Result<Revision, StoreError> {
            Ok(Revision {
                at: key_time(k).unwrap_or(Timestamp(0)),
                suspect: serde_json::from_slice(v)?,
            })
        };
        let mut out = Vec::new();
        if since.zip(until).is_some_and(|(s, u)| u < s) {
            return Ok((out, false));
        }
        if let Some(since) = since {
            let t = time_key(since);
            let mut prior = Vec::new();
            for id in self.suspects.iter().keys() {
                let prefix = index_prefix(std::str::from_utf8(&id?).unwrap_or_default());
                let mut end = prefix.clone();
                end.extend_from_slice(&t);
                if let Some(item) = self.history_index.range(prefix..end).next_back() {
                    let (_, hk) = item?;
                    if let Some(v) = self.history.get(&hk)? {
                        prior.push(decode(&hk, &v)?);
                    }
                }
                if prior.len() > limit {
                    break;
                }
            }
            prior.sort_by_key(|r| r.at);
            out = prior;
        }
        let start = since.map(time_key).unwrap_or([0; 8]);
        let range = match until {
            // Keys are `time_key ‖ id`: end before the next nanosecond.
            Some(u) => self
                .history
                .range(start..time_key(Timestamp(u.0.saturating_add(1)))),
            None => self.history.range(start..),
        };
        for item in range {
            if out.len() > limit {
                break;
            }
            let (k, v) = item?;
            out.push(decode(&k, &v)?);
        }
        let truncated = out.len() > limit;
        out.truncate(limit);
        Ok((out, truncated))
    }

    /// The recorded versions of one suspect, oldest first.
    pub fn suspect_history(&self, id: &str) -> Result<Vec<Suspect>, StoreError> {
        let mut out = Vec::new();
        for item in self.history.iter() {
            let (k, v) = item?;
            if &k[8..] == id.as_bytes() {
                out.push(serde_json::from_slice(&v)?);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testutil::lte;

    #[test]
    fn dedup_time_index_retention_and_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = Store::open(dir.path()).unwrap();
            for i in 0..10 {
                let mut o = lte(
                    if i % 2 == 0 { "a" } else { "ab" },
                    i * 100,
                    6300,
                    1,
                    ("262", "01"),
                    4021,
                    100,
                    -80.0,
                );
                o.seq = i as u64;
                assert_eq!(s.insert_observation(&o).unwrap(), Insert::Stored);
                assert_eq!(s.insert_observation(&o).unwrap(), Insert::Duplicate);
            }
            assert_eq!(s.observation_count(), 10);
            // "a" must not match "ab".
            let a = s.observations(Some("a"), None, 100, 1000).unwrap();
            assert_eq!(
                a.iter().map(|o| o.seq).collect::<Vec<_>>(),
                vec![0, 2, 4, 6, 8]
            );
            let since = s
                .observations(None, Some(crate::detect::testutil::t(450)), 2, 1000)
                .unwrap();
            assert_eq!(since.iter().map(|o| o.seq).collect::<Vec<_>>(), vec![5, 6]);
            s.flush().unwrap();
        }
        let s = Store::open(dir.path()).unwrap();
        assert_eq!(s.observation_count(), 10);
        assert!(s.seen("a", 4).unwrap());
        assert_eq!(s.prune(crate::detect::testutil::t(500)).unwrap(), 5);
        assert_eq!(s.observation_count(), 5);
        assert!(!s.seen("a", 4).unwrap() && s.seen("a", 6).unwrap());
        // Negative times order before positive ones.
        assert!(time_key(Timestamp(-5)) < time_key(Timestamp(3)));
        assert_eq!(key_time(&time_key(Timestamp(-5))), Some(Timestamp(-5)));
    }

    #[test]
    fn sensors_cells_and_suspects() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let r = SensorRecord {
            sensor_id: "a".into(),
            status: None,
            position: None,
            last_observation: None,
            observations: 3,
            last_seq: Some(2),
        };
        s.put_sensor(&r).unwrap();
        assert_eq!(s.sensor("a").unwrap(), Some(r));
        let o = lte("a", 0, 6300, 1, ("262", "01"), 9999, 77, -80.0);
        let sus = Suspect {
            schema: 1,
            id: "s-1".into(),
            region: "default".into(),
            score: 0.5,
            rat: o.rat,
            cell: o.cell,
            first_seen: o.time,
            last_seen: o.time,
            location: None,
            not_localizable: None,
            evidence: vec![],
            powers: vec![],
        };
        s.put_suspect(&sus).unwrap();
        s.put_suspect(&Suspect {
            score: 0.7,
            ..sus.clone()
        })
        .unwrap();
        assert_eq!(s.suspect("s-1").unwrap().unwrap().score, 0.7);
        assert_eq!(s.suspect_history("s-1").unwrap().len(), 2);
        assert_eq!(s.suspects().unwrap().len(), 1);
    }

    fn suspect(id: &str, score: f64) -> Suspect {
        let o = lte("a", 0, 6300, 1, ("262", "01"), 9999, 77, -80.0);
        Suspect {
            schema: 1,
            id: id.into(),
            region: "default".into(),
            score,
            rat: o.rat,
            cell: o.cell,
            first_seen: o.time,
            last_seen: o.time,
            location: None,
            not_localizable: None,
            evidence: vec![],
            powers: vec![],
        }
    }

    #[test]
    fn revisions_only_on_change_bounded_and_by_time() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let t = |sec: i64| Timestamp(sec * 1_000_000_000);
        let a = suspect("a", 0.1);
        s.put_suspect_at(&a, t(10)).unwrap();
        // Unchanged, and last_seen moved less than the heartbeat: no revision.
        let mut same = a.clone();
        same.last_seen = a.last_seen.add_seconds(60.0);
        s.put_suspect_at(&same, t(11)).unwrap();
        assert_eq!(s.suspect_history("a").unwrap().len(), 1);
        assert_eq!(s.suspect("a").unwrap().unwrap().last_seen, same.last_seen);
        // Heard again much later: a revision even with the same score.
        same.last_seen = a.last_seen.add_seconds(REVISION_HEARTBEAT_S + 1.0);
        s.put_suspect_at(&same, t(12)).unwrap();
        assert_eq!(s.suspect_history("a").unwrap().len(), 2);
        s.put_suspect_at(&suspect("b", 0.5), t(15)).unwrap();
        s.put_suspect_at(&suspect("a", 0.3), t(20)).unwrap();
        s.put_suspect_at(&suspect("b", 0.6), t(30)).unwrap();

        let (all, more) = s.revisions(None, None, 100).unwrap();
        assert!(!more);
        let seen: Vec<(i64, &str, f64)> = all
            .iter()
            .map(|r| {
                (
                    r.at.0 / 1_000_000_000,
                    r.suspect.id.as_str(),
                    r.suspect.score,
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                (10, "a", 0.1),
                (12, "a", 0.1),
                (15, "b", 0.5),
                (20, "a", 0.3),
                (30, "b", 0.6)
            ]
        );
        // Since 16: the state of both at 16 first, then what changed after.
        let (w, more) = s.revisions(Some(t(16)), Some(t(20)), 100).unwrap();
        assert!(!more);
        let seen: Vec<(i64, f64)> = w
            .iter()
            .map(|r| (r.at.0 / 1_000_000_000, r.suspect.score))
            .collect();
        assert_eq!(seen, [(12, 0.1), (15, 0.5), (20, 0.3)]);
        let (w, more) = s.revisions(None, None, 2).unwrap();
        assert!(more);
        assert_eq!(w.len(), 2);
        assert!(s
            .revisions(Some(t(30)), Some(t(10)), 10)
            .unwrap()
            .0
            .is_empty());

        // At most MAX_REVISIONS_PER_SUSPECT, the newest kept.
        for i in 0..(MAX_REVISIONS_PER_SUSPECT + 20) {
            s.put_suspect_at(&suspect("c", i as f64 / 1000.0), t(100 + i as i64))
                .unwrap();
        }
        let h = s.suspect_history("c").unwrap();
        assert_eq!(h.len(), MAX_REVISIONS_PER_SUSPECT);
        assert_eq!(h[0].score, 0.02);
        // Retention drops history and its index together.
        s.prune(t(150)).unwrap();
        assert_eq!(s.suspect_history("c").unwrap().len(), 70);
        assert_eq!(s.history_index.scan_prefix(index_prefix("c")).count(), 70);
    }
}
