//! GSM RR system information (TS 44.018 §9.1), as decoded by `towerwatch-rrc`.
//!
//! Values are converted from their codings into the units their names say
//! (`_db`, `_dbm`, `_s`, `_ms`); where a coding has a special value that is no
//! number (for example PENALTY_TIME = 31) the raw code is kept next to it.
//! Fields carried in rest octets are absent when the rest octets did not carry
//! them (an old BTS, a truncated message), never zero.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// GSM system information types decoded for one cell (flattened into `system_info`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GsmSystemInfo {
    /// SYSTEM INFORMATION TYPE 1 (§9.1.31): cell allocation, RACH control.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub si1: Option<Si1>,
    /// SYSTEM INFORMATION TYPE 2 (§9.1.32): BCCH allocation (neighbours).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub si2: Option<Si2>,
    /// SYSTEM INFORMATION TYPE 2bis (§9.1.33): extension of the BCCH allocation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub si2bis: Option<Si2bis>,
    /// SYSTEM INFORMATION TYPE 2ter (§9.1.34): extended BCCH allocation (other band).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub si2ter: Option<Si2ter>,
    /// SYSTEM INFORMATION TYPE 2quater (§9.1.34a): 3G/E-UTRAN neighbours, measurement parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub si2quater: Option<Si2quater>,
    /// SYSTEM INFORMATION TYPE 3 (§9.1.35): cell identity, control channel, selection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub si3: Option<Si3>,
    /// SYSTEM INFORMATION TYPE 4 (§9.1.36): LAI, selection, CBCH.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub si4: Option<Si4>,
    /// SYSTEM INFORMATION TYPE 13 (§9.1.43a): GPRS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub si13: Option<Si13>,
}

impl GsmSystemInfo {
    /// True when no SI type has been decoded.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// RACH Control Parameters, TS 44.018 §10.5.2.29 (in SI1, SI2, SI2bis, SI3, SI4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RachControl {
    /// Maximum number of RACH retransmissions: 1, 2, 4 or 7.
    pub max_retrans: u8,
    /// Tx-integer: number of slots to spread a RACH transmission (3 … 50).
    pub tx_integer_slots: u8,
    /// CELL_BAR_ACCESS: the cell is barred for access.
    pub cell_barred: bool,
    /// RE = 0: call re-establishment is allowed in the cell.
    pub call_reestablishment_allowed: bool,
    /// EC = 1: emergency calls are restricted to access classes 11–15.
    pub emergency_calls_restricted: bool,
    /// Access classes (0–9, 11–15) barred by their AC bit, ascending.
    pub barred_access_classes: Vec<u8>,
}

/// Cell Selection Parameters, TS 44.018 §10.5.2.4 (in SI3 and SI4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CellSelection {
    /// CELL-RESELECT-HYSTERESIS in dB (coded value × 2).
    pub cell_reselect_hysteresis_db: u8,
    /// MS-TXPWR-MAX-CCH power control level (0–31; dBm depends on the band, TS 45.005 §4.1).
    pub ms_txpwr_max_cch: u8,
    /// ACS: additional reselect parameters are in SI7/SI8 rather than SI4 rest octets.
    pub acs: bool,
    /// NECI: new establishment causes are supported.
    pub neci: bool,
    /// RXLEV-ACCESS-MIN as coded (RXLEV 0–63, TS 45.008 §8.1.4).
    pub rxlev_access_min: u8,
    /// RXLEV-ACCESS-MIN as the lower edge of its RXLEV band: −111 + coded value (dBm).
    pub rxlev_access_min_dbm: i16,
}

/// Optional selection parameters and friends from SI3/SI4 rest octets
/// (TS 44.018 §10.5.2.34 and §10.5.2.35; meanings in TS 45.008 §9 table 1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SelectionParameters {
    /// CELL_BAR_QUALIFY.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cbq: Option<u8>,
    /// CELL_RESELECT_OFFSET in dB (coded value × 2, 0–126).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell_reselect_offset_db: Option<u8>,
    /// TEMPORARY_OFFSET as coded (0–7; 7 means infinity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temporary_offset: Option<u8>,
    /// TEMPORARY_OFFSET in dB (coded value × 10), absent when infinite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temporary_offset_db: Option<u8>,
    /// PENALTY_TIME as coded (0–31; 31 means CRO is subtracted and TEMPORARY_OFFSET ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub penalty_time: Option<u8>,
    /// PENALTY_TIME in seconds ((coded + 1) × 20), absent for coded 31.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub penalty_time_s: Option<u16>,
    /// POWER_OFFSET in dB (coded value × 2, DCS1800 class 3 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_offset_db: Option<u8>,
    /// GPRS indicator: RA_COLOUR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gprs_ra_colour: Option<u8>,
    /// GPRS indicator: SI13_POSITION (0 = BCCH Norm, 1 = BCCH Ext).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub si13_position: Option<u8>,
}

