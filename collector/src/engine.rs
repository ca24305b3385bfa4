//! The engine: fuses accepted observations into suspects (pure, synchronous).
//!
//! It keeps the [`Knowledge`] of the legitimate network up to date (power
//! profiles of known cells, learned cells in learning mode), runs every
//! analyzer, groups their findings by cell into [`Suspect`]s with a score, and
//! localizes suspects from the latest power each sensor measured (and the
//! sensors that scanned the channel without hearing the cell, as censored
//! readings). Returns the suspects that changed, for alerts.

use crate::detect::{self, clone, jamming::Jamming, Analyzer, CellKey, Finding, Knowledge};
use crate::locate::{
    calibrate, CalibrationOptions, Estimate, KnownReading, LocalFrame, NotLocalizable, PathLoss,
    Reading, Solver,
};
use std::collections::HashMap;
use towerwatch_models::known_cell::{KnownCell, KnownCellSource, PowerProfile};
use towerwatch_models::suspect::SensorPower;
use towerwatch_models::{Location, Observation, Rat, SensorStatus, Spectrum, Suspect, Timestamp};

/// Engine settings.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineConfig {
    /// Region of the suspects.
    pub region: String,
    /// Propagation model for localization.
    pub model: PathLoss,
    /// Noise floor assumed for sensors that scanned a channel without hearing a cell, dBm.
    pub floor_dbm: f64,
    /// Readings older than this are not used to localize, seconds.
    pub reading_window_s: f64,
    /// Localize a suspect at most this often, seconds.
    pub relocate_interval_s: f64,
    /// Localize each known cell at most this often (0 = never), seconds.
    pub known_relocate_interval_s: f64,
    /// Learning mode: every cell heard becomes a learned known cell.
    pub learn: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            region: towerwatch_models::topic::DEFAULT_REGION.into(),
            model: PathLoss::default(),
            floor_dbm: -120.0,
            reading_window_s: 300.0,
            relocate_interval_s: 10.0,
            known_relocate_interval_s: 300.0,
            learn: false,
        }
    }
}

/// Most evidence items kept per suspect.
pub const MAX_EVIDENCE: usize = 64;
/// Most cells whose recent powers are tracked.
pub const MAX_TRACKED_CELLS: usize = 100_000;
/// Most sensors tracked per cell.
pub const MAX_SENSORS_PER_CELL: usize = 256;
/// Most suspects held.
pub const MAX_SUSPECTS: usize = 100_000;
/// Recalibrate from known cells at most this often, seconds.
pub const CALIBRATION_INTERVAL_S: f64 = 3600.0;
/// Profiles with fewer measurements are not used for calibration.
pub const MIN_PROFILE_FOR_CALIBRATION: u64 = 5;
/// Fewest (cell, sensor) profiles needed to calibrate.
pub const MIN_CALIBRATION_READINGS: usize = 30;
/// Most power profiles per known cell.
pub const MAX_PROFILES: usize = 256;

#[derive(Debug, Default)]
struct Track {
    rat: Option<Rat>,
    channel: Option<u32>,
    powers: HashMap<String, (f64, Timestamp)>,
    last_located: Option<Timestamp>,
}

/// The fusion engine.
#[derive(Debug)]
pub struct Engine {
    cfg: EngineConfig,
    known: Knowledge,
    analyzers: Vec<Box<dyn Analyzer>>,
    jamming: Jamming,
    suspects: HashMap<CellKey, Suspect>,
    tracks: HashMap<CellKey, Track>,
    scanned: HashMap<(String, Rat, u32), Timestamp>,
    dirty_cells: Vec<String>,
    now: Timestamp,
    offsets: HashMap<String, f64>,
    last_calibration: Option<Timestamp>,
}

impl Engine {
    /// A new engine with the standard analyzers.
    pub fn new(cfg: EngineConfig, known: Knowledge) -> Self {
        Engine {
            cfg,
            known,
            analyzers: detect::standard_analyzers(),
            jamming: Jamming::default(),
            suspects: HashMap::new(),
            tracks: HashMap::new(),
            scanned: HashMap::new(),
            dirty_cells: Vec::new(),
            now: Timestamp::default(),
            offsets: HashMap::new(),
            last_calibration: None,
        }
    }

