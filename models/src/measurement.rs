//! Power, quality and timing measured for one cell by one sensor.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Measurements of one cell (TS 36.214, TS 38.215, TS 45.008).
///
/// Powers in dBm include the sensor's calibration offset; the uncalibrated
/// figure is kept in `power_dbfs`. Fields not measured are absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Measurement {
    /// LTE reference signal received power (TS 36.214 §5.1.1), dBm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rsrp_dbm: Option<f64>,
    /// LTE reference signal received quality (TS 36.214 §5.1.3), dB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rsrq_db: Option<f64>,
    /// Received signal strength over the measured band (E-UTRA carrier RSSI), dBm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rssi_dbm: Option<f64>,
    /// Signal to interference plus noise ratio on the reference signals, dB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sinr_db: Option<f64>,
    /// Carrier frequency offset seen by the sensor (after its ppm correction), Hz.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cfo_hz: Option<f64>,
    /// GSM received level over the BCCH carrier (TS 45.008 §8.1), dBm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rxlev_dbm: Option<f64>,
    /// NR SS reference signal received power (TS 38.215 §5.1.1), dBm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ss_rsrp_dbm: Option<f64>,
    /// NR SS-RSRQ (TS 38.215 §5.1.3), dB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ss_rsrq_db: Option<f64>,
    /// NR SS-SINR (TS 38.215 §5.1.5), dB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ss_sinr_db: Option<f64>,
    /// The cell's main power figure before calibration (RSRP, RXLEV or SS-RSRP), dBFS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_dbfs: Option<f64>,
    /// GPS time of the cell's frame boundary at the antenna, nanoseconds since the
    /// GPS epoch, when the radio has a GPS-disciplined clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_arrival_gps_ns: Option<i64>,
    /// 1-σ uncertainty of `frame_arrival_gps_ns`, nanoseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_arrival_uncertainty_ns: Option<f64>,
}

impl Measurement {
    /// The main calibrated power figure, whatever the RAT: RSRP, RXLEV or SS-RSRP.
    pub fn main_power_dbm(&self) -> Option<f64> {
        self.rsrp_dbm.or(self.ss_rsrp_dbm).or(self.rxlev_dbm)
    }
}