/// SYSTEM INFORMATION TYPE 1, TS 44.018 §9.1.31.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Si1 {
    /// Cell allocation: ARFCNs of the Cell Channel Description (§10.5.2.1b), ascending.
    pub cell_channels: Vec<u16>,
    /// RACH control parameters.
    #[serde(flatten)]
    pub rach: RachControl,
    /// SI1 rest octets: NCH position (5-bit code, §10.5.2.32).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nch_position: Option<u8>,
    /// SI1 rest octets: band indicator, `"dcs1800"` or `"pcs1900"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band_indicator: Option<String>,
}

/// SYSTEM INFORMATION TYPE 2, TS 44.018 §9.1.32.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Si2 {
    /// BCCH allocation: ARFCNs of the Neighbour Cell Description (§10.5.2.22), ascending.
    pub neighbours: Vec<u16>,
    /// BA-IND.
    pub ba_ind: u8,
    /// EXT-IND: the list is only part of the BA (SI2bis carries the rest).
    pub ext_ind: bool,
    /// NCC permitted bitmap (bit n set: NCC n may be reported), §10.5.2.27.
    pub ncc_permitted: u8,
    /// RACH control parameters.
    #[serde(flatten)]
    pub rach: RachControl,
}

/// SYSTEM INFORMATION TYPE 2bis, TS 44.018 §9.1.33.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Si2bis {
    /// Extension of the BCCH allocation (§10.5.2.22), ascending.
    pub neighbours: Vec<u16>,
    /// BA-IND.
    pub ba_ind: u8,
    /// EXT-IND.
    pub ext_ind: bool,
    /// RACH control parameters.
    #[serde(flatten)]
    pub rach: RachControl,
}

/// SYSTEM INFORMATION TYPE 2ter, TS 44.018 §9.1.34.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Si2ter {
    /// Extended BCCH allocation: ARFCNs of Neighbour Cell Description 2 (§10.5.2.22a), ascending.
    pub neighbours: Vec<u16>,
    /// BA-IND.
    pub ba_ind: u8,
    /// Multiband reporting (0–3).
    pub multiband_reporting: u8,
    /// SI2ter rest octets (§10.5.2.33a): SI2ter_MP_CHANGE_MARK.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mp_change_mark: Option<u8>,
    /// SI2ter_3G_CHANGE_MARK.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_mark_3g: Option<u8>,
    /// SI2ter_INDEX.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u8>,
    /// SI2ter_COUNT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u8>,
}

/// SYSTEM INFORMATION TYPE 2quater, TS 44.018 §9.1.34a (rest octets §10.5.2.33b).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Si2quater {
    /// BA_IND.
    pub ba_ind: u8,
    /// 3G_BA_IND.
    pub ba_ind_3g: u8,
    /// MP_CHANGE_MARK.
    pub mp_change_mark: u8,
    /// SI2quater_INDEX (0–15).
    pub index: u8,
    /// SI2quater_COUNT (0–15): index of the last instance.
    pub count: u8,
    /// Measurement_Parameters Description: REPORT_TYPE (0 = enhanced, 1 = normal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_type: Option<u8>,
    /// Measurement_Parameters Description: SERVING_BAND_REPORTING.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serving_band_reporting: Option<u8>,
    /// Which optional descriptions are present, by their §10.5.2.33b names
    /// (`"gprs_real_time_difference"`, `"3g_neighbour_cells"`, …), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub present: Vec<String>,
}

/// SYSTEM INFORMATION TYPE 3, TS 44.018 §9.1.35.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Si3 {
    /// Cell identity (16 bits), §10.5.1.1.
    pub cell_identity: u16,
    /// Mobile country code, 3 digits.
    pub mcc: String,
    /// Mobile network code, 2 or 3 digits.
    pub mnc: String,
    /// Location area code.
    pub lac: u16,
    /// Control channel description (§10.5.2.11).
    #[serde(flatten)]
    pub control_channel: ControlChannel,
    /// Cell options on BCCH (§10.5.2.3).
    #[serde(flatten)]
    pub cell_options: CellOptions,
    /// Cell selection parameters (§10.5.2.4).
    #[serde(flatten)]
    pub cell_selection: CellSelection,
    /// RACH control parameters (§10.5.2.29).
    #[serde(flatten)]
    pub rach: RachControl,
    /// Optional selection parameters from the SI3 rest octets (§10.5.2.34).
    #[serde(flatten)]
    pub selection: SelectionParameters,
    /// SI3 rest octets: SI2ter is broadcast.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub si2ter_indicator: Option<bool>,
    /// SI3 rest octets: early classmark sending is allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early_classmark_sending: Option<bool>,
    /// SI3 rest octets: scheduling "where" (present only if SI9 carries the scheduling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduling_where: Option<u8>,
    /// SI3 rest octets: 3G early classmark sending restriction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early_classmark_restriction_3g: Option<bool>,
    /// SI3 rest octets: SI2quater is broadcast (`Some(false)`: not indicated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub si2quater_indicator: Option<bool>,
    /// SI3 rest octets: SI2quater position (0 = BCCH Norm, 1 = BCCH Ext).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub si2quater_position: Option<u8>,
}