    /// Settings.
    pub fn config(&self) -> &EngineConfig {
        &self.cfg
    }

    /// What the engine knows.
    pub fn knowledge(&self) -> &Knowledge {
        &self.known
    }

    /// Adds or replaces a known cell.
    pub fn add_known(&mut self, cell: KnownCell) {
        self.known.insert(cell);
    }

    /// Restores suspects (from the store, at start).
    pub fn restore(
        &mut self,
        suspects: impl IntoIterator<Item = Suspect>,
        keys: impl Fn(&Suspect) -> CellKey,
    ) {
        for s in suspects {
            self.suspects.insert(keys(&s), s);
        }
    }

    /// The current suspects.
    pub fn suspects(&self) -> impl Iterator<Item = &Suspect> {
        self.suspects.values()
    }

    /// Global keys of known cells changed since the last call (for the store).
    pub fn take_dirty_cells(&mut self) -> Vec<String> {
        std::mem::take(&mut self.dirty_cells)
    }

    /// The known cell with this global key.
    pub fn known_cell(&self, rat: Rat, cell: &towerwatch_models::CellId) -> Option<&KnownCell> {
        self.known.lookup(rat, cell)
    }

    /// A sensor's status: remembers its position.
    pub fn sensor_status(&mut self, st: &SensorStatus) {
        if let Some(p) = st.position {
            self.known.set_sensor(&st.sensor_id, p);
        }
    }

    /// One accepted observation; returns the suspects that changed.
    pub fn observe(&mut self, obs: &Observation) -> Vec<Suspect> {
        self.now = self.now.max(obs.time);
        if let Some(p) = obs.position {
            if self.known.sensor(&obs.sensor_id) != Some(&p) {
                self.known.set_sensor(&obs.sensor_id, p);
            }
        }
        let key = CellKey::of(obs.rat, &obs.cell);
        if let Some(ch) = obs.cell.channel(obs.rat) {
            let k = (obs.sensor_id.clone(), obs.rat, ch);
            if self.scanned.len() < 4 * MAX_TRACKED_CELLS || self.scanned.contains_key(&k) {
                self.scanned.insert(k, obs.time);
            }
        }
        let power = obs.measurement.main_power_dbm();
        if let Some(p) = power {
            if self.tracks.len() < MAX_TRACKED_CELLS || self.tracks.contains_key(&key) {
                let t = self.tracks.entry(key.clone()).or_default();
                t.rat = Some(obs.rat);
                t.channel = obs.cell.channel(obs.rat);
                if t.powers.len() < MAX_SENSORS_PER_CELL || t.powers.contains_key(&obs.sensor_id) {
                    t.powers.insert(obs.sensor_id.clone(), (p, obs.time));
                }
            }
        }

        // In learning mode a cell is learned before the analyzers see it;
        // otherwise profiles are updated after, so a jump is judged against
        // the profile without it.
        if self.cfg.learn {
            self.learn(obs, power, &key);
        }
        let mut findings = Vec::new();
        for a in &mut self.analyzers {
            a.observe(obs, &self.known, &mut findings);
        }
        if !self.cfg.learn {
            self.learn(obs, power, &key);
        }

        let mut changed: Vec<CellKey> = Vec::new();
        for f in findings {
            if self.apply(f) {
                changed.push(key.clone());
            }
        }
        if let Some(s) = self.suspects.get_mut(&key) {
            s.last_seen = s.last_seen.max(obs.time);
            if let Some(p) = power {
                upsert_power(&mut s.powers, &obs.sensor_id, p, obs.time);
            }
            if self.locate_due(&key, obs.time) && self.relocate(&key) {
                changed.push(key.clone());
            }
        } else if self.known.lookup(obs.rat, &obs.cell).is_some()
            && self.cfg.known_relocate_interval_s > 0.0
        {
            if let Some(f) = self.check_known_position(obs, &key) {
                if self.apply(f) {
                    changed.push(key.clone());
                }
            }
        }
        changed.sort();
        changed.dedup();
        changed
            .iter()
            .filter_map(|k| self.suspects.get(k).cloned())
            .collect()
    }

