//! Scale benchmark (issues #10 and #8): a thousand simulated sensors publish
//! WIRE.md observations through an MQTT broker into one real collector,
//! started as a child process; rogue cells are injected at known instants.
//!
//! Reports the sustained ingest rate (observations/s counted as accepted by
//! the collector's `/metrics`, stored ones confirmed through
//! `/api/v1/observations`), publish-to-stored and publish-to-alert latency
//! (p50/p99), the collector's RSS (VmHWM/VmRSS of the child) and CPU use,
//! per phase: a field-rate phase, then rate steps up to "as fast as it goes".
//!
//! ```text
//! cargo build --release -p towerwatch-collector
//! cargo bench -p towerwatch --bench scale                         # embedded broker (rumqttd)
//! cargo bench -p towerwatch --bench scale -- --broker mosquitto   # external broker, MQTT 5 shared subscription
//! cargo bench -p towerwatch --bench scale -- --sensors 2000 --mode burst --rates 5000,10000,max --step-s 30
//! ```
//!
//! Flags (each also an environment variable `SCALE_<NAME>`, flags win):
//! `--sensors N` (1000), `--mode field|burst|both` (both), `--field-s S` (90),
//! `--rates R1,R2,…|max` (1000,2000,3000,5000,10000,20000,50000: aggregate
//! observations/s of the burst steps, stopping at the first step the collector
//! does not sustain; `max` publishes open-loop as fast as the generator can and
//! floods the broker's queue), `--step-s S` (20), `--drain-s S` (60: how long to
//! wait for the backlog after the last step), `--broker
//! embedded|mosquitto` (embedded), `--rogue-every-s S` (10; 0 = none), `--rogue-sensors K`
//! (6), `--probe-every-ms MS` (250), `--keep-going` (run every step even after
//! one was not sustained), `--collector PATH` (default
//! `target/release/towerwatch-collector`), `--seed N`.
//!
//! Connections: one MQTT connection per sensor (QoS 1, its own client id and
//! last will), as in the field: the broker's fan-in of connections is part of
//! what is measured. Everything (generator, broker, collector) shares this
//! machine's cores; the generator's and the broker's CPU are reported next to
//! the collector's so the numbers can be read for what they are.

use rumqttc::{AsyncClient, Event, LastWill, MqttOptions, Packet, QoS};
use std::collections::HashMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use towerwatch_models::topic::TopicKind;
use towerwatch_models::{Observation, Timestamp, Topic};

// ---- options ----------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Field,
    Burst,
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BrokerKind {
    Embedded,
    Mosquitto,
}

#[derive(Debug, Clone)]
struct Opts {
    sensors: usize,
    mode: Mode,
    field_s: f64,
    /// Aggregate observations/s per burst step; `None` = unthrottled.
    rates: Vec<Option<u64>>,
    step_s: f64,
    broker: BrokerKind,
    rogue_every_s: f64,
    rogue_sensors: usize,
    probe_every_ms: u64,
    keep_going: bool,
    drain_s: f64,
    collector: Option<PathBuf>,
    seed: u64,
}

fn parse_opts() -> Opts {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |name: &str| -> Option<String> {
        let flag = format!("--{name}");
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if *a == flag {
                return it.next().cloned();
            }
            if let Some(v) = a.strip_prefix(&format!("{flag}=")) {
                return Some(v.to_string());
            }
        }
        let env = format!("SCALE_{}", name.to_uppercase().replace('-', "_"));
        std::env::var(env).ok()
    };
    let num = |name: &str, default: f64| -> f64 {
        get(name).map_or(default, |v| {
            v.parse()
                .unwrap_or_else(|_| die(&format!("--{name} {v:?} is not a number")))
        })
    };
    let mode = match get("mode").as_deref() {
        None | Some("both") => Mode::Both,
        Some("field") => Mode::Field,
        Some("burst") => Mode::Burst,
        Some(m) => die(&format!("--mode {m:?}: field, burst or both")),
    };
    let broker = match get("broker").as_deref() {
        None | Some("embedded") => BrokerKind::Embedded,
        Some("mosquitto") => BrokerKind::Mosquitto,
        Some(b) => die(&format!("--broker {b:?}: embedded or mosquitto")),
    };
    let rates = get("rates")
        .unwrap_or_else(|| "1000,2000,3000,5000,10000,20000,50000".into())
        .split(',')
        .map(|r| match r.trim() {
            "max" => None,
            r => Some(
                r.parse::<u64>()
                    .ok()
                    .filter(|r| *r > 0)
                    .unwrap_or_else(|| die(&format!("--rates: {r:?}"))),
            ),
        })
        .collect();
    Opts {
        sensors: num("sensors", 1000.0).max(8.0) as usize,
        mode,
        field_s: num("field-s", 90.0),
        rates,
        step_s: num("step-s", 20.0),
        broker,
        rogue_every_s: num("rogue-every-s", 10.0),
        rogue_sensors: num("rogue-sensors", 6.0).max(4.0) as usize,
        probe_every_ms: num("probe-every-ms", 250.0).max(10.0) as u64,
        keep_going: args.iter().any(|a| a == "--keep-going")
            || std::env::var("SCALE_KEEP_GOING").is_ok(),
        drain_s: num("drain-s", 60.0),
        collector: get("collector").map(PathBuf::from),
        seed: num("seed", 1.0) as u64,
    }
}

fn die(msg: &str) -> ! {
    eprintln!("scale: {msg}");
    std::process::exit(2)
}

// ---- a small deterministic random source --------------------------------------