/// Control Channel Description, TS 44.018 §10.5.2.11.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ControlChannel {
    /// MSCR: the MSC is release '99 onwards.
    pub mscr: bool,
    /// ATT: IMSI attach/detach is applied.
    pub att: bool,
    /// BS_AG_BLKS_RES: CCCH blocks reserved for access grant (0–7).
    pub bs_ag_blks_res: u8,
    /// CCCH_CONF as coded: 0 = 1 basic CCCH not combined, 1 = 1 basic combined with SDCCH,
    /// 2/4/6 = 2/3/4 basic CCCH not combined.
    pub ccch_conf: u8,
    /// CBQ3 (Iu mode cell barring qualifier).
    pub cbq3: u8,
    /// BS_PA_MFRMS: 51-multiframes between pagings of one paging group (2–9; coded + 2).
    pub bs_pa_mfrms: u8,
    /// T3212 periodic location update timer, decihours (0 = no periodic update).
    pub t3212_decihours: u8,
}

/// Cell Options (BCCH), TS 44.018 §10.5.2.3.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CellOptions {
    /// PWRC: power control indicator.
    pub pwrc: bool,
    /// DTX as coded: 0 = MS may use uplink DTX, 1 = shall use, 2 = shall not use.
    pub dtx: u8,
    /// RADIO-LINK-TIMEOUT in SACCH blocks ((coded + 1) × 4).
    pub radio_link_timeout: u8,
}

/// SYSTEM INFORMATION TYPE 4, TS 44.018 §9.1.36.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Si4 {
    /// Mobile country code, 3 digits.
    pub mcc: String,
    /// Mobile network code, 2 or 3 digits.
    pub mnc: String,
    /// Location area code.
    pub lac: u16,
    /// Cell selection parameters (§10.5.2.4).
    #[serde(flatten)]
    pub cell_selection: CellSelection,
    /// RACH control parameters (§10.5.2.29).
    #[serde(flatten)]
    pub rach: RachControl,
    /// A CBCH Channel Description is present (cell broadcast is on).
    pub cbch_present: bool,
    /// Optional selection parameters from the SI4 rest octets (§10.5.2.35).
    #[serde(flatten)]
    pub selection: SelectionParameters,
}

/// SYSTEM INFORMATION TYPE 13, TS 44.018 §9.1.43a (rest octets §10.5.2.37b,
/// GPRS Cell Options and Power Control Parameters per TS 44.060 §12.24 and §12.13).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Si13 {
    /// BCCH_CHANGE_MARK.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bcch_change_mark: Option<u8>,
    /// SI_CHANGE_FIELD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub si_change_field: Option<u8>,
    /// SI13_CHANGE_MARK (present with a GPRS Mobile Allocation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub si13_change_mark: Option<u8>,
    /// A PBCCH is present in the cell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pbcch_present: Option<bool>,
    /// Routing area code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rac: Option<u8>,
    /// SPGC_CCCH_SUP: split paging cycle supported on CCCH.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spgc_ccch_sup: Option<bool>,
    /// PRIORITY_ACCESS_THR as coded (0–7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_access_thr: Option<u8>,
    /// NETWORK_CONTROL_ORDER: 0 = NC0, 1 = NC1, 2 = NC2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_control_order: Option<u8>,
    /// Network mode of operation: 1, 2 or 3 (NMO I/II/III).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_mode_of_operation: Option<u8>,
    /// T3168 in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t3168_ms: Option<u16>,
    /// T3192 in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t3192_ms: Option<u16>,
    /// DRX_TIMER_MAX as coded (2^(coded−1) s, 0 = 0 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drx_timer_max: Option<u8>,
    /// BS_CV_MAX.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bs_cv_max: Option<u8>,
    /// EGPRS is supported (from the GPRS Cell Options extension; absent without it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egprs_supported: Option<bool>,
    /// DTM is supported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dtm_supported: Option<bool>,
    /// CCN is active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ccn_active: Option<bool>,
    /// GPRS power control ALPHA as coded (×0.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpha: Option<u8>,
    /// Release 99 additions: SGSNR (SGSN is release '99 onwards).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sgsnr: Option<bool>,
    /// Release 4 additions: SI_STATUS_IND.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub si_status_ind: Option<bool>,
}
