//! UPER encoding of `BCCH-DL-SCH-Message`s (TS 36.331 §6.2.1–6.2.2) from
//! `towerwatch_models` types, for loopback tests and test transmitters.
//!
//! Every field that the decoder maps is written so that it decodes back to the
//! same value. Mandatory ASN.1 fields that `models` does not carry take fixed
//! values (documented per function); absent mandatory `models` fields take the
//! value given in each function's doc. A value the ASN.1 cannot express is an
//! [`LteRrcError::Unencodable`], never silently changed.

use super::asn::{
    self, SchedulingInfoAsn, SchedulingInfoListAsn, Sib1Asn, SibMappingInfoAsn, SibTypeAsn,
};
use super::map::{
    BANDWIDTH_PRB, PAGING_CYCLE_RF, PCI_RANGE, Q_HYST_DB, Q_OFFSET_DB, SI_WINDOW_MS, T300_MS,
};
use super::LteRrcError;
use asn1_codecs::uper::UperCodec;
use asn1_codecs::PerCodecData;
use bitvec::prelude::{BitVec, Msb0};
use towerwatch_models::system_info::{
    EutraCarrier, GeranCarrier, NeighbourCell, Sib1, Sib2, Sib3, Sib4, Sib5, Sib6, Sib7,
    UtraCarrier,
};
use types_lte_3gpp::uper::spec_rrc as rrc;

/// One SIB to put into a SystemInformation message.
#[derive(Debug, Clone, PartialEq)]
pub enum SiSib {
    /// SIB2.
    Sib2(Sib2),
    /// SIB3.
    Sib3(Sib3),
    /// SIB4.
    Sib4(Sib4),
    /// SIB5.
    Sib5(Sib5),
    /// SIB6.
    Sib6(Sib6),
    /// SIB7.
    Sib7(Sib7),
}

fn bad(field: &'static str, value: impl std::fmt::Display) -> LteRrcError {
    LteRrcError::Unencodable {
        field,
        value: value.to_string(),
    }
}

fn bits(v: u64, n: usize) -> BitVec<u8, Msb0> {
    (0..n).rev().map(|i| (v >> i) & 1 == 1).collect()
}

fn index_of<T: PartialEq + Copy + std::fmt::Display>(
    t: &[T],
    v: T,
    field: &'static str,
) -> Result<u8, LteRrcError> {
    t.iter()
        .position(|&x| x == v)
        .map(|i| i as u8)
        .ok_or_else(|| bad(field, v))
}

fn in_range(v: i32, lo: i32, hi: i32, field: &'static str) -> Result<i32, LteRrcError> {
    if (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(bad(field, v))
    }
}

/// `value / 2` for fields in 2-unit steps (`q-RxLevMin`, `ReselectionThreshold`).
fn halve(v: i32, lo: i32, hi: i32, field: &'static str) -> Result<i32, LteRrcError> {
    if v % 2 != 0 {
        return Err(bad(field, v));
    }
    in_range(v / 2, lo, hi, field)
}

fn digits(s: &str, field: &'static str) -> Result<Vec<rrc::MCC_MNC_Digit>, LteRrcError> {
    s.bytes()
        .map(|c| {
            if c.is_ascii_digit() {
                Ok(rrc::MCC_MNC_Digit(c - b'0'))
            } else {
                Err(bad(field, s))
            }
        })
        .collect()
}

fn periodicity_index(rf: u16) -> Result<u8, LteRrcError> {
    index_of(
        &[8u16, 16, 32, 64, 128, 256, 512],
        rf,
        "scheduling.periodicity_rf",
    )
}