    /// One spectrum scan; returns the suspects that changed.
    pub fn spectrum(&mut self, s: &Spectrum) -> Vec<Suspect> {
        self.now = self.now.max(s.time);
        match self.jamming.observe(s) {
            Some(f) => {
                let k = f.key.clone();
                if self.apply(f) {
                    self.suspects.get(&k).cloned().into_iter().collect()
                } else {
                    Vec::new()
                }
            }
            None => Vec::new(),
        }
    }

    /// Advances time to `now`: time-based analyzers and pruning.
    pub fn tick(&mut self, now: Timestamp) -> Vec<Suspect> {
        self.now = self.now.max(now);
        if self
            .last_calibration
            .is_none_or(|t| now.seconds_since(t) >= CALIBRATION_INTERVAL_S)
        {
            self.last_calibration = Some(now);
            self.recalibrate();
        }
        let mut findings = Vec::new();
        for a in &mut self.analyzers {
            a.tick(now, &self.known, &mut findings);
        }
        let window = self.cfg.reading_window_s;
        self.scanned.retain(|_, t| now.seconds_since(*t) < window);
        self.tracks.retain(|_, t| {
            t.powers
                .retain(|_, (_, at)| now.seconds_since(*at) < window);
            !t.powers.is_empty()
        });
        let mut changed = Vec::new();
        for f in findings {
            let k = f.key.clone();
            if self.apply(f) {
                changed.push(k);
            }
        }
        changed.sort();
        changed.dedup();
        changed
            .iter()
            .filter_map(|k| self.suspects.get(k).cloned())
            .collect()
    }

    /// Adds a finding to its suspect; whether the suspect changed.
    fn apply(&mut self, f: Finding) -> bool {
        if self.suspects.len() >= MAX_SUSPECTS && !self.suspects.contains_key(&f.key) {
            return false;
        }
        let t = f.evidence.time.unwrap_or(self.now);
        let s = self
            .suspects
            .entry(f.key.clone())
            .or_insert_with(|| Suspect {
                schema: towerwatch_models::SCHEMA_VERSION,
                id: f.key.suspect_id(),
                region: self.cfg.region.clone(),
                score: 0.0,
                rat: f.rat,
                cell: f.cell.clone(),
                first_seen: t,
                last_seen: t,
                location: None,
                not_localizable: None,
                evidence: Vec::new(),
                powers: Vec::new(),
            });
        s.first_seen = s.first_seen.min(t);
        s.last_seen = s.last_seen.max(t);
        let same = s
            .evidence
            .iter()
            .position(|e| e.kind == f.evidence.kind && e.sensor_id == f.evidence.sensor_id);
        let changed = match same {
            Some(i) => {
                let old_w = s.evidence[i].weight.unwrap_or(0.0);
                let new_w = f.evidence.weight.unwrap_or(0.0);
                s.evidence[i] = f.evidence;
                new_w > old_w
            }
            None if s.evidence.len() < MAX_EVIDENCE => {
                s.evidence.push(f.evidence);
                true
            }
            None => false,
        };
        if changed {
            s.score = detect::score(&s.evidence);
        }
        let key = f.key;
        if changed && self.tracks.contains_key(&key) {
            self.relocate(&key);
        }
        changed
    }

    fn locate_due(&self, key: &CellKey, now: Timestamp) -> bool {
        self.tracks.get(key).is_some_and(|t| {
            t.last_located
                .is_none_or(|l| now.seconds_since(l) >= self.cfg.relocate_interval_s)
        })
    }

