//! Decoded broadcast system information: LTE MIB and SIBs (TS 36.331), NR MIB
//! and SIB1 (TS 38.331), GSM SI types (TS 44.018, in [`crate::gsm`]).
//!
//! Field names follow WIRE.md. Values are in the units their names say
//! (`_dbm`, `_db`, `_s`), already converted from the ASN.1 encodings.

use crate::gsm::GsmSystemInfo;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// All system information decoded for one cell. Absent blocks were not decoded.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SystemInfo {
    /// Master information block (LTE or NR).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mib: Option<Mib>,
    /// SIB1 (LTE or NR).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sib1: Option<Sib1>,
    /// LTE SIB2: common radio resource configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sib2: Option<Sib2>,
    /// LTE SIB3: serving-cell reselection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sib3: Option<Sib3>,
    /// LTE SIB4: intra-frequency neighbours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sib4: Option<Sib4>,
    /// LTE SIB5: inter-frequency E-UTRA carriers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sib5: Option<Sib5>,
    /// LTE SIB6: UTRA carriers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sib6: Option<Sib6>,
    /// LTE SIB7: GERAN carriers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sib7: Option<Sib7>,
    /// LTE SIB8: CDMA2000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sib8: Option<Sib8>,
    /// GSM system information types (`si1`, `si2`, … `si13`), flattened into this object.
    #[serde(flatten)]
    pub gsm: GsmSystemInfo,
    /// The PDUs as received, hex-encoded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<RawPdus>,
}

/// Master information block.
///
/// LTE (TS 36.331 `MasterInformationBlock`): `nof_prb`, `antenna_ports`, `sfn`,
/// `phich_duration`, `phich_resource`. NR (TS 38.331 `MIB`): `sfn`,
/// `scs_common_khz`, `ssb_subcarrier_offset`, `k_ssb`, `dmrs_type_a_position`,
/// `pdcch_config_sib1`, `cell_barred`, `intra_freq_reselection`, `half_frame`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Mib {
    /// LTE downlink bandwidth in resource blocks (6, 15, 25, 50, 75, 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nof_prb: Option<u16>,
    /// LTE number of cell-specific antenna ports (1, 2, 4), from the PBCH CRC mask.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub antenna_ports: Option<u8>,
    /// System frame number (0–1023).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sfn: Option<u16>,
    /// LTE PHICH duration: `"normal"` or `"extended"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phich_duration: Option<String>,
    /// LTE PHICH resource Ng: `"one_sixth"`, `"half"`, `"one"`, `"two"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phich_resource: Option<String>,
    /// NR subCarrierSpacingCommon, kHz (15/30 in FR1, 60/120 in FR2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scs_common_khz: Option<u16>,
    /// NR ssb-SubcarrierOffset (4 bits from the MIB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssb_subcarrier_offset: Option<u8>,
    /// NR k_SSB including the PBCH payload's MSB (TS 38.213 §4.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k_ssb: Option<u8>,
    /// NR dmrs-TypeA-Position (2 or 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dmrs_type_a_position: Option<u8>,
    /// NR pdcch-ConfigSIB1 (controlResourceSetZero × 16 + searchSpaceZero).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdcch_config_sib1: Option<u8>,
    /// NR cellBarred.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell_barred: Option<bool>,
    /// NR intraFreqReselection allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intra_freq_reselection: Option<bool>,
    /// NR half-frame bit of the SSB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub half_frame: Option<u8>,
}

/// SystemInformationBlockType1 (LTE TS 36.331, NR TS 38.331).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Sib1 {
    /// PLMN identities as `"MCCMNC"` strings, first is primary (e.g. `"26201"`).
    #[serde(default)]
    pub plmns: Vec<String>,
    /// Tracking area code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tac: Option<u32>,
    /// Cell identity (28-bit ECI or 36-bit NCI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell_identity: Option<u64>,
    /// cellBarred.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell_barred: Option<bool>,
    /// cellReservedForOperatorUse for any PLMN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell_reserved_for_operator_use: Option<bool>,
    /// intraFreqReselection allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intra_freq_reselection: Option<bool>,
    /// csg-Indication (LTE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csg_indication: Option<bool>,
    /// q-RxLevMin in dBm (the ASN.1 value × 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q_rx_lev_min_dbm: Option<i32>,
    /// p-Max, dBm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_max_dbm: Option<i32>,
    /// freqBandIndicator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freq_band_indicator: Option<u16>,
    /// si-WindowLength, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub si_window_ms: Option<u16>,
    /// systemInfoValueTag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_info_value_tag: Option<u8>,
    /// schedulingInfoList: one entry per SI message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scheduling: Vec<SchedulingInfo>,
    /// TDD configuration, when the cell is TDD: subframe assignment 0–6.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tdd_subframe_assignment: Option<u8>,
}

/// One SI message's schedule and content (SIB1 `schedulingInfoList`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SchedulingInfo {
    /// si-Periodicity in radio frames.
    pub periodicity_rf: u16,
    /// SIB type numbers carried (SIB2 is implied in the first message in LTE).
    pub sibs: Vec<u8>,
}