#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        // SplitMix64.
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    fn normal(&mut self) -> f64 {
        let u1 = self.uniform().max(1e-12);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

// ---- the simulated city -----------------------------------------------------------

const LAT0: f64 = 52.50;
const LON0: f64 = 13.35;
const REGION: &str = "default";
/// Received power at 1 m, dBm (LTE RSRP scale), and the path-loss exponent.
const LTE_P0_DBM: f64 = -15.0;
const GSM_P0_DBM: f64 = 0.0;
const EXPONENT: f64 = 3.5;
const SHADOWING_DB: f64 = 4.0;
const SENSOR_SPACING_M: f64 = 250.0;
const SITE_SPACING_M: f64 = 500.0;
const OPERATORS: [(&str, &str); 3] = [("262", "01"), ("262", "02"), ("262", "03")];
/// Per operator: two LTE carriers (band 20, band 3) and a GSM 900 ARFCN.
const LTE_EARFCN: [[u32; 2]; 3] = [[6300, 1300], [6200, 1500], [6400, 1700]];
const GSM_ARFCN: [u16; 3] = [10, 40, 70];

fn to_geo(x: f64, y: f64) -> (f64, f64) {
    let lat = LAT0 + y / 111_320.0;
    let lon = LON0 + x / (111_320.0 * LAT0.to_radians().cos());
    (lat, lon)
}

fn lte_freq_hz(earfcn: u32) -> u64 {
    let mhz_x10 = match earfcn {
        1200..=1949 => 18050 + (earfcn - 1200),
        _ => 7910 + (earfcn - 6150),
    };
    u64::from(mhz_x10) * 100_000
}

#[derive(Debug, Clone)]
struct Cell {
    gsm: bool,
    op: usize,
    x: f64,
    y: f64,
    channel: u32,
    phy: u16,
    area: u32,
    ci: u64,
    p0: f64,
}

#[derive(Debug, Clone)]
struct SensorSpec {
    id: String,
    x: f64,
    y: f64,
    /// Cells heard: index and mean received power.
    heard: Vec<(usize, f64)>,
}

#[derive(Debug)]
struct City {
    cells: Vec<Cell>,
    sensors: Vec<SensorSpec>,
    side_m: f64,
}

fn shadow(seed: u64, a: usize, b: usize) -> f64 {
    let mut r = Rng(seed ^ ((a as u64) << 32) ^ (b as u64).wrapping_mul(0x9e37_79b9));
    r.next_u64();
    SHADOWING_DB * r.normal()
}

fn path_power(p0: f64, dx: f64, dy: f64) -> f64 {
    let d = (dx * dx + dy * dy).sqrt().max(10.0);
    p0 - 10.0 * EXPONENT * d.log10()
}

fn build_city(n: usize, seed: u64) -> City {
    let cols = (n as f64).sqrt().ceil() as usize;
    let rows = n.div_ceil(cols);
    let side_m = (cols.max(rows) - 1) as f64 * SENSOR_SPACING_M;
    let mut rng = Rng(seed);
    let mut cells = Vec::new();
    let sites = (side_m / SITE_SPACING_M).ceil() as usize + 1;
    for sy in 0..sites {
        for sx in 0..sites {
            let site = sy * sites + sx;
            let op = site % 3;
            let x = sx as f64 * SITE_SPACING_M + rng.range(-60.0, 60.0);
            let y = sy as f64 * SITE_SPACING_M + rng.range(-60.0, 60.0);
            // Tracking/location areas: 2 km blocks per operator.
            let zone =
                (x / 2000.0).floor().max(0.0) as u32 + 16 * (y / 2000.0).floor().max(0.0) as u32;
            for sector in 0..3u32 {
                let gain = -6.0 * f64::from(sector) / 2.0;
                for (c, &earfcn) in LTE_EARFCN[op].iter().enumerate() {
                    cells.push(Cell {
                        gsm: false,
                        op,
                        x,
                        y,
                        channel: earfcn,
                        phy: ((site * 3 + sector as usize) % 504) as u16,
                        area: 1000 * (op as u32 + 1) + zone,
                        ci: ((10_000 + site as u64) << 8) | u64::from(sector * 4 + c as u32),
                        p0: LTE_P0_DBM + gain,
                    });
                }
                cells.push(Cell {
                    gsm: true,
                    op,
                    x,
                    y,
                    channel: u32::from(GSM_ARFCN[op]),
                    phy: ((site * 3 + sector as usize) % 64) as u16,
                    area: 100 * (op as u32 + 1) + zone,
                    ci: (site as u64 * 3 + u64::from(sector) + 1) % 0xffff,
                    p0: GSM_P0_DBM + gain,
                });
            }
        }
    }
    let mut sensors = Vec::with_capacity(n);
    for i in 0..n {
        let (x, y) = (
            (i % cols) as f64 * SENSOR_SPACING_M,
            (i / cols) as f64 * SENSOR_SPACING_M,
        );
        let mut heard: Vec<(usize, f64)> = cells
            .iter()
            .enumerate()
            .filter(|(_, c)| (c.x - x).abs() < 1500.0 && (c.y - y).abs() < 1500.0)
            .map(|(k, c)| (k, path_power(c.p0, c.x - x, c.y - y) + shadow(seed, i, k)))
            .filter(|(k, p)| *p > if cells[*k].gsm { -105.0 } else { -120.0 })
            .collect();
        heard.sort_by(|a, b| b.1.total_cmp(&a.1));
        heard.truncate(30);
        sensors.push(SensorSpec {
            id: format!("lamp-{i:05}"),
            x,
            y,
            heard,
        });
    }
    City {
        cells,
        sensors,
        side_m,
    }
}

fn cells_csv(city: &City) -> String {
    let mut s = String::from(
        "radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal\n",
    );
    for c in &city.cells {
        let (lat, lon) = to_geo(c.x, c.y);
        let (mcc, mnc) = OPERATORS[c.op];
        s.push_str(&format!(
            "{},{mcc},{},{},{},0,{lon:.6},{lat:.6},1000,50,1,1700000000,1700000000,0\n",
            if c.gsm { "GSM" } else { "LTE" },
            mnc.parse::<u32>().unwrap_or(1),
            c.area,
            c.ci
        ));
    }
    s
}

#[allow(clippy::too_many_arguments)]
fn observation_json(
    sensor: &SensorSpec,
    seq: u64,
    time: Timestamp,
    cell: &Cell,
    mcc: &str,
    mnc: &str,
    power: f64,
    sfn: u64,
) -> String {
    let (lat, lon) = to_geo(sensor.x, sensor.y);
    let time = serde_json::to_string(&time).unwrap_or_default();
    let head = format!(
        r#"{{"schema":1,"sensor_id":"{}","seq":{seq},"time":{time},"position":{{"lat":{lat:.6},"lon":{lon:.6},"alt_m":6.0,"source":"static"}},"#,
        sensor.id
    );
    if cell.gsm {
        format!(
            r#"{head}"rat":"gsm","cell":{{"arfcn":{},"bsic":{},"mcc":"{mcc}","mnc":"{mnc}","lac":{},"cell_identity":{}}},"measurement":{{"rxlev_dbm":{:.1}}},"anomalies":[]}}"#,
            cell.channel,
            cell.phy,
            cell.area,
            cell.ci,
            power.clamp(-110.0, -48.0)
        )
    } else {
        let other = if cell.channel >= 6000 { 1300 } else { 6300 };
        let band = if cell.channel >= 6000 { 20 } else { 3 };
        format!(
            r#"{head}"rat":"lte","center_freq_hz":{},"cell":{{"earfcn":{},"pci":{},"mcc":"{mcc}","mnc":"{mnc}","tac":{},"cell_identity":{}}},"measurement":{{"rsrp_dbm":{power:.1},"rsrq_db":{:.1},"sinr_db":{:.1},"cfo_hz":{:.1}}},"system_info":{{"mib":{{"nof_prb":50,"antenna_ports":2,"sfn":{},"phich_duration":"normal","phich_resource":"one"}},"sib1":{{"plmns":["{mcc}{mnc}"],"tac":{},"cell_identity":{},"cell_barred":false,"q_rx_lev_min_dbm":-124,"freq_band_indicator":{band}}},"sib3":{{"cell_reselection_priority":5}},"sib5":{{"carriers":[{{"earfcn":{other},"cell_reselection_priority":5}}]}}}},"anomalies":[]}}"#,
            lte_freq_hz(cell.channel),
            cell.channel,
            cell.phy,
            cell.area,
            cell.ci,
            (-10.0 + (power + 100.0) * 0.05).clamp(-19.5, -3.0),
            (power + 110.0).clamp(-5.0, 30.0),
            (seq % 400) as f64 - 200.0,
            sfn % 1024,
            cell.area,
            cell.ci,
        )
    }
}

fn rogue_cell(k: u64) -> Cell {
    Cell {
        gsm: false,
        op: 0,
        x: 0.0,
        y: 0.0,
        channel: 6300,
        phy: 400 + (k % 100) as u16,
        area: 9000 + (k % 1000) as u32,
        ci: 0xA0_0000 + k,
        p0: LTE_P0_DBM + 5.0,
    }
}

// ---- processes --------------------------------------------------------------------

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| die(&format!("no free port: {e}")))
}