    /// The readings of one tracked cell in a local frame.
    fn readings(&self, key: &CellKey) -> Option<(LocalFrame, Vec<Reading>, usize)> {
        let t = self.tracks.get(key)?;
        let now = self.now;
        let window = self.cfg.reading_window_s;
        let offset = |s: &str| self.offsets.get(s).copied().unwrap_or(0.0);
        let mut heard: Vec<((f64, f64), f64)> = Vec::new();
        for (sensor, (p, at)) in &t.powers {
            if now.seconds_since(*at) < window {
                if let Some(pos) = self.known.sensor(sensor) {
                    heard.push(((pos.lat, pos.lon), *p - offset(sensor)));
                }
            }
        }
        let mut censored: Vec<((f64, f64), f64)> = Vec::new();
        if let (Some(rat), Some(ch)) = (t.rat, t.channel) {
            for ((sensor, r, c), at) in &self.scanned {
                if *r == rat
                    && *c == ch
                    && now.seconds_since(*at) < window
                    && !t.powers.contains_key(sensor)
                {
                    if let Some(pos) = self.known.sensor(sensor) {
                        censored.push(((pos.lat, pos.lon), self.cfg.floor_dbm - offset(sensor)));
                    }
                }
            }
        }
        let pts: Vec<(f64, f64)> = heard
            .iter()
            .map(|h| h.0)
            .chain(censored.iter().map(|c| c.0))
            .collect();
        let frame = LocalFrame::around(&pts)?;
        let mut r: Vec<Reading> = heard
            .iter()
            .map(|((la, lo), p)| Reading::heard(frame.to_enu(*la, *lo), *p))
            .collect();
        r.extend(
            censored
                .iter()
                .map(|((la, lo), f)| Reading::not_heard(frame.to_enu(*la, *lo), *f)),
        );
        let used = r.len();
        Some((frame, r, used))
    }

    fn solve(
        &self,
        key: &CellKey,
    ) -> Option<(LocalFrame, Result<Estimate, NotLocalizable>, usize)> {
        let (frame, readings, used) = self.readings(key)?;
        let solver = Solver::new(self.cfg.model);
        Some((frame, solver.locate(&readings), used))
    }

    /// The current per-sensor calibration offsets, dB (subtracted from reported power).
    pub fn offsets(&self) -> &HashMap<String, f64> {
        &self.offsets
    }

    /// Fits the path-loss exponent, the shadowing σ and per-sensor offsets to
    /// the known cells with a site position and the sensors' power profiles
    /// of them ([`calibrate`]); keeps the configured model when there are too
    /// few profiles or the fit is implausible. Returns whether it was applied.
    pub fn recalibrate(&mut self) -> bool {
        let sensors: Vec<(String, (f64, f64))> = self
            .known
            .sensors()
            .map(|(id, p)| (id.clone(), (p.lat, p.lon)))
            .collect();
        let index: HashMap<&str, usize> = sensors
            .iter()
            .enumerate()
            .map(|(i, (id, _))| (id.as_str(), i))
            .collect();
        let mut cells = Vec::new();
        let mut readings = Vec::new();
        for c in self.known.cells() {
            let (Some(lat), Some(lon)) = (c.lat, c.lon) else {
                continue;
            };
            let k = cells.len();
            let mut any = false;
            for p in c
                .profiles
                .iter()
                .filter(|p| p.count >= MIN_PROFILE_FOR_CALIBRATION)
            {
                if let Some(&i) = index.get(p.sensor_id.as_str()) {
                    readings.push(KnownReading {
                        cell: k,
                        sensor: i,
                        power_dbm: p.mean_dbm,
                    });
                    any = true;
                }
            }
            if any {
                cells.push((lat, lon));
            }
        }
        if readings.len() < MIN_CALIBRATION_READINGS {
            return false;
        }
        let pts: Vec<(f64, f64)> = sensors
            .iter()
            .map(|s| s.1)
            .chain(cells.iter().copied())
            .collect();
        let Some(frame) = LocalFrame::around(&pts) else {
            return false;
        };
        let s_enu: Vec<_> = sensors
            .iter()
            .map(|(_, (la, lo))| frame.to_enu(*la, *lo))
            .collect();
        let c_enu: Vec<_> = cells
            .iter()
            .map(|(la, lo)| frame.to_enu(*la, *lo))
            .collect();
        let opt = CalibrationOptions {
            fit_exponent: true,
            fit_offsets: true,
        };
        let Ok(fit) = calibrate(&self.cfg.model, &s_enu, &c_enu, &readings, opt) else {
            return false;
        };
        if !(1.5..=6.0).contains(&fit.exponent) || !fit.sigma_db.is_finite() {
            return false;
        }
        self.cfg.model.exponent = fit.exponent;
        // Profile means average the shadowing of time away, not of place: keep
        // σ within a plausible range.
        self.cfg.model.sigma_db = fit.sigma_db.clamp(3.0, 12.0);
        self.offsets = sensors
            .iter()
            .zip(&fit.offsets_db)
            .map(|((id, _), b)| (id.clone(), *b))
            .collect();
        true
    }

