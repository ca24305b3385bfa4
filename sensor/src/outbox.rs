//! The outbox: every Observation is numbered and written to disk (sled)
//! before it is published, and removed only when the broker acknowledged it.
//!
//! - `seq` rises by one per observation and survives restarts: the next value
//!   is stored in the same atomic batch as the observation it numbers.
//! - [`Outbox::push`] returns only after the write is flushed to disk, so an
//!   observation the pipeline handed over survives SIGKILL and power cuts.
//! - The outbox is bounded: past `max_len` the oldest observations are dropped
//!   and counted ([`Outbox::dropped_total`]); a sensor offline for days keeps
//!   the newest picture.

use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use towerwatch_models::Observation;

/// Outbox failures (disk errors, corrupt records).
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// The database failed.
    #[error("outbox database: {0}")]
    Db(#[from] sled::Error),
    /// An observation could not be serialized.
    #[error("outbox serialization: {0}")]
    Json(#[from] serde_json::Error),
}

const NEXT_SEQ: &[u8] = b"next_seq";
const DROPPED: &[u8] = b"dropped_total";

/// The persistent, bounded queue of observations waiting for a broker acknowledgement.
#[derive(Debug)]
pub struct Outbox {
    db: sled::Db,
    pending: sled::Tree,
    meta: sled::Tree,
    max_len: usize,
    dropped: AtomicU64,
}

fn u64_of(v: Option<sled::IVec>) -> u64 {
    v.and_then(|b| <[u8; 8]>::try_from(b.as_ref()).ok())
        .map_or(0, u64::from_be_bytes)
}

impl Outbox {
    /// Opens (or creates) the outbox in `dir`, holding at most `max_len` observations.
    pub fn open(dir: &Path, max_len: usize) -> Result<Outbox, OutboxError> {
        let db = sled::Config::new()
            .path(dir)
            .mode(sled::Mode::HighThroughput)
            .open()?;
        let pending = db.open_tree("pending")?;
        let meta = db.open_tree("meta")?;
        let dropped = AtomicU64::new(u64_of(meta.get(DROPPED)?));
        Ok(Outbox {
            db,
            pending,
            meta,
            max_len: max_len.max(1),
            dropped,
        })
    }

    /// Numbers `obs` with the next `seq`, stores it durably and returns the seq.
    pub fn push(&self, obs: &mut Observation) -> Result<u64, OutboxError> {
        let seq = self.push_unflushed(obs)?;
        self.db.flush()?;
        Ok(seq)
    }

    /// Numbers and stores a batch, with one flush at the end.
    pub fn push_all(&self, batch: &mut [Observation]) -> Result<Vec<u64>, OutboxError> {
        let seqs = batch
            .iter_mut()
            .map(|o| self.push_unflushed(o))
            .collect::<Result<Vec<_>, _>>()?;
        self.db.flush()?;
        Ok(seqs)
    }

    fn push_unflushed(&self, obs: &mut Observation) -> Result<u64, OutboxError> {
        let res: Result<u64, TransactionError<serde_json::Error>> = (&self.pending, &self.meta)
            .transaction(|(p, m)| {
                let seq = u64_of(m.get(NEXT_SEQ)?);
                let mut o = obs.clone();
                o.seq = seq;
                let bytes = serde_json::to_vec(&o).map_err(ConflictableTransactionError::Abort)?;
                p.insert(&seq.to_be_bytes(), bytes)?;
                m.insert(NEXT_SEQ, &(seq + 1).to_be_bytes())?;
                Ok(seq)
            });
        let seq = match res {
            Ok(s) => s,
            Err(TransactionError::Abort(e)) => return Err(e.into()),
            Err(TransactionError::Storage(e)) => return Err(e.into()),
        };
        obs.seq = seq;
        self.enforce_bound()?;
        Ok(seq)
    }

    fn enforce_bound(&self) -> Result<(), OutboxError> {
        let mut dropped_now = 0u64;
        while self.pending.len() > self.max_len {
            match self.pending.pop_min()? {
                Some(_) => dropped_now += 1,
                None => break,
            }
        }
        if dropped_now > 0 {
            let total = self.dropped.fetch_add(dropped_now, Ordering::Relaxed) + dropped_now;
            self.meta.insert(DROPPED, &total.to_be_bytes())?;
        }
        Ok(())
    }

    /// Up to `limit` waiting observations with `seq > after` (or all, with `None`), oldest first,
    /// as `(seq, JSON payload)`.
    pub fn pending_after(
        &self,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<(u64, Vec<u8>)>, OutboxError> {
        let range = match after {
            Some(s) => self.pending.range(s.saturating_add(1).to_be_bytes()..),
            None => self.pending.range::<&[u8], _>(..),
        };
        let mut v = Vec::new();
        for item in range.take(limit) {
            let (k, val) = item?;
            v.push((u64_of(Some(k)), val.to_vec()));
        }
        Ok(v)
    }

    /// Removes an acknowledged observation. Acknowledging twice is harmless.
    pub fn ack(&self, seq: u64) -> Result<(), OutboxError> {
        self.pending.remove(seq.to_be_bytes())?;
        Ok(())
    }

    /// Observations waiting.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// The seq the next observation will get.
    pub fn next_seq(&self) -> Result<u64, OutboxError> {
        Ok(u64_of(self.meta.get(NEXT_SEQ)?))
    }

    /// Observations dropped by the size bound, over the outbox's life.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Flushes everything to disk (acks included).
    pub fn flush(&self) -> Result<(), OutboxError> {
        self.db.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use towerwatch_models::{CellId, Rat, Timestamp};

    fn obs() -> Observation {
        Observation::new(
            "s1",
            0,
            Timestamp::from_unix_ms(1),
            Rat::Lte,
            CellId {
                pci: Some(1),
                ..Default::default()
            },
        )
    }

    #[test]
    fn seq_rises_and_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let ob = Outbox::open(dir.path(), 100).unwrap();
            for want in 0..5 {
                let mut o = obs();
                assert_eq!(ob.push(&mut o).unwrap(), want);
                assert_eq!(o.seq, want);
            }
            ob.ack(1).unwrap();
            ob.ack(1).unwrap();
            assert_eq!(ob.len(), 4);
        }
        let ob = Outbox::open(dir.path(), 100).unwrap();
        assert_eq!(ob.next_seq().unwrap(), 5);
        let p = ob.pending_after(None, 10).unwrap();
        assert_eq!(p.iter().map(|x| x.0).collect::<Vec<_>>(), vec![0, 2, 3, 4]);
        let o: Observation = serde_json::from_slice(&p[1].1).unwrap();
        assert_eq!(o.seq, 2);
        assert_eq!(ob.pending_after(Some(2), 10).unwrap().len(), 2);
        let mut o = obs();
        assert_eq!(ob.push(&mut o).unwrap(), 5);
    }

    #[test]
    fn bounded_with_counted_drops() {
        let dir = tempfile::tempdir().unwrap();
        let ob = Outbox::open(dir.path(), 3).unwrap();
        let mut batch: Vec<Observation> = (0..10).map(|_| obs()).collect();
        ob.push_all(&mut batch).unwrap();
        assert_eq!(ob.len(), 3);
        assert_eq!(ob.dropped_total(), 7);
        let p = ob.pending_after(None, 10).unwrap();
        assert_eq!(p.iter().map(|x| x.0).collect::<Vec<_>>(), vec![7, 8, 9]);
        drop(ob);
        assert_eq!(Outbox::open(dir.path(), 3).unwrap().dropped_total(), 7);
    }
}