/// LTE SIB2 (what fingerprinting and planning use).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Sib2 {
    /// Access barring present for mobile-originating calls/signalling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ac_barring: Option<bool>,
    /// Uplink EARFCN, when not the default duplex spacing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ul_earfcn: Option<u32>,
    /// Uplink bandwidth in PRB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ul_nof_prb: Option<u16>,
    /// Reference signal EPRE, dBm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_signal_power_dbm: Option<i32>,
    /// Default paging cycle, radio frames.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_paging_cycle_rf: Option<u16>,
    /// T300, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t300_ms: Option<u32>,
    /// PRACH root sequence index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prach_root_sequence_index: Option<u16>,
}

/// LTE SIB3: serving frequency and intra-frequency reselection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Sib3 {
    /// cellReselectionPriority of the serving frequency (0–7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell_reselection_priority: Option<u8>,
    /// q-Hyst, dB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q_hyst_db: Option<i32>,
    /// threshServingLow, dB (ASN.1 value × 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thresh_serving_low_db: Option<i32>,
    /// s-NonIntraSearch, dB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s_non_intra_search_db: Option<i32>,
    /// s-IntraSearch, dB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s_intra_search_db: Option<i32>,
    /// q-RxLevMin for intra-frequency reselection, dBm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q_rx_lev_min_dbm: Option<i32>,
    /// t-ReselectionEUTRA, s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t_reselection_eutra_s: Option<u8>,
}

/// A neighbour cell with its reselection offset (SIB4/SIB5).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NeighbourCell {
    /// Physical cell identity.
    pub pci: u16,
    /// q-OffsetCell, dB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q_offset_db: Option<i32>,
}

/// LTE SIB4: intra-frequency neighbour list and blacklist.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Sib4 {
    /// intraFreqNeighCellList.
    #[serde(default)]
    pub neighbours: Vec<NeighbourCell>,
    /// Blacklisted PCI ranges as (start, count).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blacklist: Vec<(u16, u16)>,
}

/// LTE SIB5: inter-frequency E-UTRA carriers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Sib5 {
    /// interFreqCarrierFreqList.
    #[serde(default)]
    pub carriers: Vec<EutraCarrier>,
}

/// One inter-frequency E-UTRA carrier.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EutraCarrier {
    /// dl-CarrierFreq.
    pub earfcn: u32,
    /// cellReselectionPriority (0–7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell_reselection_priority: Option<u8>,
    /// q-RxLevMin, dBm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q_rx_lev_min_dbm: Option<i32>,
    /// threshX-High, dB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thresh_x_high_db: Option<i32>,
    /// threshX-Low, dB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thresh_x_low_db: Option<i32>,
    /// allowedMeasBandwidth in PRB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_meas_bandwidth_prb: Option<u16>,
    /// interFreqNeighCellList.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub neighbours: Vec<NeighbourCell>,
    /// p-Max on this carrier, dBm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_max_dbm: Option<i32>,
    /// q-OffsetFreq, dB (absent in the ASN.1 means 0 dB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q_offset_freq_db: Option<i32>,
    /// interFreqBlackCellList (excluded cells): PCI ranges as (start, count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blacklist: Option<Vec<(u16, u16)>>,
    /// t-ReselectionEUTRA on this carrier, s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t_reselection_eutra_s: Option<u8>,
}

/// LTE SIB6: UTRA (3G) carriers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Sib6 {
    /// carrierFreqListUTRA-FDD and -TDD.
    #[serde(default)]
    pub carriers: Vec<UtraCarrier>,
}

/// One UTRA carrier.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UtraCarrier {
    /// UARFCN.
    pub uarfcn: u16,
    /// `true` for UTRA-TDD.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tdd: bool,
    /// cellReselectionPriority (0–7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell_reselection_priority: Option<u8>,
    /// q-RxLevMin, dBm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q_rx_lev_min_dbm: Option<i32>,
}

/// LTE SIB7: GERAN (2G) carriers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Sib7 {
    /// carrierFreqsInfoList.
    #[serde(default)]
    pub carriers: Vec<GeranCarrier>,
}

/// One GERAN carrier group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GeranCarrier {
    /// ARFCNs in the group.
    pub arfcns: Vec<u16>,
    /// bandIndicator: `"dcs1800"` or `"pcs1900"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band_indicator: Option<String>,
    /// cellReselectionPriority (0–7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell_reselection_priority: Option<u8>,
    /// q-RxLevMin, dBm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q_rx_lev_min_dbm: Option<i32>,
}

/// LTE SIB8: CDMA2000 (presence and priorities only).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Sib8 {
    /// Band classes with their reselection priority.
    #[serde(default)]
    pub band_classes: Vec<Cdma2000BandClass>,
}

/// One CDMA2000 band class entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Cdma2000BandClass {
    /// bandClass number.
    pub band_class: u8,
    /// cellReselectionPriority (0–7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell_reselection_priority: Option<u8>,
}

/// PDUs as received, hex-encoded (lowercase).
///
/// LTE `sib1` and `si` hold BCCH-DL-SCH RRC PDUs with the MAC padding removed
/// where the RRC decoder found the PDU's end, otherwise the whole transport
/// block. GSM `bcch` holds 23-octet L2 frames.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RawPdus {
    /// The BCH transport block (LTE: 24 bits; NR: 32 bits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mib: Option<String>,
    /// SIB1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sib1: Option<String>,
    /// SystemInformation messages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub si: Vec<String>,
    /// GSM BCCH L2 frames.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bcch: Vec<String>,
}