    /// Localizes a suspect; whether its location changed notably.
    fn relocate(&mut self, key: &CellKey) -> bool {
        let now = self.now;
        if let Some(t) = self.tracks.get_mut(key) {
            t.last_located = Some(now);
        }
        let Some((frame, result, used)) = self.solve(key) else {
            return false;
        };
        let Some(s) = self.suspects.get_mut(key) else {
            return false;
        };
        match result {
            Ok(e) => {
                let (lat, lon) = frame.to_geo(e.pos);
                let loc = Location {
                    lat,
                    lon,
                    error_ellipse_m: e.ellipse.to_wire(),
                    method: "rss_ml".into(),
                    sensors_used: used as u32,
                };
                let moved = match &s.location {
                    None => true,
                    Some(old) => {
                        let d = crate::locate::geo::haversine_m((old.lat, old.lon), (lat, lon));
                        d > 0.1 * old.error_ellipse_m.major.max(10.0)
                            || (old.error_ellipse_m.major - loc.error_ellipse_m.major).abs()
                                > 0.2 * old.error_ellipse_m.major
                    }
                };
                s.location = Some(loc);
                s.not_localizable = None;
                moved
            }
            Err(why) => {
                let text = why.to_string();
                let changed =
                    s.location.is_some() || s.not_localizable.as_deref() != Some(text.as_str());
                // Keep a previous fix when the new readings are merely too few.
                if !matches!(why, NotLocalizable::TooFewSensors { .. }) || s.location.is_none() {
                    s.location = None;
                    s.not_localizable = Some(text);
                    changed
                } else {
                    false
                }
            }
        }
    }

    /// For a known cell: periodically localize it and check it has not moved.
    fn check_known_position(&mut self, obs: &Observation, key: &CellKey) -> Option<Finding> {
        let due = self.tracks.get(key).is_some_and(|t| {
            t.last_located
                .is_none_or(|l| obs.time.seconds_since(l) >= self.cfg.known_relocate_interval_s)
        });
        if !due {
            return None;
        }
        if let Some(t) = self.tracks.get_mut(key) {
            t.last_located = Some(obs.time);
        }
        let (frame, result, _) = self.solve(key)?;
        let e = result.ok()?;
        let (lat, lon) = frame.to_geo(e.pos);
        let kc = self.known.lookup(obs.rat, &obs.cell)?;
        if kc.lat.is_none() && kc.source == KnownCellSource::Learned {
            // Learn where the cell is.
            let mut c = kc.clone();
            c.lat = Some(lat);
            c.lon = Some(lon);
            c.range_m = Some(e.ellipse.major);
            c.updated = Some(obs.time);
            self.mark_dirty(obs);
            self.known.insert(c);
            return None;
        }
        clone::moved(obs.rat, kc, lat, lon, e.ellipse.major, obs.time)
    }

    fn mark_dirty(&mut self, obs: &Observation) {
        if let Some(k) = detect::global_key(obs.rat, &obs.cell) {
            if self.dirty_cells.len() < 100_000 {
                self.dirty_cells.push(k);
            }
        }
    }