/// Encodes SIB1 as a `BCCH-DL-SCH-Message` (UPER, zero-padded to whole octets).
///
/// Each PLMN string is 3 MCC digits then 2 or 3 MNC digits; the MCC is always
/// written. Absent fields: `tac`, `cell_identity`, `system_info_value_tag` 0,
/// `q_rx_lev_min_dbm` −140, `freq_band_indicator` 1, `si_window_ms` 20,
/// `cell_barred` false, `intra_freq_reselection` true, `csg_indication` false.
/// `cell_reserved_for_operator_use = Some(true)` reserves the cell for every PLMN.
/// A TDD cell gets special subframe pattern 7. Bands above 64 are written as
/// `freqBandIndicator` 64 with `freqBandIndicator-v9e0` (§6.2.2, SIB1-v9e0-IEs).
pub fn encode_sib1(sib1: &Sib1) -> Result<Vec<u8>, LteRrcError> {
    if sib1.plmns.is_empty() || sib1.plmns.len() > 6 {
        return Err(bad("plmns", sib1.plmns.len()));
    }
    let reserved = if sib1.cell_reserved_for_operator_use == Some(true) {
        rrc::PLMN_IdentityInfoCellReservedForOperatorUse::RESERVED
    } else {
        rrc::PLMN_IdentityInfoCellReservedForOperatorUse::NOT_RESERVED
    };
    let plmns =
        sib1.plmns
            .iter()
            .map(|p| {
                if !(5..=6).contains(&p.len()) || !p.is_ascii() {
                    return Err(bad("plmns", p));
                }
                Ok(rrc::PLMN_IdentityInfo {
                    plmn_identity: rrc::PLMN_Identity {
                        mcc: Some(rrc::MCC(digits(&p[..3], "plmns")?)),
                        mnc: rrc::MNC(digits(&p[3..], "plmns")?),
                    },
                    cell_reserved_for_operator_use:
                        rrc::PLMN_IdentityInfoCellReservedForOperatorUse(reserved),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
    let tac = sib1.tac.unwrap_or(0);
    if tac > 0xFFFF {
        return Err(bad("tac", tac));
    }
    let eci = sib1.cell_identity.unwrap_or(0);
    if eci >= 1 << 28 {
        return Err(bad("cell_identity", eci));
    }
    let q_rx = halve(
        sib1.q_rx_lev_min_dbm.unwrap_or(-140),
        -70,
        -22,
        "q_rx_lev_min_dbm",
    )?;
    let p_max = sib1
        .p_max_dbm
        .map(|p| in_range(p, -30, 33, "p_max_dbm"))
        .transpose()?;
    let band = sib1.freq_band_indicator.unwrap_or(1);
    if !(1..=256).contains(&band) {
        return Err(bad("freq_band_indicator", band));
    }
    let non_critical_extension = if band > 64 {
        let v8h0 = rrc::SystemInformationBlockType1_v8h0_IEs {
            multi_band_info_list: None,
            non_critical_extension: Some(rrc::SystemInformationBlockType1_v9e0_IEs {
                freq_band_indicator_v9e0: Some(rrc::FreqBandIndicator_v9e0(band)),
                multi_band_info_list_v9e0: None,
                non_critical_extension: None,
            }),
        };
        let mut d = PerCodecData::new_uper();
        v8h0.uper_encode(&mut d)?;
        Some(rrc::SystemInformationBlockType1_v890_IEs {
            late_non_critical_extension: Some(
                rrc::SystemInformationBlockType1_v890_IEsLateNonCriticalExtension(d.into_bytes()),
            ),
            non_critical_extension: None,
        })
    } else {
        None
    };
    if sib1.scheduling.is_empty() || sib1.scheduling.len() > 32 {
        return Err(bad("scheduling", sib1.scheduling.len()));
    }
    let scheduling = sib1
        .scheduling
        .iter()
        .map(|s| {
            if s.sibs.len() > 31 {
                return Err(bad("scheduling.sibs", s.sibs.len()));
            }
            Ok(SchedulingInfoAsn {
                si_periodicity: rrc::SI_Periodicity_r12(periodicity_index(s.periodicity_rf)?),
                sib_mapping_info: SibMappingInfoAsn(
                    s.sibs
                        .iter()
                        .map(|&n| {
                            SibTypeAsn::from_sib_number(n).ok_or_else(|| bad("scheduling.sibs", n))
                        })
                        .collect::<Result<_, _>>()?,
                ),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let tag = sib1.system_info_value_tag.unwrap_or(0);
    if tag > 31 {
        return Err(bad("system_info_value_tag", tag));
    }
    let tdd_config = sib1
        .tdd_subframe_assignment
        .map(|sa| {
            if sa > 6 {
                return Err(bad("tdd_subframe_assignment", sa));
            }
            Ok(rrc::TDD_Config {
                subframe_assignment: rrc::TDD_ConfigSubframeAssignment(sa),
                special_subframe_patterns: rrc::TDD_ConfigSpecialSubframePatterns(
                    rrc::TDD_ConfigSpecialSubframePatterns::SSP7,
                ),
            })
        })
        .transpose()?;
    let s = Sib1Asn {
        cell_access_related_info: rrc::SystemInformationBlockType1CellAccessRelatedInfo {
            plmn_identity_list: rrc::PLMN_IdentityList(plmns),
            tracking_area_code: rrc::TrackingAreaCode(bits(u64::from(tac), 16)),
            cell_identity: rrc::CellIdentity(bits(eci, 28)),
            cell_barred: rrc::SystemInformationBlockType1CellAccessRelatedInfoCellBarred(
                if sib1.cell_barred == Some(true) {
                    rrc::SystemInformationBlockType1CellAccessRelatedInfoCellBarred::BARRED
                } else {
                    rrc::SystemInformationBlockType1CellAccessRelatedInfoCellBarred::NOT_BARRED
                },
            ),
            intra_freq_reselection:
                rrc::SystemInformationBlockType1CellAccessRelatedInfoIntraFreqReselection(
                    if sib1.intra_freq_reselection == Some(false) {
                        rrc::SystemInformationBlockType1CellAccessRelatedInfoIntraFreqReselection::NOT_ALLOWED
                    } else {
                        rrc::SystemInformationBlockType1CellAccessRelatedInfoIntraFreqReselection::ALLOWED
                    },
                ),
            csg_indication: rrc::SystemInformationBlockType1CellAccessRelatedInfoCsg_Indication(
                sib1.csg_indication.unwrap_or(false),
            ),
            csg_identity: None,
        },
        cell_selection_info: rrc::SystemInformationBlockType1CellSelectionInfo {
            q_rx_lev_min: rrc::Q_RxLevMin(q_rx as i8),
            q_rx_lev_min_offset: None,
        },
        p_max: p_max.map(|p| rrc::P_Max(p as i8)),
        freq_band_indicator: rrc::FreqBandIndicator(band.min(64) as u8),
        scheduling_info_list: SchedulingInfoListAsn(scheduling),
        tdd_config,
        si_window_length: rrc::SystemInformationBlockType1Si_WindowLength(index_of(
            &SI_WINDOW_MS,
            sib1.si_window_ms.unwrap_or(20),
            "si_window_ms",
        )?),
        system_info_value_tag: rrc::SystemInformationBlockType1SystemInfoValueTag(tag),
        non_critical_extension,
    };
    Ok(asn::encode_sib1_message(&s)?)
}

/// Encodes a SystemInformation message (`systemInformation-r8`) carrying `sibs` in order.
///
/// Fixed values for what `models` does not carry: SIB2's RACH/PRACH/PUSCH/PUCCH/
/// power-control configuration, timers other than T300 and `timeAlignmentTimerCommon`
/// are those of a typical 3GPP test cell (numberOfRA-Preambles n52, prach-ConfigIndex 3,
/// t301 ms100, …; see `sib2_asn`); SIB3 `presenceAntennaPort1` false and `neighCellConfig`
/// `01`; SIB5 `presenceAntennaPort1` false, `neighCellConfig` `01`; SIB6 `p-MaxUTRA` 24 dBm,
/// `q-QualMin` −24 dB, `t-ReselectionUTRA` 1 s; SIB7 `ncc-Permitted` all, `t-ReselectionGERAN` 1 s.
pub fn encode_system_information(sibs: &[SiSib]) -> Result<Vec<u8>, LteRrcError> {
    use rrc::SystemInformation_r8_IEsSib_TypeAndInfo_Entry as E;
    if sibs.is_empty() || sibs.len() > 32 {
        return Err(bad("sibs", sibs.len()));
    }
    let entries = sibs
        .iter()
        .map(|s| {
            Ok(match s {
                SiSib::Sib2(x) => E::Sib2(sib2_asn(x)?),
                SiSib::Sib3(x) => E::Sib3(sib3_asn(x)?),
                SiSib::Sib4(x) => E::Sib4(sib4_asn(x)?),
                SiSib::Sib5(x) => E::Sib5(sib5_asn(x)?),
                SiSib::Sib6(x) => E::Sib6(sib6_asn(x)?),
                SiSib::Sib7(x) => E::Sib7(sib7_asn(x)?),
            })
        })
        .collect::<Result<Vec<_>, LteRrcError>>()?;
    let si = rrc::SystemInformation {
        critical_extensions: rrc::SystemInformationCriticalExtensions::SystemInformation_r8(
            rrc::SystemInformation_r8_IEs {
                sib_type_and_info: rrc::SystemInformation_r8_IEsSib_TypeAndInfo(entries),
                non_critical_extension: None,
            },
        ),
    };
    Ok(asn::encode_si_message(&si)?)
}

/// The SystemInformation (SIB2 + SIB3) of a 3GPP-conformant srsRAN eNodeB test
/// cell (band 3, 6 PRB): the fixed part of every SIB2 we encode. Data, not code.
const SIB2_TEMPLATE: &str = "00800ce1bf7ac160ca01e00100000801829945ab9c30c696c801c21462d84ea5a4";

/// SIB2: the template's fixed configuration with the `models` fields written over it.
/// Absent: `reference_signal_power_dbm` 0, `default_paging_cycle_rf` 64, `t300_ms` 2000,
/// `prach_root_sequence_index` 22, `ul_earfcn`/`ul_nof_prb` omitted; `ac_barring = Some(true)`
/// bars MO data with factor p50, 64 s.
fn sib2_asn(s: &Sib2) -> Result<rrc::SystemInformationBlockType2, LteRrcError> {
    let bytes: Vec<u8> = (0..SIB2_TEMPLATE.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(&SIB2_TEMPLATE[i..i + 2], 16).ok())
        .collect();
    let si = match asn::decode_message(&bytes)? {
        asn::BcchDlSchAsn::SystemInformation(si) => *si,
        _ => return Err(bad("sib2 template", "not SystemInformation")),
    };
    let mut sib2 = match si.critical_extensions {
        rrc::SystemInformationCriticalExtensions::SystemInformation_r8(ies) => ies
            .sib_type_and_info
            .0
            .into_iter()
            .find_map(|e| match e {
                rrc::SystemInformation_r8_IEsSib_TypeAndInfo_Entry::Sib2(x) => Some(x),
                _ => None,
            })
            .ok_or_else(|| bad("sib2 template", "no SIB2"))?,
        _ => return Err(bad("sib2 template", "not SystemInformation")),
    };
    sib2.ac_barring_info =
        (s.ac_barring == Some(true)).then(|| rrc::SystemInformationBlockType2Ac_BarringInfo {
            ac_barring_for_emergency:
                rrc::SystemInformationBlockType2Ac_BarringInfoAc_BarringForEmergency(false),
            ac_barring_for_mo_signalling: None,
            ac_barring_for_mo_data: Some(rrc::AC_BarringConfig {
                ac_barring_factor: rrc::AC_BarringConfigAc_BarringFactor(
                    rrc::AC_BarringConfigAc_BarringFactor::P50,
                ),
                ac_barring_time: rrc::AC_BarringConfigAc_BarringTime(
                    rrc::AC_BarringConfigAc_BarringTime::S64,
                ),
                ac_barring_for_special_ac: rrc::AC_BarringConfigAc_BarringForSpecialAC(bits(0, 5)),
            }),
        });
    sib2.freq_info.ul_carrier_freq = s
        .ul_earfcn
        .map(|f| {
            u16::try_from(f)
                .map(rrc::ARFCN_ValueEUTRA)
                .map_err(|_| bad("ul_earfcn", f))
        })
        .transpose()?;
    sib2.freq_info.ul_bandwidth = s
        .ul_nof_prb
        .map(|n| {
            index_of(&BANDWIDTH_PRB, n, "ul_nof_prb")
                .map(rrc::SystemInformationBlockType2FreqInfoUl_Bandwidth)
        })
        .transpose()?;
    let rr = &mut sib2.radio_resource_config_common;
    rr.pdsch_config_common.reference_signal_power =
        rrc::PDSCH_ConfigCommonReferenceSignalPower(in_range(
            s.reference_signal_power_dbm.unwrap_or(0),
            -60,
            50,
            "reference_signal_power_dbm",
        )? as i8);
    rr.pcch_config.default_paging_cycle = rrc::PCCH_ConfigDefaultPagingCycle(index_of(
        &PAGING_CYCLE_RF,
        s.default_paging_cycle_rf.unwrap_or(64),
        "default_paging_cycle_rf",
    )?);
    rr.prach_config.root_sequence_index = rrc::PRACH_ConfigSIBRootSequenceIndex(in_range(
        i32::from(s.prach_root_sequence_index.unwrap_or(22)),
        0,
        837,
        "prach_root_sequence_index",
    )? as u16);
    sib2.ue_timers_and_constants.t300 =
        rrc::UE_TimersAndConstantsT300(index_of(&T300_MS, s.t300_ms.unwrap_or(2000), "t300_ms")?);
    Ok(sib2)
}

fn threshold(
    v: Option<i32>,
    field: &'static str,
) -> Result<rrc::ReselectionThreshold, LteRrcError> {
    Ok(rrc::ReselectionThreshold(
        halve(v.unwrap_or(0), 0, 31, field)? as u8,
    ))
}

fn priority(
    p: Option<u8>,
    field: &'static str,
) -> Result<Option<rrc::CellReselectionPriority>, LteRrcError> {
    p.map(|p| {
        if p <= 7 {
            Ok(rrc::CellReselectionPriority(p))
        } else {
            Err(bad(field, p))
        }
    })
    .transpose()
}

fn t_reselection(t: Option<u8>, field: &'static str) -> Result<rrc::T_Reselection, LteRrcError> {
    match t.unwrap_or(1) {
        t @ 0..=7 => Ok(rrc::T_Reselection(t)),
        t => Err(bad(field, t)),
    }
}

fn q_rx_lev_min(v: Option<i32>, field: &'static str) -> Result<rrc::Q_RxLevMin, LteRrcError> {
    Ok(rrc::Q_RxLevMin(
        halve(v.unwrap_or(-140), -70, -22, field)? as i8
    ))
}

/// SIB3. Absent: thresholds 0 dB, `q_rx_lev_min_dbm` −140, `q_hyst_db` 0,
/// `t_reselection_eutra_s` 1, `cell_reselection_priority` 0.
fn sib3_asn(s: &Sib3) -> Result<rrc::SystemInformationBlockType3, LteRrcError> {
    Ok(rrc::SystemInformationBlockType3 {
        cell_reselection_info_common: rrc::SystemInformationBlockType3CellReselectionInfoCommon {
            q_hyst: rrc::SystemInformationBlockType3CellReselectionInfoCommonQ_Hyst(index_of(
                &Q_HYST_DB,
                s.q_hyst_db.unwrap_or(0),
                "q_hyst_db",
            )?),
            speed_state_reselection_pars: None,
        },
        cell_reselection_serving_freq_info:
            rrc::SystemInformationBlockType3CellReselectionServingFreqInfo {
                s_non_intra_search: s
                    .s_non_intra_search_db
                    .map(|v| threshold(Some(v), "s_non_intra_search_db"))
                    .transpose()?,
                thresh_serving_low: threshold(s.thresh_serving_low_db, "thresh_serving_low_db")?,
                cell_reselection_priority: priority(
                    Some(s.cell_reselection_priority.unwrap_or(0)),
                    "cell_reselection_priority",
                )?
                .unwrap_or(rrc::CellReselectionPriority(0)),
            },
        intra_freq_cell_reselection_info:
            rrc::SystemInformationBlockType3IntraFreqCellReselectionInfo {
                q_rx_lev_min: q_rx_lev_min(s.q_rx_lev_min_dbm, "q_rx_lev_min_dbm")?,
                p_max: None,
                s_intra_search: s
                    .s_intra_search_db
                    .map(|v| threshold(Some(v), "s_intra_search_db"))
                    .transpose()?,
                allowed_meas_bandwidth: None,
                presence_antenna_port1: rrc::PresenceAntennaPort1(false),
                neigh_cell_config: rrc::NeighCellConfig(bits(0b01, 2)),
                t_reselection_eutra: t_reselection(
                    s.t_reselection_eutra_s,
                    "t_reselection_eutra_s",
                )?,
                t_reselection_eutra_sf: None,
            },
    })
}

fn pci(p: u16) -> Result<rrc::PhysCellId, LteRrcError> {
    if p <= 503 {
        Ok(rrc::PhysCellId(p))
    } else {
        Err(bad("pci", p))
    }
}

fn q_offset(q: Option<i32>) -> Result<rrc::Q_OffsetRange, LteRrcError> {
    Ok(rrc::Q_OffsetRange(index_of(
        &Q_OFFSET_DB,
        q.unwrap_or(0),
        "q_offset_db",
    )?))
}

fn pci_ranges(r: &[(u16, u16)]) -> Result<Vec<rrc::PhysCellIdRange>, LteRrcError> {
    r.iter()
        .map(|&(start, n)| {
            Ok(rrc::PhysCellIdRange {
                start: pci(start)?,
                range: if n == 1 {
                    None
                } else {
                    Some(rrc::PhysCellIdRangeRange(index_of(
                        &PCI_RANGE[..14],
                        n,
                        "blacklist count",
                    )?))
                },
            })
        })
        .collect()
}

fn list_len(n: usize, max: usize, field: &'static str) -> Result<(), LteRrcError> {
    if (1..=max).contains(&n) {
        Ok(())
    } else {
        Err(bad(field, n))
    }
}

/// SIB4 (absent `q_offset_db` is 0 dB).
fn sib4_asn(s: &Sib4) -> Result<rrc::SystemInformationBlockType4, LteRrcError> {
    let neigh = |n: &NeighbourCell| {
        Ok(rrc::IntraFreqNeighCellInfo {
            phys_cell_id: pci(n.pci)?,
            q_offset_cell: q_offset(n.q_offset_db)?,
        })
    };
    Ok(rrc::SystemInformationBlockType4 {
        intra_freq_neigh_cell_list: if s.neighbours.is_empty() {
            None
        } else {
            list_len(s.neighbours.len(), 16, "neighbours")?;
            Some(rrc::IntraFreqNeighCellList(
                s.neighbours
                    .iter()
                    .map(neigh)
                    .collect::<Result<_, LteRrcError>>()?,
            ))
        },
        intra_freq_black_cell_list: if s.blacklist.is_empty() {
            None
        } else {
            list_len(s.blacklist.len(), 16, "blacklist")?;
            Some(rrc::IntraFreqBlackCellList(pci_ranges(&s.blacklist)?))
        },
        csg_phys_cell_id_range: None,
    })
}

fn eutra_carrier(c: &EutraCarrier) -> Result<rrc::InterFreqCarrierFreqInfo, LteRrcError> {
    let earfcn = u16::try_from(c.earfcn).map_err(|_| bad("earfcn", c.earfcn))?;
    Ok(rrc::InterFreqCarrierFreqInfo {
        dl_carrier_freq: rrc::ARFCN_ValueEUTRA(earfcn),
        q_rx_lev_min: q_rx_lev_min(c.q_rx_lev_min_dbm, "q_rx_lev_min_dbm")?,
        p_max: c
            .p_max_dbm
            .map(|p| in_range(p, -30, 33, "p_max_dbm").map(|p| rrc::P_Max(p as i8)))
            .transpose()?,
        t_reselection_eutra: t_reselection(c.t_reselection_eutra_s, "t_reselection_eutra_s")?,
        t_reselection_eutra_sf: None,
        thresh_x_high: threshold(c.thresh_x_high_db, "thresh_x_high_db")?,
        thresh_x_low: threshold(c.thresh_x_low_db, "thresh_x_low_db")?,
        allowed_meas_bandwidth: rrc::AllowedMeasBandwidth(index_of(
            &BANDWIDTH_PRB,
            c.allowed_meas_bandwidth_prb.unwrap_or(6),
            "allowed_meas_bandwidth_prb",
        )?),
        presence_antenna_port1: rrc::PresenceAntennaPort1(false),
        cell_reselection_priority: priority(
            c.cell_reselection_priority,
            "cell_reselection_priority",
        )?,
        neigh_cell_config: rrc::NeighCellConfig(bits(0b01, 2)),
        q_offset_freq: match c.q_offset_freq_db {
            None | Some(0) => None,
            q => Some(q_offset(q)?),
        },
        inter_freq_neigh_cell_list: if c.neighbours.is_empty() {
            None
        } else {
            list_len(c.neighbours.len(), 16, "neighbours")?;
            Some(rrc::InterFreqNeighCellList(
                c.neighbours
                    .iter()
                    .map(|n| {
                        Ok(rrc::InterFreqNeighCellInfo {
                            phys_cell_id: pci(n.pci)?,
                            q_offset_cell: q_offset(n.q_offset_db)?,
                        })
                    })
                    .collect::<Result<_, LteRrcError>>()?,
            ))
        },
        inter_freq_black_cell_list: match &c.blacklist {
            Some(b) if !b.is_empty() => {
                list_len(b.len(), 16, "blacklist")?;
                Some(rrc::InterFreqBlackCellList(pci_ranges(b)?))
            }
            _ => None,
        },
    })
}

/// SIB5 (1–8 carriers). Absent `q_offset_freq_db` is 0 dB; `allowed_meas_bandwidth_prb` 6.
fn sib5_asn(s: &Sib5) -> Result<rrc::SystemInformationBlockType5, LteRrcError> {
    list_len(s.carriers.len(), 8, "carriers")?;
    Ok(rrc::SystemInformationBlockType5 {
        inter_freq_carrier_freq_list: rrc::InterFreqCarrierFreqList(
            s.carriers
                .iter()
                .map(eutra_carrier)
                .collect::<Result<_, _>>()?,
        ),
    })
}

fn utra_q_rx(v: Option<i32>) -> Result<i8, LteRrcError> {
    let v = v.unwrap_or(-119);
    if (v - 1) % 2 != 0 {
        return Err(bad("q_rx_lev_min_dbm", v));
    }
    Ok(in_range((v - 1) / 2, -60, -13, "q_rx_lev_min_dbm")? as i8)
}

fn uarfcn(u: u16) -> Result<rrc::ARFCN_ValueUTRA, LteRrcError> {
    if u <= 16383 {
        Ok(rrc::ARFCN_ValueUTRA(u))
    } else {
        Err(bad("uarfcn", u))
    }
}

/// SIB6: FDD carriers first, then TDD carriers (the order the decoder returns them in).
/// Absent `q_rx_lev_min_dbm` is −119 dBm; thresholds 0 dB.
fn sib6_asn(s: &Sib6) -> Result<rrc::SystemInformationBlockType6, LteRrcError> {
    let fdd: Vec<&UtraCarrier> = s.carriers.iter().filter(|c| !c.tdd).collect();
    let tdd: Vec<&UtraCarrier> = s.carriers.iter().filter(|c| c.tdd).collect();
    if s.carriers.iter().skip_while(|c| !c.tdd).any(|c| !c.tdd) {
        return Err(bad("carriers", "FDD carrier after a TDD carrier"));
    }
    Ok(rrc::SystemInformationBlockType6 {
        carrier_freq_list_utra_fdd: if fdd.is_empty() {
            None
        } else {
            list_len(fdd.len(), 16, "carriers")?;
            Some(rrc::CarrierFreqListUTRA_FDD(
                fdd.iter()
                    .map(|c| {
                        Ok(rrc::CarrierFreqUTRA_FDD {
                            carrier_freq: uarfcn(c.uarfcn)?,
                            cell_reselection_priority: priority(
                                c.cell_reselection_priority,
                                "cell_reselection_priority",
                            )?,
                            thresh_x_high: rrc::ReselectionThreshold(0),
                            thresh_x_low: rrc::ReselectionThreshold(0),
                            q_rx_lev_min: rrc::CarrierFreqUTRA_FDDQ_RxLevMin(utra_q_rx(
                                c.q_rx_lev_min_dbm,
                            )?),
                            p_max_utra: rrc::CarrierFreqUTRA_FDDP_MaxUTRA(24),
                            q_qual_min: rrc::CarrierFreqUTRA_FDDQ_QualMin(-24),
                        })
                    })
                    .collect::<Result<_, LteRrcError>>()?,
            ))
        },
        carrier_freq_list_utra_tdd: if tdd.is_empty() {
            None
        } else {
            list_len(tdd.len(), 16, "carriers")?;
            Some(rrc::CarrierFreqListUTRA_TDD(
                tdd.iter()
                    .map(|c| {
                        Ok(rrc::CarrierFreqUTRA_TDD {
                            carrier_freq: uarfcn(c.uarfcn)?,
                            cell_reselection_priority: priority(
                                c.cell_reselection_priority,
                                "cell_reselection_priority",
                            )?,
                            thresh_x_high: rrc::ReselectionThreshold(0),
                            thresh_x_low: rrc::ReselectionThreshold(0),
                            q_rx_lev_min: rrc::CarrierFreqUTRA_TDDQ_RxLevMin(utra_q_rx(
                                c.q_rx_lev_min_dbm,
                            )?),
                            p_max_utra: rrc::CarrierFreqUTRA_TDDP_MaxUTRA(24),
                        })
                    })
                    .collect::<Result<_, LteRrcError>>()?,
            ))
        },
        t_reselection_utra: rrc::T_Reselection(1),
        t_reselection_utra_sf: None,
    })
}

fn geran_carrier(c: &GeranCarrier) -> Result<rrc::CarrierFreqsInfoGERAN, LteRrcError> {
    let (&start, rest) = c
        .arfcns
        .split_first()
        .ok_or_else(|| bad("arfcns", "empty"))?;
    if rest.len() > 31 {
        return Err(bad("arfcns", c.arfcns.len()));
    }
    let arfcn = |a: u16| {
        if a <= 1023 {
            Ok(rrc::ARFCN_ValueGERAN(a))
        } else {
            Err(bad("arfcns", a))
        }
    };
    let band = match c.band_indicator.as_deref() {
        None | Some("dcs1800") => rrc::BandIndicatorGERAN::DCS1800,
        Some("pcs1900") => rrc::BandIndicatorGERAN::PCS1900,
        Some(other) => return Err(bad("band_indicator", other)),
    };
    let q = c.q_rx_lev_min_dbm.unwrap_or(-115);
    if (q + 115) % 2 != 0 {
        return Err(bad("q_rx_lev_min_dbm", q));
    }
    Ok(rrc::CarrierFreqsInfoGERAN {
        carrier_freqs: rrc::CarrierFreqsGERAN {
            starting_arfcn: arfcn(start)?,
            band_indicator: rrc::BandIndicatorGERAN(band),
            following_arfc_ns: rrc::CarrierFreqsGERANFollowingARFCNs::ExplicitListOfARFCNs(
                rrc::ExplicitListOfARFCNs(
                    rest.iter().map(|&a| arfcn(a)).collect::<Result<_, _>>()?,
                ),
            ),
        },
        common_info: rrc::CarrierFreqsInfoGERANCommonInfo {
            cell_reselection_priority: priority(
                c.cell_reselection_priority,
                "cell_reselection_priority",
            )?,
            ncc_permitted: rrc::CarrierFreqsInfoGERANCommonInfoNcc_Permitted(bits(0xFF, 8)),
            q_rx_lev_min: rrc::CarrierFreqsInfoGERANCommonInfoQ_RxLevMin(in_range(
                (q + 115) / 2,
                0,
                45,
                "q_rx_lev_min_dbm",
            )? as u8),
            p_max_geran: None,
            thresh_x_high: rrc::ReselectionThreshold(0),
            thresh_x_low: rrc::ReselectionThreshold(0),
        },
    })
}

/// SIB7: each carrier group as its first ARFCN plus an explicit list of the rest.
/// Absent `q_rx_lev_min_dbm` is −115 dBm; `band_indicator` dcs1800.
fn sib7_asn(s: &Sib7) -> Result<rrc::SystemInformationBlockType7, LteRrcError> {
    Ok(rrc::SystemInformationBlockType7 {
        t_reselection_geran: rrc::T_Reselection(1),
        t_reselection_geran_sf: None,
        carrier_freqs_info_list: if s.carriers.is_empty() {
            None
        } else {
            list_len(s.carriers.len(), 16, "carriers")?;
            Some(rrc::CarrierFreqsInfoListGERAN(
                s.carriers
                    .iter()
                    .map(geran_carrier)
                    .collect::<Result<_, _>>()?,
            ))
        },
    })
}