fn collector_binary(opts: &Opts) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let path = opts.collector.clone().unwrap_or_else(|| {
        std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target"))
            .join("release/towerwatch-collector")
    });
    if !path.is_file() {
        die(&format!(
            "{} not found: build it first with\n\n    cargo build --release -p towerwatch-collector\n",
            path.display()
        ));
    }
    // Warn when the binary is older than the sources it is built from.
    let built = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
    let newest = ["collector/src", "models/src"]
        .iter()
        .flat_map(|d| walk(&root.join(d)))
        .filter_map(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
        .max();
    if let (Some(b), Some(n)) = (built, newest) {
        if n > b {
            eprintln!(
                "scale: WARNING {} is older than collector/ or models/ sources; rebuild with\n    cargo build --release -p towerwatch-collector",
                path.display()
            );
        }
    }
    path
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

fn dir_bytes(dir: &Path) -> u64 {
    walk(dir)
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

/// Child processes to kill if the benchmark is interrupted.
static CHILDREN: Mutex<Vec<u32>> = Mutex::new(Vec::new());

fn track(pid: u32) {
    CHILDREN.lock().unwrap_or_else(|p| p.into_inner()).push(pid);
}

/// A child process killed when dropped.
#[derive(Debug)]
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_mosquitto(dir: &Path, port: u16) -> Proc {
    let exe = ["mosquitto", "/usr/sbin/mosquitto", "/usr/bin/mosquitto"]
        .iter()
        .find(|p| {
            Command::new(p)
                .arg("-h")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok()
        })
        .unwrap_or_else(|| die("mosquitto not found: apt-get install -y mosquitto"));
    let conf = dir.join("mosquitto.conf");
    let text = format!(
        "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n\
         max_queued_messages 0\nmax_inflight_messages 1000\nmax_packet_size 263168\n\
         connection_messages false\nlog_type error\nlog_dest stderr\n"
    );
    std::fs::write(&conf, text).unwrap_or_else(|e| die(&format!("write {conf:?}: {e}")));
    let log = std::fs::File::create(dir.join("mosquitto.log"))
        .unwrap_or_else(|e| die(&format!("mosquitto log: {e}")));
    let child = Command::new(exe)
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| die(&format!("start mosquitto: {e}")));
    track(child.id());
    let p = Proc(child);
    wait_port(port, "mosquitto");
    p
}

fn wait_port(port: u16, what: &str) {
    let t = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if t.elapsed() > Duration::from_secs(20) {
            die(&format!("{what} did not listen on port {port}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `utime + stime` in clock ticks, or 0.
fn cpu_ticks(stat_path: &str) -> u64 {
    let Ok(s) = std::fs::read_to_string(stat_path) else {
        return 0;
    };
    let Some(rest) = s.rfind(')').map(|i| &s[i + 2..]) else {
        return 0;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    // Fields 14 and 15 of stat; `rest` starts at field 3.
    let g = |i: usize| {
        f.get(i - 3)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    g(14) + g(15)
}

/// Per-thread CPU ticks of `pid`, summed by thread name.
fn thread_ticks(pid: u32) -> HashMap<String, u64> {
    let mut out = HashMap::new();
    if let Ok(rd) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for e in rd.flatten() {
            let p = e.path();
            let name = std::fs::read_to_string(p.join("comm"))
                .map(|s| s.trim().to_string())
                .unwrap_or_default();
            let t = cpu_ticks(&p.join("stat").to_string_lossy());
            *out.entry(name).or_insert(0) += t;
        }
    }
    out
}

fn proc_status_kb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn clk_tck() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

// ---- HTTP (a minimal GET for the collector's API) ----------------------------------

async fn http_get(addr: SocketAddr, path: &str) -> Result<(u16, String), String> {
    let fut = async {
        let mut s = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| e.to_string())?;
        s.write_all(
            format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .map_err(|e| e.to_string())?;
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await.map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&buf).into_owned();
        let (head, body) = text
            .split_once("\r\n\r\n")
            .ok_or_else(|| "no header end".to_string())?;
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse::<u16>().ok())
            .ok_or_else(|| "no status".to_string())?;
        let chunked = head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked");
        let body = if chunked {
            dechunk(body)
        } else {
            body.to_string()
        };
        Ok((status, body))
    };
    tokio::time::timeout(Duration::from_secs(30), fut)
        .await
        .map_err(|_| "timeout".to_string())?
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((len, rest)) = s.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(len.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Sum of a Prometheus counter's samples whose labels contain `label`.
fn prom_sum(text: &str, name: &str, label: &str) -> u64 {
    text.lines()
        .filter(|l| l.starts_with(name) && (label.is_empty() || l.contains(label)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

// ---- the load ---------------------------------------------------------------------

/// Interval value meaning "field rates": each sensor runs its own scan cycle.
const FIELD: u64 = u64::MAX - 1;
/// Interval value meaning "publish nothing".
const IDLE: u64 = u64::MAX;

#[derive(Debug)]
struct Sensor {
    spec: SensorSpec,
    client: AsyncClient,
    topic: String,
    seq: AtomicU64,
    probe: AtomicBool,
    connected: AtomicBool,
}

#[derive(Debug, Clone)]
struct Probe {
    sensor: usize,
    seq: u64,
    time: Timestamp,
    t0: Instant,
    phase: usize,
}

#[derive(Debug, Clone)]
struct Rogue {
    t0: Instant,
    phase: usize,
    alert: Option<Duration>,
    located: Option<Duration>,
    score: f64,
    kinds: Vec<String>,
}

#[derive(Debug)]
struct Ctx {
    city: City,
    sensors: Vec<Arc<Sensor>>,
    /// Per-sensor publish interval in µs, or [`FIELD`] / [`IDLE`]; 0 = unthrottled.
    interval_us: AtomicU64,
    phase: AtomicUsize,
    stop: AtomicBool,
    published: AtomicU64,
    status_published: AtomicU64,
    puback: AtomicU64,
    connected: AtomicUsize,
    probe_tx: mpsc::UnboundedSender<Probe>,
    stored: Mutex<Vec<(usize, Option<Duration>)>>,
    rogues: Mutex<HashMap<u64, Rogue>>,
    alerts_other: AtomicU64,
    alerts_total: AtomicU64,
    http: SocketAddr,
    seed: u64,
}

fn status_json(s: &SensorSpec, state: &str, seq: u64, t0: Instant) -> String {
    let (lat, lon) = to_geo(s.x, s.y);
    let time = serde_json::to_string(&Timestamp::now()).unwrap_or_default();
    format!(
        r#"{{"schema":1,"sensor_id":"{}","state":"{state}","time":{time},"position":{{"lat":{lat:.6},"lon":{lon:.6},"alt_m":6.0,"source":"static"}},"version":"scale-bench","uptime_s":{:.1},"radio":"simulated","last_seq":{seq},"outbox_len":0}}"#,
        s.id,
        t0.elapsed().as_secs_f64()
    )
}

fn connect_sensor(ctx_id: usize, spec: SensorSpec, port: u16) -> (Sensor, rumqttc::EventLoop) {
    let status = Topic::sensor(TopicKind::Status, REGION, &spec.id)
        .unwrap_or_else(|e| die(&format!("topic: {e}")))
        .to_string();
    let topic = Topic::sensor(TopicKind::Observations, REGION, &spec.id)
        .unwrap_or_else(|e| die(&format!("topic: {e}")))
        .to_string();
    let mut o = MqttOptions::new(spec.id.clone(), "127.0.0.1", port);
    o.set_keep_alive(Duration::from_secs(60));
    o.set_inflight(100);
    o.set_max_packet_size(300 * 1024, 300 * 1024);
    o.set_last_will(LastWill::new(
        status,
        format!(
            r#"{{"schema":1,"sensor_id":"{}","state":"offline"}}"#,
            spec.id
        ),
        QoS::AtLeastOnce,
        true,
    ));
    let (client, el) = AsyncClient::new(o, 64);
    let _ = ctx_id;
    (
        Sensor {
            spec,
            client,
            topic,
            seq: AtomicU64::new(1),
            probe: AtomicBool::new(false),
            connected: AtomicBool::new(false),
        },
        el,
    )
}

async fn drive(ctx: Arc<Ctx>, idx: usize, mut el: rumqttc::EventLoop) {
    loop {
        match el.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                if !ctx.sensors[idx].connected.swap(true, Ordering::SeqCst) {
                    ctx.connected.fetch_add(1, Ordering::SeqCst);
                }
            }
            Ok(Event::Incoming(Packet::PubAck(_))) => {
                ctx.puback.fetch_add(1, Ordering::Relaxed);
            }
            Ok(_) => {}
            Err(e) => {
                if ctx.stop.load(Ordering::Relaxed) {
                    return;
                }
                eprintln!("scale: {}: {e}; reconnecting", ctx.sensors[idx].spec.id);
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

async fn publish_obs(ctx: &Ctx, s: &Sensor, cell: &Cell, power: f64, mcc: &str, mnc: &str) {
    let seq = s.seq.fetch_add(1, Ordering::Relaxed);
    let time = Timestamp::now();
    let sfn = (time.unix_ms() / 10) as u64;
    let payload = observation_json(&s.spec, seq, time, cell, mcc, mnc, power, sfn);
    let probe = s.probe.swap(false, Ordering::Relaxed);
    let t0 = Instant::now();
    if s.client
        .publish(s.topic.as_str(), QoS::AtLeastOnce, false, payload)
        .await
        .is_ok()
    {
        ctx.published.fetch_add(1, Ordering::Relaxed);
        if probe {
            let idx = ctx
                .sensors
                .iter()
                .position(|x| std::ptr::eq(x.as_ref(), s))
                .unwrap_or(0);
            let _ = ctx.probe_tx.send(Probe {
                sensor: idx,
                seq,
                time,
                t0,
                phase: ctx.phase.load(Ordering::Relaxed),
            });
        }
    }
}

async fn sensor_task(ctx: Arc<Ctx>, idx: usize) {
    let s = ctx.sensors[idx].clone();
    let mut rng = Rng(ctx.seed ^ (idx as u64 + 1).wrapping_mul(0x2545_f491_4f6c_dd1d));
    let started = Instant::now();
    while !s.connected.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let publish_status = |state: &'static str| {
        let s = s.clone();
        let ctx = ctx.clone();
        async move {
            let st = Topic::sensor(TopicKind::Status, REGION, &s.spec.id)
                .map(|t| t.to_string())
                .unwrap_or_default();
            let body = status_json(&s.spec, state, s.seq.load(Ordering::Relaxed), started);
            if s.client
                .publish(st, QoS::AtLeastOnce, true, body)
                .await
                .is_ok()
            {
                ctx.status_published.fetch_add(1, Ordering::Relaxed);
            }
        }
    };
    publish_status("online").await;
    let mut last_status = Instant::now();
    let heard = &s.spec.heard;
    if heard.is_empty() {
        return;
    }
    // Field schedule: a cycle of 30–60 s with 10–30 cells.
    let mut order: Vec<usize> = (0..heard.len()).collect();
    let mut pos = 0usize;
    let mut cycle_n = 0usize;
    let mut field_interval = Duration::from_secs(2);
    let mut next = tokio::time::Instant::now() + Duration::from_millis(rng.below(3000) as u64);
    let mut last_mode = IDLE;
    while !ctx.stop.load(Ordering::Relaxed) {
        let mode = ctx.interval_us.load(Ordering::Relaxed);
        if mode != last_mode {
            // Spread the sensors' phases when the rate changes.
            let spread = match mode {
                IDLE | 0 => 0,
                FIELD => 3_000_000,
                us => us,
            };
            next = tokio::time::Instant::now()
                + Duration::from_micros(rng.below(spread.max(1) as usize) as u64);
            last_mode = mode;
        }
        if mode == IDLE {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        if last_status.elapsed() > Duration::from_secs(60) {
            publish_status("online").await;
            last_status = Instant::now();
        }
        if mode != 0 {
            tokio::time::sleep_until(next).await;
            let now = tokio::time::Instant::now();
            let step = if mode == FIELD {
                field_interval
            } else {
                Duration::from_micros(mode)
            };
            next += step;
            if next + Duration::from_secs(1) < now {
                next = now; // fell behind: do not burst to catch up
            }
        }
        if pos >= cycle_n.max(1) || pos >= order.len() {
            // A new scan cycle: reshuffle, pick how many cells this cycle hears.
            for i in (1..order.len()).rev() {
                order.swap(i, rng.below(i + 1));
            }
            cycle_n = (10 + rng.below(21)).min(order.len());
            let cycle_s = rng.range(30.0, 60.0);
            field_interval = Duration::from_secs_f64(cycle_s / cycle_n as f64);
            pos = 0;
        }
        let (k, mean) = heard[order[pos]];
        pos += 1;
        let cell = &ctx.city.cells[k];
        let (mcc, mnc) = OPERATORS[cell.op];
        let power = mean + 2.0 * rng.normal();
        publish_obs(&ctx, &s, cell, power, mcc, mnc).await;
    }
}

/// Every `every`, `k` sensors nearest a random point hear a new rogue LTE
/// cell (test PLMN 001-01, unknown identity, its own TAC) at the same instant.
async fn rogue_task(ctx: Arc<Ctx>, every: Duration, k: usize) {
    let mut rng = Rng(ctx.seed ^ 0x005e_ed0f_709e);
    let mut n: u64 = 0;
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    loop {
        tick.tick().await;
        if ctx.stop.load(Ordering::Relaxed) {
            return;
        }
        if ctx.interval_us.load(Ordering::Relaxed) == IDLE {
            continue;
        }
        n += 1;
        let side = ctx.city.side_m;
        let (rx, ry) = (
            rng.range(0.15 * side, 0.85 * side),
            rng.range(0.15 * side, 0.85 * side),
        );
        let mut near: Vec<(f64, usize)> = ctx
            .sensors
            .iter()
            .enumerate()
            .map(|(i, s)| ((s.spec.x - rx).hypot(s.spec.y - ry), i))
            .collect();
        near.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut cell = rogue_cell(n);
        cell.x = rx;
        cell.y = ry;
        let t0 = Instant::now();
        ctx.rogues.lock().unwrap_or_else(|p| p.into_inner()).insert(
            cell.ci,
            Rogue {
                t0,
                phase: ctx.phase.load(Ordering::Relaxed),
                alert: None,
                located: None,
                score: 0.0,
                kinds: Vec::new(),
            },
        );
        for &(_, i) in near.iter().take(k) {
            let s = &ctx.sensors[i];
            let power = (path_power(cell.p0, s.spec.x - rx, s.spec.y - ry)
                + SHADOWING_DB * rng.normal())
            .max(-118.0);
            publish_obs(&ctx, s, &cell, power, "001", "01").await;
        }
    }
}

async fn alert_task(ctx: Arc<Ctx>, port: u16) {
    let mut o = MqttOptions::new("scale-bench-alerts", "127.0.0.1", port);
    o.set_keep_alive(Duration::from_secs(30));
    o.set_max_packet_size(1 << 20, 1 << 20);
    let (client, mut el) = AsyncClient::new(o, 16);
    let topic = Topic::alerts(REGION)
        .map(|t| t.to_string())
        .unwrap_or_default();
    loop {
        match el.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                let _ = client.try_subscribe(topic.clone(), QoS::AtLeastOnce);
            }
            Ok(Event::Incoming(Packet::Publish(p))) => {
                let at = Instant::now();
                ctx.alerts_total.fetch_add(1, Ordering::Relaxed);
                let Ok(v) = serde_json::from_slice::<serde_json::Value>(&p.payload) else {
                    continue;
                };
                let mcc = v["cell"]["mcc"].as_str().unwrap_or("");
                let ci = v["cell"]["cell_identity"].as_u64().unwrap_or(0);
                if mcc != "001" {
                    ctx.alerts_other.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                let mut rogues = ctx.rogues.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(r) = rogues.get_mut(&ci) {
                    let dt = at.duration_since(r.t0);
                    r.alert.get_or_insert(dt);
                    if v["location"].is_object() {
                        r.located.get_or_insert(dt);
                    }
                    r.score = v["score"].as_f64().unwrap_or(0.0);
                    r.kinds = v["evidence"]
                        .as_array()
                        .map(|a| {
                            let mut k: Vec<String> = a
                                .iter()
                                .filter_map(|e| e["kind"].as_str().map(String::from))
                                .collect();
                            k.sort();
                            k.dedup();
                            k
                        })
                        .unwrap_or_default();
                }
            }
            Ok(_) => {}
            Err(e) => {
                if ctx.stop.load(Ordering::Relaxed) {
                    return;
                }
                eprintln!("scale: alert subscriber: {e}");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

/// Marks one random sensor's next observation as a probe, every `every`.
async fn probe_marker(ctx: Arc<Ctx>, every: Duration) {
    let mut rng = Rng(ctx.seed ^ 0x009e_0be5);
    let mut tick = tokio::time::interval(every);
    while !ctx.stop.load(Ordering::Relaxed) {
        tick.tick().await;
        if ctx.interval_us.load(Ordering::Relaxed) == IDLE {
            continue;
        }
        let i = rng.below(ctx.sensors.len());
        ctx.sensors[i].probe.store(true, Ordering::Relaxed);
    }
}

/// Polls the API until each probe observation is visible in the store.
async fn probe_poller(ctx: Arc<Ctx>, mut rx: mpsc::UnboundedReceiver<Probe>) {
    while let Some(p) = rx.recv().await {
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let id = &ctx.sensors[p.sensor].spec.id;
            let since = serde_json::to_string(&p.time).unwrap_or_default();
            let path = format!(
                "/api/v1/observations?sensor_id={id}&since={}&limit=50",
                since.trim_matches('"')
            );
            let found = loop {
                if let Ok((200, body)) = http_get(ctx.http, &path).await {
                    let hit = serde_json::from_str::<Vec<Observation>>(&body)
                        .map(|v| v.iter().any(|o| o.seq == p.seq))
                        .unwrap_or(false);
                    if hit {
                        break Some(p.t0.elapsed());
                    }
                }
                let e = p.t0.elapsed();
                if e > Duration::from_secs(180) {
                    break None;
                }
                // Poll error below 5 % of the latency, at least every 20 ms.
                tokio::time::sleep((e / 20).max(Duration::from_millis(20))).await;
            };
            ctx.stored
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((p.phase, found));
        });
    }
}

// ---- sampling and the report ----------------------------------------------------

#[derive(Debug, Clone, Default)]
struct Sample {
    t: f64,
    published: u64,
    puback: u64,
    accepted: u64,
    rejected: u64,
    collector_ticks: u64,
    broker_ticks: u64,
    self_ticks: u64,
    rss_kb: u64,
    hwm_kb: u64,
    threads: HashMap<String, u64>,
}

async fn sample(ctx: &Ctx, start: Instant, collector: u32, broker: Option<u32>) -> Sample {
    let (accepted, rejected) = match http_get(ctx.http, "/metrics").await {
        Ok((200, m)) => (
            prom_sum(
                &m,
                "towerwatch_collector_messages_accepted_total",
                "kind=\"observations\"",
            ),
            prom_sum(&m, "towerwatch_collector_messages_rejected_total", ""),
        ),
        _ => (0, 0),
    };
    Sample {
        t: start.elapsed().as_secs_f64(),
        published: ctx.published.load(Ordering::Relaxed),
        puback: ctx.puback.load(Ordering::Relaxed),
        accepted,
        rejected,
        collector_ticks: cpu_ticks(&format!("/proc/{collector}/stat")),
        broker_ticks: broker.map_or(0, |b| cpu_ticks(&format!("/proc/{b}/stat"))),
        self_ticks: cpu_ticks("/proc/self/stat"),
        rss_kb: proc_status_kb(collector, "VmRSS:"),
        hwm_kb: proc_status_kb(collector, "VmHWM:"),
        threads: thread_ticks(collector),
    }
}

#[derive(Debug, Clone)]
struct PhaseResult {
    name: String,
    offered: Option<u64>,
    secs: f64,
    published_rate: f64,
    accepted_rate: f64,
    backlog_end: i64,
    collector_cores: f64,
    broker_cores: f64,
    generator_cores: f64,
    rss_mb: f64,
    hwm_mb: f64,
    threads: Vec<(String, f64)>,
}

fn phase_result(
    name: &str,
    offered: Option<u64>,
    a: &Sample,
    b: &Sample,
    tck: f64,
    embedded: bool,
) -> PhaseResult {
    let dt = (b.t - a.t).max(1e-3);
    let cores = |x: u64, y: u64| (y.saturating_sub(x)) as f64 / tck / dt;
    let mut threads: HashMap<String, f64> = HashMap::new();
    for (k, v) in &b.threads {
        let before = a.threads.get(k).copied().unwrap_or(0);
        // Group tokio's numbered and rumqttd's threads by name.
        *threads.entry(k.clone()).or_insert(0.0) += cores(before, *v);
    }
    let mut threads: Vec<(String, f64)> = threads.into_iter().filter(|t| t.1 > 0.005).collect();
    threads.sort_by(|x, y| y.1.total_cmp(&x.1));
    let _ = embedded;
    PhaseResult {
        name: name.to_string(),
        offered,
        secs: dt,
        published_rate: (b.published - a.published) as f64 / dt,
        accepted_rate: b.accepted.saturating_sub(a.accepted) as f64 / dt,
        backlog_end: b.published as i64 - b.accepted as i64,
        collector_cores: cores(a.collector_ticks, b.collector_ticks),
        broker_cores: cores(a.broker_ticks, b.broker_ticks),
        generator_cores: cores(a.self_ticks, b.self_ticks),
        rss_mb: b.rss_kb as f64 / 1024.0,
        hwm_mb: b.hwm_kb as f64 / 1024.0,
        threads,
    }
}

fn percentile(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let i = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
    v[i]
}

fn ms(d: f64) -> String {
    if d.is_nan() {
        "–".into()
    } else {
        format!("{:.0}", d * 1000.0)
    }
}

// ---- main ---------------------------------------------------------------------------

fn main() {
    let opts = parse_opts();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| die(&format!("runtime: {e}")));
    rt.spawn(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            for pid in CHILDREN.lock().unwrap_or_else(|p| p.into_inner()).iter() {
                let _ = Command::new("kill").arg(pid.to_string()).status();
            }
            eprintln!("scale: interrupted");
            std::process::exit(130);
        }
    });
    rt.block_on(run(opts));
}

async fn run(opts: Opts) {
    let exe = collector_binary(&opts);
    let tck = clk_tck();
    let tmp = tempfile::Builder::new()
        .prefix("towerwatch-scale-")
        .tempdir()
        .unwrap_or_else(|e| die(&format!("tempdir: {e}")));
    let data = tmp.path().join("data");

    // The city, its known cells imported into the collector's store.
    let t_city = Instant::now();
    let city = build_city(opts.sensors, opts.seed);
    let heard: Vec<usize> = city.sensors.iter().map(|s| s.heard.len()).collect();
    let csv = tmp.path().join("cells.csv");
    std::fs::write(&csv, cells_csv(&city)).unwrap_or_else(|e| die(&format!("csv: {e}")));
    let out = Command::new(&exe)
        .arg("import-cells")
        .arg("--data-dir")
        .arg(&data)
        .arg(&csv)
        .output()
        .unwrap_or_else(|e| die(&format!("import-cells: {e}")));
    if !out.status.success() {
        die(&format!(
            "import-cells failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    // Every payload kind the generator writes must pass the collector's validation.
    for (i, c) in [0usize, 2].iter().enumerate() {
        let j = observation_json(
            &city.sensors[0],
            i as u64,
            Timestamp::now(),
            &city.cells[*c],
            "262",
            "01",
            -90.0,
            0,
        );
        if let Err(e) = Observation::from_json_slice(j.as_bytes()) {
            die(&format!("generated observation is invalid: {e}\n{j}"));
        }
    }
    println!(
        "city: {} sensors on a {:.1} km square ({} m spacing), {} known cells ({} sites × 3 sectors × 2 LTE + 1 GSM), \
         each sensor hears {}–{} cells (built in {:.1} s)",
        city.sensors.len(),
        city.side_m / 1000.0,
        SENSOR_SPACING_M,
        city.cells.len(),
        city.cells.len() / 9,
        heard.iter().min().unwrap_or(&0),
        heard.iter().max().unwrap_or(&0),
        t_city.elapsed().as_secs_f64()
    );

    // Broker and collector.
    let mqtt_port = free_port();
    let http_port = free_port();
    let mut args: Vec<String> = vec![
        "run".into(),
        "--data-dir".into(),
        data.display().to_string(),
        "--http-listen".into(),
        format!("127.0.0.1:{http_port}"),
    ];
    let mosquitto = match opts.broker {
        BrokerKind::Embedded => {
            args.push("--mqtt-listen".into());
            args.push(format!("127.0.0.1:{mqtt_port}"));
            None
        }
        BrokerKind::Mosquitto => {
            let m = start_mosquitto(tmp.path(), mqtt_port);
            args.push("--mqtt-url".into());
            args.push(format!("mqtt://127.0.0.1:{mqtt_port}"));
            Some(m)
        }
    };
    let log_path = tmp.path().join("collector.log");
    let log = std::fs::File::create(&log_path).unwrap_or_else(|e| die(&format!("log: {e}")));
    let log2 = log
        .try_clone()
        .unwrap_or_else(|e| die(&format!("log: {e}")));
    let collector = Proc(
        Command::new(&exe)
            .args(&args)
            .env(
                "RUST_LOG",
                std::env::var("SCALE_COLLECTOR_LOG")
                    .unwrap_or_else(|_| "warn,rumqttd=error".into()),
            )
            .stdout(log)
            .stderr(log2)
            .spawn()
            .unwrap_or_else(|e| die(&format!("start collector: {e}"))),
    );
    let cpid = collector.0.id();
    track(cpid);
    let bpid = mosquitto.as_ref().map(|m| m.0.id());
    let http: SocketAddr = ([127, 0, 0, 1], http_port).into();
    let t_up = Instant::now();
    loop {
        if let Ok((200, _)) = http_get(http, "/healthz").await {
            break;
        }
        if t_up.elapsed() > Duration::from_secs(60) {
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            die(&format!(
                "collector not healthy after 60 s; its log:\n{log}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "collector pid {cpid}: {} {} (ready in {:.1} s); broker: {}",
        exe.display(),
        args.join(" "),
        t_up.elapsed().as_secs_f64(),
        match opts.broker {
            BrokerKind::Embedded => "embedded rumqttd (in the collector process)".to_string(),
            BrokerKind::Mosquitto => format!("mosquitto pid {}", bpid.unwrap_or(0)),
        }
    );

    // Sensors: one MQTT connection each.
    let (probe_tx, probe_rx) = mpsc::unbounded_channel();
    let mut loops = Vec::new();
    let mut sensors = Vec::new();
    for (i, spec) in city.sensors.iter().enumerate() {
        let (s, el) = connect_sensor(i, spec.clone(), mqtt_port);
        sensors.push(Arc::new(s));
        loops.push(el);
    }
    let ctx = Arc::new(Ctx {
        city,
        sensors,
        interval_us: AtomicU64::new(IDLE),
        phase: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
        published: AtomicU64::new(0),
        status_published: AtomicU64::new(0),
        puback: AtomicU64::new(0),
        connected: AtomicUsize::new(0),
        probe_tx,
        stored: Mutex::new(Vec::new()),
        rogues: Mutex::new(HashMap::new()),
        alerts_other: AtomicU64::new(0),
        alerts_total: AtomicU64::new(0),
        http,
        seed: opts.seed,
    });
    tokio::spawn(alert_task(ctx.clone(), mqtt_port));
    let t_conn = Instant::now();
    for (i, el) in loops.into_iter().enumerate() {
        tokio::spawn(drive(ctx.clone(), i, el));
        tokio::spawn(sensor_task(ctx.clone(), i));
        if i % 50 == 49 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    while ctx.connected.load(Ordering::SeqCst) < ctx.sensors.len() {
        if t_conn.elapsed() > Duration::from_secs(120) {
            die(&format!(
                "only {} of {} sensors connected after 120 s",
                ctx.connected.load(Ordering::SeqCst),
                ctx.sensors.len()
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "{} sensors connected in {:.1} s (one MQTT connection each, QoS 1, retained status + last will)",
        ctx.sensors.len(),
        t_conn.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    tokio::spawn(probe_marker(
        ctx.clone(),
        Duration::from_millis(opts.probe_every_ms),
    ));
    tokio::spawn(probe_poller(ctx.clone(), probe_rx));
    if opts.rogue_every_s > 0.0 {
        tokio::spawn(rogue_task(
            ctx.clone(),
            Duration::from_secs_f64(opts.rogue_every_s),
            opts.rogue_sensors,
        ));
    }

    // Phases.
    let start = Instant::now();
    let mut phases: Vec<(String, Option<u64>, f64)> = Vec::new();
    if opts.mode != Mode::Burst {
        phases.push(("field".into(), None, opts.field_s));
    }
    if opts.mode != Mode::Field {
        for r in &opts.rates {
            let name = r.map_or("max".to_string(), |r| format!("{r}/s"));
            phases.push((name, *r, opts.step_s));
        }
    }
    let mut results = Vec::new();
    let warmup: f64 = 3.0;
    for (pi, (name, rate, secs)) in phases.iter().enumerate() {
        ctx.phase.store(pi, Ordering::SeqCst);
        let us = if name == "field" {
            FIELD
        } else {
            match rate {
                Some(r) => (ctx.sensors.len() as u64 * 1_000_000 / r).max(1),
                None => 0,
            }
        };
        ctx.interval_us.store(us, Ordering::SeqCst);
        println!("phase {name}: {secs:.0} s …");
        tokio::time::sleep(Duration::from_secs_f64(warmup.min(secs / 4.0))).await;
        let a = sample(&ctx, start, cpid, bpid).await;
        tokio::time::sleep(Duration::from_secs_f64(secs - warmup.min(secs / 4.0))).await;
        let b = sample(&ctx, start, cpid, bpid).await;
        let r = phase_result(name, *rate, &a, &b, tck, bpid.is_none());
        println!(
            "  published {:.0}/s, accepted {:.0}/s, backlog {} at end, collector {:.2} cores, RSS {:.0} MB",
            r.published_rate, r.accepted_rate, r.backlog_end, r.collector_cores, r.rss_mb
        );
        let sustained = r.accepted_rate >= 0.9 * r.published_rate
            && (r.backlog_end as f64) < 2.0 * r.published_rate.max(100.0);
        results.push(r);
        if name != "field" && !sustained && !opts.keep_going {
            println!("  not sustained: stopping the rate steps");
            break;
        }
    }
    ctx.interval_us.store(IDLE, Ordering::SeqCst);
    ctx.phase.store(usize::MAX, Ordering::SeqCst);

    // Drain: wait until everything published is accepted (or no progress for 15 s).
    let t_drain = Instant::now();
    let mut last = (0u64, Instant::now());
    let end_sample = loop {
        let s = sample(&ctx, start, cpid, bpid).await;
        if s.accepted + s.rejected >= s.published {
            break s;
        }
        if t_drain.elapsed().as_secs_f64() > opts.drain_s {
            println!(
                "  drain incomplete after {:.0} s: {} published, {} accepted",
                opts.drain_s, s.published, s.accepted
            );
            break s;
        }
        if s.accepted != last.0 {
            last = (s.accepted, Instant::now());
        } else if last.1.elapsed() > Duration::from_secs(15) {
            println!(
                "  drain stalled: {} published, {} accepted",
                s.published, s.accepted
            );
            break s;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let drain_s = t_drain.elapsed().as_secs_f64();
    // Let probes and alerts of the tail arrive.
    tokio::time::sleep(Duration::from_secs(3)).await;

    // Final state from the API.
    let suspects: Vec<serde_json::Value> = match http_get(http, "/api/v1/suspects").await {
        Ok((200, b)) => serde_json::from_str(&b).unwrap_or_default(),
        _ => Vec::new(),
    };
    let false_pos = suspects
        .iter()
        .filter(|s| s["cell"]["mcc"].as_str() != Some("001"))
        .count();
    let metrics = http_get(http, "/metrics")
        .await
        .map(|(_, m)| m)
        .unwrap_or_default();
    let rejected_lines: Vec<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("towerwatch_collector_messages_rejected_total"))
        .collect();
    let status_accepted = prom_sum(
        &metrics,
        "towerwatch_collector_messages_accepted_total",
        "kind=\"status\"",
    );
    let hwm = proc_status_kb(cpid, "VmHWM:");
    let rss = proc_status_kb(cpid, "VmRSS:");
    let broker_hwm = bpid.map_or(0, |b| proc_status_kb(b, "VmHWM:"));
    let gen_hwm = proc_status_kb(std::process::id(), "VmHWM:");
    let disk = dir_bytes(&data);
    ctx.stop.store(true, Ordering::SeqCst);

    // ---- report ----
    let n = ctx.sensors.len();
    println!("\n## Scale benchmark report");
    println!(
        "\nmachine: {} logical CPUs (shared with other builds), broker: {}, {} sensors, one MQTT connection each",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        match opts.broker {
            BrokerKind::Embedded => "embedded rumqttd",
            BrokerKind::Mosquitto => "mosquitto (collector via --mqtt-url, MQTT 5 $share/collectors/…)",
        },
        n
    );
    println!("\n| phase | offered obs/s | published obs/s | accepted (stored) obs/s | backlog at end | collector CPU (cores) | broker CPU | generator CPU | collector RSS / peak MB | stored p50/p99 ms (n) | alert p50/p99 ms (n) | located p50/p99 ms (n) |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    let stored = ctx.stored.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let rogues: Vec<Rogue> = ctx
        .rogues
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .values()
        .cloned()
        .collect();
    for (pi, r) in results.iter().enumerate() {
        let mut st: Vec<f64> = stored
            .iter()
            .filter(|(p, d)| *p == pi && d.is_some())
            .filter_map(|(_, d)| d.map(|d| d.as_secs_f64()))
            .collect();
        let lost = stored
            .iter()
            .filter(|(p, d)| *p == pi && d.is_none())
            .count();
        let mut al: Vec<f64> = rogues
            .iter()
            .filter(|x| x.phase == pi)
            .filter_map(|x| x.alert.map(|d| d.as_secs_f64()))
            .collect();
        let n_rogues = rogues.iter().filter(|x| x.phase == pi).count();
        let mut lo: Vec<f64> = rogues
            .iter()
            .filter(|x| x.phase == pi)
            .filter_map(|x| x.located.map(|d| d.as_secs_f64()))
            .collect();
        let offered = match (r.name.as_str(), r.offered) {
            ("field", _) => "field".to_string(),
            (_, Some(o)) => o.to_string(),
            (_, None) => "max".to_string(),
        };
        println!(
            "| {} ({:.0} s) | {offered} | {:.0} | {:.0} | {} | {:.2} | {} | {:.2} | {:.0} / {:.0} | {}/{} ({}{}) | {}/{} ({}/{}) | {}/{} ({}/{}) |",
            r.name,
            r.secs,
            r.published_rate,
            r.accepted_rate,
            r.backlog_end,
            r.collector_cores,
            if bpid.is_some() { format!("{:.2}", r.broker_cores) } else { "in collector".into() },
            r.generator_cores,
            r.rss_mb,
            r.hwm_mb,
            ms(percentile(&mut st, 0.5)),
            ms(percentile(&mut st, 0.99)),
            st.len(),
            if lost > 0 { format!(", {lost} not found") } else { String::new() },
            ms(percentile(&mut al, 0.5)),
            ms(percentile(&mut al, 0.99)),
            al.len(),
            n_rogues,
            ms(percentile(&mut lo, 0.5)),
            ms(percentile(&mut lo, 0.99)),
            lo.len(),
            n_rogues,
        );
    }
    println!("\ncollector CPU by thread (cores, per phase):");
    for r in &results {
        let t: Vec<String> = r
            .threads
            .iter()
            .take(6)
            .map(|(k, v)| format!("{k} {v:.2}"))
            .collect();
        println!("  {}: {}", r.name, t.join(", "));
    }
    let all = end_sample.published;
    println!(
        "\ntotals: {all} observations published ({} PUBACKs from the broker incl. status), {} accepted as observations, \
         {} status accepted of {} published, rejected {}; drain after the last phase {:.1} s",
        end_sample.puback,
        end_sample.accepted,
        status_accepted,
        ctx.status_published.load(Ordering::Relaxed),
        end_sample.rejected,
        drain_s
    );
    for l in rejected_lines {
        println!("  {l}");
    }
    println!(
        "collector memory: VmHWM {:.0} MB, VmRSS {:.0} MB at end; store on disk {:.0} MB ({:.0} B per accepted observation); \
         generator VmHWM {:.0} MB{}",
        hwm as f64 / 1024.0,
        rss as f64 / 1024.0,
        disk as f64 / 1e6,
        disk as f64 / end_sample.accepted.max(1) as f64,
        gen_hwm as f64 / 1024.0,
        if bpid.is_some() {
            format!(", mosquitto VmHWM {:.0} MB", broker_hwm as f64 / 1024.0)
        } else {
            String::new()
        }
    );
    let with_alert = rogues.iter().filter(|r| r.alert.is_some()).count();
    let mut kinds: Vec<String> = rogues.iter().flat_map(|r| r.kinds.clone()).collect();
    kinds.sort();
    kinds.dedup();
    println!(
        "rogues injected: {} ({} sensors each), alerted {}, located {}; evidence kinds seen: {}; mean final score {:.2}",
        rogues.len(),
        opts.rogue_sensors,
        with_alert,
        rogues.iter().filter(|r| r.located.is_some()).count(),
        kinds.join(", "),
        rogues.iter().map(|r| r.score).sum::<f64>() / rogues.len().max(1) as f64
    );
    println!(
        "suspects in the API: {} ({} of them legitimate cells = false positives); alerts received {} ({} not about a rogue)",
        suspects.len(),
        false_pos,
        ctx.alerts_total.load(Ordering::Relaxed),
        ctx.alerts_other.load(Ordering::Relaxed)
    );
    let _ = std::io::stdout().flush();
    drop(collector);
    drop(mosquitto);
    if std::env::var("SCALE_KEEP_DATA").is_ok() {
        let keep = tmp.keep();
        println!("data kept in {}", keep.display());
    }
}