    /// Learning and power profiles.
    fn learn(&mut self, obs: &Observation, power: Option<f64>, key: &CellKey) {
        if detect::global_key(obs.rat, &obs.cell).is_none() {
            return;
        }
        let is_suspect = self.suspects.contains_key(key);
        let known = self.known.lookup(obs.rat, &obs.cell).cloned();
        let mut cell = match known {
            Some(c) => c,
            None if self.cfg.learn && !is_suspect => KnownCell {
                rat: obs.rat,
                cell: obs.cell.clone(),
                lat: None,
                lon: None,
                range_m: None,
                samples: 0,
                source: KnownCellSource::Learned,
                average_signal_dbm: None,
                created: Some(obs.time),
                updated: Some(obs.time),
                profiles: Vec::new(),
            },
            None => return,
        };
        // Fill in the channel and physical identity an import lacks.
        if cell.cell.channel(obs.rat).is_none() || cell.cell.phy_id(obs.rat).is_none() {
            cell.cell = obs.cell.clone();
        }
        cell.samples = cell.samples.saturating_add(1);
        cell.updated = Some(obs.time);
        if let Some(p) = power {
            let n_profiles = cell.profiles.len();
            match cell
                .profiles
                .iter_mut()
                .find(|pp| pp.sensor_id == obs.sensor_id)
            {
                Some(pp) => {
                    // Welford's running mean and variance.
                    let n = pp.count as f64 + 1.0;
                    let d = p - pp.mean_dbm;
                    let mean = pp.mean_dbm + d / n;
                    let var = if n > 1.0 {
                        ((n - 2.0) * pp.std_db * pp.std_db + d * (p - mean)) / (n - 1.0)
                    } else {
                        0.0
                    };
                    pp.mean_dbm = mean;
                    pp.std_db = var.max(0.0).sqrt();
                    pp.count += 1;
                    pp.last_seen = Some(obs.time);
                }
                None if n_profiles < MAX_PROFILES => cell.profiles.push(PowerProfile {
                    sensor_id: obs.sensor_id.clone(),
                    count: 1,
                    mean_dbm: p,
                    std_db: 0.0,
                    last_seen: Some(obs.time),
                }),
                None => {}
            }
        }
        self.known.insert(cell);
        self.mark_dirty(obs);
    }
}

fn upsert_power(v: &mut Vec<SensorPower>, sensor: &str, p: f64, t: Timestamp) {
    if let Some(x) = v.iter_mut().find(|x| x.sensor_id == sensor) {
        x.power_dbm = p;
        x.time = t;
    } else if v.len() < MAX_SENSORS_PER_CELL {
        v.push(SensorPower {
            sensor_id: sensor.to_string(),
            power_dbm: p,
            time: t,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testutil::lte;
    use crate::locate::{sim, LocalFrame};

    #[test]
    fn rogue_cell_becomes_a_located_suspect_and_known_cells_do_not() {
        let model = PathLoss {
            exponent: 3.5,
            sigma_db: 6.0,
            height_m: 5.0,
            min_distance_m: 1.0,
        };
        let frame = LocalFrame::new(52.52, 13.40);
        let mut known = Knowledge::new();
        let legit = lte("x", 0, 6300, 1, ("262", "01"), 4021, 100, -80.0);
        known.insert(KnownCell {
            rat: legit.rat,
            cell: legit.cell.clone(),
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
        let mut e = Engine::new(
            EngineConfig {
                model,
                ..EngineConfig::default()
            },
            known,
        );
        let truth = [260.0, 310.0];
        let mut changed = Vec::new();
        for (i, s) in sim::grid(5, 5, 150.0).iter().enumerate() {
            let (lat, lon) = frame.to_geo(*s);
            let id = format!("lamp-{i:02}");
            let mut o = lte(
                &id,
                i as i64,
                6300,
                301,
                ("262", "01"),
                9999,
                77,
                model.mean_dbm(truth, -20.0, *s),
            );
            o.position = Some(towerwatch_models::Position::new(lat, lon));
            changed.extend(e.observe(&o));
            let mut l = lte(&id, i as i64, 6300, 1, ("262", "01"), 4021, 100, -80.0);
            l.position = o.position;
            assert!(e.observe(&l).is_empty(), "known cells raise nothing");
        }
        assert_eq!(e.suspects().count(), 1);
        let s = e.suspects().next().unwrap();
        assert_eq!(s.cell.tac, Some(9999));
        assert!(s.evidence.iter().any(|ev| ev.kind == "unknown_cell"));
        assert!(s.score >= 0.4);
        let loc = s.location.as_ref().expect("located");
        let p = frame.to_enu(loc.lat, loc.lon);
        assert!((p[0] - truth[0]).hypot(p[1] - truth[1]) < 1.0, "{p:?}");
        assert_eq!(loc.method, "rss_ml");
        assert!(!changed.is_empty());
        // The known cell's profile was learned at every sensor.
        let kc = e.known_cell(legit.rat, &legit.cell).unwrap();
        assert_eq!(kc.profiles.len(), 25);
        assert_eq!(kc.cell.earfcn, Some(6300));
    }

    #[test]
    fn calibration_from_known_cells_sets_exponent_and_offsets() {
        let frame = LocalFrame::new(52.52, 13.40);
        let truth = PathLoss {
            exponent: 3.0,
            sigma_db: 6.0,
            height_m: 5.0,
            min_distance_m: 1.0,
        };
        let mut known = Knowledge::new();
        let sensors = sim::grid(4, 4, 200.0);
        for (i, s) in sensors.iter().enumerate() {
            let (lat, lon) = frame.to_geo(*s);
            known.set_sensor(&format!("s{i}"), towerwatch_models::Position::new(lat, lon));
        }
        let sites = [
            [50.0, 80.0],
            [420.0, 90.0],
            [300.0, 500.0],
            [610.0, 610.0],
            [100.0, 450.0],
        ];
        for (k, site) in sites.iter().enumerate() {
            let (lat, lon) = frame.to_geo(*site);
            let profiles = sensors
                .iter()
                .enumerate()
                .map(|(i, s)| PowerProfile {
                    sensor_id: format!("s{i}"),
                    count: 50,
                    mean_dbm: truth.mean_dbm(*site, -15.0, *s) + if i == 5 { 4.0 } else { 0.0 },
                    std_db: 6.0,
                    last_seen: None,
                })
                .collect();
            let o = lte(
                "x",
                0,
                6300,
                k as u16,
                ("262", "01"),
                4021,
                100 + k as u64,
                -80.0,
            );
            known.insert(KnownCell {
                rat: o.rat,
                cell: o.cell,
                lat: Some(lat),
                lon: Some(lon),
                range_m: None,
                samples: 50,
                source: KnownCellSource::Imported,
                average_signal_dbm: None,
                created: None,
                updated: None,
                profiles,
            });
        }
        let mut e = Engine::new(EngineConfig::default(), known);
        assert_eq!(e.config().model.exponent, 3.5);
        assert!(e.recalibrate());
        assert!(
            (e.config().model.exponent - 3.0).abs() < 0.01,
            "{}",
            e.config().model.exponent
        );
        assert!(
            (e.offsets()["s5"] - (4.0 - 4.0 / 16.0)).abs() < 0.05,
            "{:?}",
            e.offsets()
        );
        assert!(e.offsets()["s0"].abs() < 0.5);
    }

    #[test]
    fn learning_mode_learns_cells_instead_of_suspecting_them() {
        let mut e = Engine::new(
            EngineConfig {
                learn: true,
                ..EngineConfig::default()
            },
            Knowledge::new(),
        );
        assert!(e
            .observe(&lte("a", 0, 6300, 1, ("262", "01"), 4021, 100, -80.0))
            .is_empty());
        assert!(e
            .observe(&lte("a", 1, 6300, 2, ("262", "01"), 4021, 101, -80.0))
            .is_empty());
        assert!(e
            .observe(&lte("b", 2, 6300, 1, ("262", "01"), 4021, 100, -80.0))
            .is_empty());
        assert_eq!(e.suspects().count(), 0);
        assert_eq!(e.knowledge().len(), 2);
        assert!(!e.take_dirty_cells().is_empty());
    }
}
