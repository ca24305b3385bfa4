//! Generated TS 36.331 types → `towerwatch_models::system_info`, with the unit
//! conversions of the field descriptions in TS 36.331 §6.3.1 and §6.3.4.

use super::asn::Sib1Asn;
use super::{LteBcch, LteRrcError, OtherSib};
use asn1_codecs::uper::UperCodec;
use asn1_codecs::PerCodecData;
use bitvec::prelude::{BitSlice, Msb0};
use towerwatch_models::system_info::{
    Cdma2000BandClass, EutraCarrier, GeranCarrier, NeighbourCell, SchedulingInfo, Sib1, Sib2, Sib3,
    Sib4, Sib5, Sib6, Sib7, Sib8, UtraCarrier,
};
use types_lte_3gpp::uper::spec_rrc as rrc;

/// `si-WindowLength` ms1 … ms40 (§6.2.2).
pub(crate) const SI_WINDOW_MS: [u16; 7] = [1, 2, 5, 10, 15, 20, 40];
/// `ul-Bandwidth` / `AllowedMeasBandwidth` n6 … n100 (§6.2.2, §6.3.5).
pub(crate) const BANDWIDTH_PRB: [u16; 6] = [6, 15, 25, 50, 75, 100];
/// `defaultPagingCycle` rf32 … rf256 (§6.3.2 PCCH-Config).
pub(crate) const PAGING_CYCLE_RF: [u16; 4] = [32, 64, 128, 256];
/// `t300` ms100 … ms2000 (§6.3.6 UE-TimersAndConstants).
pub(crate) const T300_MS: [u32; 8] = [100, 200, 300, 400, 600, 1000, 1500, 2000];
/// `q-Hyst` dB0 … dB24 (§6.3.1 SystemInformationBlockType3).
pub(crate) const Q_HYST_DB: [i32; 16] = [0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24];
/// `Q-OffsetRange` dB-24 … dB24 (§6.3.4).
pub(crate) const Q_OFFSET_DB: [i32; 31] = [
    -24, -22, -20, -18, -16, -14, -12, -10, -8, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 8, 10,
    12, 14, 16, 18, 20, 22, 24,
];
/// `PhysCellIdRange.range` n4 … n504 (§6.3.4); the two spare values map to 0.
pub(crate) const PCI_RANGE: [u16; 16] = [
    4, 8, 12, 16, 24, 32, 48, 64, 84, 96, 128, 168, 252, 504, 0, 0,
];

/// `FreqBandIndicator` value that defers to `freqBandIndicator-v9e0` (maxFBI, §6.3.4).
const MAX_FBI: u8 = 64;

fn table<T: Copy>(t: &[T], i: u8) -> Option<T> {
    t.get(usize::from(i)).copied()
}

/// `v` if it lies in the ASN.1 range `lo..=hi`, else [`LteRrcError::OutOfRange`].
fn range<T: Copy + Into<i64>>(
    field: &'static str,
    v: T,
    lo: i64,
    hi: i64,
) -> Result<T, LteRrcError> {
    let x: i64 = v.into();
    if (lo..=hi).contains(&x) {
        Ok(v)
    } else {
        Err(LteRrcError::OutOfRange { field, value: x })
    }
}

/// The entry of an ENUMERATED's value table, or [`LteRrcError::OutOfRange`].
fn entry<T: Copy>(field: &'static str, t: &[T], i: u8) -> Result<T, LteRrcError> {
    table(t, i).ok_or(LteRrcError::OutOfRange {
        field,
        value: i64::from(i),
    })
}

/// `Q-RxLevMin` (−70..−22) in dBm.
fn q_rx_lev_min(v: i8) -> Result<i32, LteRrcError> {
    Ok(i32::from(range("q-RxLevMin", v, -70, -22)?) * 2)
}

fn pci(v: u16) -> Result<u16, LteRrcError> {
    range("physCellId", v, 0, 503)
}

fn bits_to_u64(b: &BitSlice<u8, Msb0>) -> u64 {
    b.iter()
        .take(64)
        .fold(0u64, |a, bit| (a << 1) | u64::from(*bit))
}

fn digits(d: &[rrc::MCC_MNC_Digit]) -> Result<String, LteRrcError> {
    d.iter()
        .map(|x| Ok(char::from(b'0' + range("MCC-MNC-Digit", x.0, 0, 9)?)))
        .collect()
}

/// SIB1 (§6.2.2 `SystemInformationBlockType1`).
pub(crate) fn sib1(s: &Sib1Asn) -> Result<Sib1, LteRrcError> {
    let cari = &s.cell_access_related_info;
    range(
        "plmn-IdentityList size",
        cari.plmn_identity_list.0.len() as i64,
        1,
        6,
    )?;
    // §6.3.4 PLMN-Identity: an absent mcc takes the value of the preceding entry's.
    let mut plmns = Vec::with_capacity(cari.plmn_identity_list.0.len());
    let mut last_mcc: Option<String> = None;
    for p in &cari.plmn_identity_list.0 {
        if let Some(m) = &p.plmn_identity.mcc {
            last_mcc = Some(digits(&m.0)?);
        }
        let mcc = last_mcc.as_deref().ok_or(LteRrcError::MissingMcc)?;
        plmns.push(format!("{mcc}{}", digits(&p.plmn_identity.mnc.0)?));
    }
    let reserved = cari.plmn_identity_list.0.iter().any(|p| {
        p.cell_reserved_for_operator_use.0
            == rrc::PLMN_IdentityInfoCellReservedForOperatorUse::RESERVED
    });
    let mut band = u16::from(s.freq_band_indicator.0);
    if let Some(b) = band_v9e0(s) {
        if s.freq_band_indicator.0 == MAX_FBI {
            band = range("freqBandIndicator-v9e0", b, 65, 256)?;
        }
    }
    let scheduling = s
        .scheduling_info_list
        .0
        .iter()
        .map(|si| {
            Ok(SchedulingInfo {
                periodicity_rf: 8u16 << range("si-Periodicity", si.si_periodicity.0, 0, 6)?,
                sibs: si
                    .sib_mapping_info
                    .0
                    .iter()
                    .filter_map(|t| t.sib_number())
                    .collect(),
            })
        })
        .collect::<Result<_, LteRrcError>>()?;
    Ok(Sib1 {
        plmns,
        tac: Some(bits_to_u64(&cari.tracking_area_code.0) as u32),
        cell_identity: Some(bits_to_u64(&cari.cell_identity.0)),
        cell_barred: Some(cari.cell_barred.0 == rrc::SystemInformationBlockType1CellAccessRelatedInfoCellBarred::BARRED),
        cell_reserved_for_operator_use: Some(reserved),
        intra_freq_reselection: Some(
            cari.intra_freq_reselection.0
                == rrc::SystemInformationBlockType1CellAccessRelatedInfoIntraFreqReselection::ALLOWED,
        ),
        csg_indication: Some(cari.csg_indication.0),
        q_rx_lev_min_dbm: Some(q_rx_lev_min(s.cell_selection_info.q_rx_lev_min.0)?),
        p_max_dbm: s.p_max.as_ref().map(|p| i32::from(p.0)),
        freq_band_indicator: Some(band),
        si_window_ms: Some(entry("si-WindowLength", &SI_WINDOW_MS, s.si_window_length.0)?),
        system_info_value_tag: Some(s.system_info_value_tag.0),
        scheduling,
        tdd_subframe_assignment: s
            .tdd_config
            .as_ref()
            .map(|t| range("subframeAssignment", t.subframe_assignment.0, 0, 6))
            .transpose()?,
    })
}

/// `freqBandIndicator-v9e0` from SIB1's `lateNonCriticalExtension`
/// (`SystemInformationBlockType1-v8h0-IEs` → `-v9e0-IEs`), when present and decodable.
fn band_v9e0(s: &Sib1Asn) -> Option<u16> {
    let late = s
        .non_critical_extension
        .as_ref()?
        .late_non_critical_extension
        .as_ref()?;
    let mut data = PerCodecData::from_slice_uper(&late.0);
    let v8h0 = rrc::SystemInformationBlockType1_v8h0_IEs::uper_decode(&mut data).ok()?;
    v8h0.non_critical_extension?
        .freq_band_indicator_v9e0
        .map(|b| b.0)
}

/// Fills `out` from a `SystemInformation` message (§6.2.2).
pub(crate) fn system_information(
    si: rrc::SystemInformation,
    out: &mut LteBcch,
) -> Result<(), LteRrcError> {
    use rrc::SystemInformation_r8_IEsSib_TypeAndInfo_Entry as E;
    let ies = match si.critical_extensions {
        rrc::SystemInformationCriticalExtensions::SystemInformation_r8(ies) => ies,
        rrc::SystemInformationCriticalExtensions::CriticalExtensionsFuture_r15(_) => {
            return Err(LteRrcError::CriticalExtensionsFuture)
        }
    };
    for entry in ies.sib_type_and_info.0 {
        let n = match &entry {
            E::Sib2(s) => {
                out.sib2 = Some(sib2(s)?);
                2
            }
            E::Sib3(s) => {
                out.sib3 = Some(sib3(s)?);
                3
            }
            E::Sib4(s) => {
                out.sib4 = Some(sib4(s)?);
                4
            }
            E::Sib5(s) => {
                out.sib5 = Some(sib5(s)?);
                5
            }
            E::Sib6(s) => {
                out.sib6 = Some(sib6(s)?);
                6
            }
            E::Sib7(s) => {
                out.sib7 = Some(sib7(s)?);
                7
            }
            E::Sib8(s) => {
                out.sib8 = Some(sib8(s)?);
                8
            }
            E::Sib9(s) => other(9, s, out),
            E::Sib10(s) => other(10, s, out),
            E::Sib11(s) => other(11, s, out),
            E::Sib12_v920(s) => other(12, s, out),
            E::Sib13_v920(s) => other(13, s, out),
            E::Sib14_v1130(s) => other(14, s, out),
            E::Sib15_v1130(s) => other(15, s, out),
            E::Sib16_v1130(s) => other(16, s, out),
            E::Sib17_v1250(s) => other(17, s, out),
            E::Sib18_v1250(s) => other(18, s, out),
            E::Sib19_v1250(s) => other(19, s, out),
            E::Sib20_v1310(s) => other(20, s, out),
            E::Sib21_v1430(s) => other(21, s, out),
            E::Sib24_v1530(s) => other(24, s, out),
            E::Sib25_v1530(s) => other(25, s, out),
            E::Sib26_v1530(s) => other(26, s, out),
            E::Sib26a_v1610(s) => other(26, s, out),
            E::Sib27_v1610(s) => other(27, s, out),
            E::Sib28_v1610(s) => other(28, s, out),
            E::Sib29_v1610(s) => other(29, s, out),
        };
        out.sib_types.push(n);
    }
    Ok(())
}

/// Keeps an unmapped SIB as its own UPER re-encoding; returns its number.
fn other<T: UperCodec>(n: u8, s: &T, out: &mut LteBcch) -> u8 {
    let mut data = PerCodecData::new_uper();
    // The generated encoders are total for decoded values, but a failure (or a
    // panic in an encoder this crate never exercised) must not lose the SIB list.
    let uper = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| s.uper_encode(&mut data)))
        .ok()
        .and_then(Result::ok)
        .map(|()| data.into_bytes())
        .unwrap_or_default();
    out.other.push(OtherSib { sib_type: n, uper });
    n
}

/// SIB2 (§6.3.1 `SystemInformationBlockType2`).
pub(crate) fn sib2(s: &rrc::SystemInformationBlockType2) -> Result<Sib2, LteRrcError> {
    let rr = &s.radio_resource_config_common;
    Ok(Sib2 {
        ac_barring: Some(s.ac_barring_info.as_ref().is_some_and(|a| {
            a.ac_barring_for_mo_data.is_some() || a.ac_barring_for_mo_signalling.is_some()
        })),
        ul_earfcn: s.freq_info.ul_carrier_freq.as_ref().map(|f| u32::from(f.0)),
        ul_nof_prb: s
            .freq_info
            .ul_bandwidth
            .as_ref()
            .map(|b| entry("ul-Bandwidth", &BANDWIDTH_PRB, b.0))
            .transpose()?,
        reference_signal_power_dbm: Some(i32::from(range(
            "referenceSignalPower",
            rr.pdsch_config_common.reference_signal_power.0,
            -60,
            50,
        )?)),
        default_paging_cycle_rf: table(&PAGING_CYCLE_RF, rr.pcch_config.default_paging_cycle.0),
        t300_ms: table(&T300_MS, s.ue_timers_and_constants.t300.0),
        prach_root_sequence_index: Some(range(
            "rootSequenceIndex",
            rr.prach_config.root_sequence_index.0,
            0,
            837,
        )?),
    })
}

/// SIB3 (§6.3.1 `SystemInformationBlockType3`). `ReselectionThreshold` values are × 2 dB.
pub(crate) fn sib3(s: &rrc::SystemInformationBlockType3) -> Result<Sib3, LteRrcError> {
    let sf = &s.cell_reselection_serving_freq_info;
    let intra = &s.intra_freq_cell_reselection_info;
    Ok(Sib3 {
        cell_reselection_priority: Some(sf.cell_reselection_priority.0),
        q_hyst_db: table(&Q_HYST_DB, s.cell_reselection_info_common.q_hyst.0),
        thresh_serving_low_db: Some(i32::from(sf.thresh_serving_low.0) * 2),
        s_non_intra_search_db: sf.s_non_intra_search.as_ref().map(|x| i32::from(x.0) * 2),
        s_intra_search_db: intra.s_intra_search.as_ref().map(|x| i32::from(x.0) * 2),
        q_rx_lev_min_dbm: Some(q_rx_lev_min(intra.q_rx_lev_min.0)?),
        t_reselection_eutra_s: Some(intra.t_reselection_eutra.0),
    })
}

fn pci_ranges(r: &[rrc::PhysCellIdRange]) -> Result<Vec<(u16, u16)>, LteRrcError> {
    r.iter()
        .map(|x| {
            Ok((
                pci(x.start.0)?,
                x.range
                    .as_ref()
                    .map_or(1, |n| table(&PCI_RANGE, n.0).unwrap_or(0)),
            ))
        })
        .collect()
}

fn neighbour(pci_v: u16, q: u8) -> Result<NeighbourCell, LteRrcError> {
    Ok(NeighbourCell {
        pci: pci(pci_v)?,
        q_offset_db: Some(entry("q-OffsetCell", &Q_OFFSET_DB, q)?),
    })
}

/// SIB4 (§6.3.1 `SystemInformationBlockType4`).
pub(crate) fn sib4(s: &rrc::SystemInformationBlockType4) -> Result<Sib4, LteRrcError> {
    Ok(Sib4 {
        neighbours: s
            .intra_freq_neigh_cell_list
            .as_ref()
            .map(|l| {
                l.0.iter()
                    .map(|n| neighbour(n.phys_cell_id.0, n.q_offset_cell.0))
                    .collect()
            })
            .transpose()?
            .unwrap_or_default(),
        blacklist: s
            .intra_freq_black_cell_list
            .as_ref()
            .map(|l| pci_ranges(&l.0))
            .transpose()?
            .unwrap_or_default(),
    })
}

/// SIB5 (§6.3.1 `SystemInformationBlockType5`, `InterFreqCarrierFreqInfo`).
pub(crate) fn sib5(s: &rrc::SystemInformationBlockType5) -> Result<Sib5, LteRrcError> {
    let carrier = |c: &rrc::InterFreqCarrierFreqInfo| -> Result<EutraCarrier, LteRrcError> {
        Ok(EutraCarrier {
            earfcn: u32::from(c.dl_carrier_freq.0),
            cell_reselection_priority: c.cell_reselection_priority.as_ref().map(|p| p.0),
            q_rx_lev_min_dbm: Some(q_rx_lev_min(c.q_rx_lev_min.0)?),
            thresh_x_high_db: Some(i32::from(c.thresh_x_high.0) * 2),
            thresh_x_low_db: Some(i32::from(c.thresh_x_low.0) * 2),
            allowed_meas_bandwidth_prb: Some(entry(
                "allowedMeasBandwidth",
                &BANDWIDTH_PRB,
                c.allowed_meas_bandwidth.0,
            )?),
            neighbours: c
                .inter_freq_neigh_cell_list
                .as_ref()
                .map(|l| {
                    l.0.iter()
                        .map(|n| neighbour(n.phys_cell_id.0, n.q_offset_cell.0))
                        .collect()
                })
                .transpose()?
                .unwrap_or_default(),
            p_max_dbm: c.p_max.as_ref().map(|p| i32::from(p.0)),
            // q-OffsetFreq DEFAULT dB0.
            q_offset_freq_db: Some(
                c.q_offset_freq
                    .as_ref()
                    .map(|q| entry("q-OffsetFreq", &Q_OFFSET_DB, q.0))
                    .transpose()?
                    .unwrap_or(0),
            ),
            blacklist: c
                .inter_freq_black_cell_list
                .as_ref()
                .map(|l| pci_ranges(&l.0))
                .transpose()?,
            t_reselection_eutra_s: Some(c.t_reselection_eutra.0),
        })
    };
    Ok(Sib5 {
        carriers: s
            .inter_freq_carrier_freq_list
            .0
            .iter()
            .map(carrier)
            .collect::<Result<_, _>>()?,
    })
}

/// SIB6 (§6.3.1 `SystemInformationBlockType6`): FDD carriers, then TDD carriers.
/// UTRA `q-RxLevMin` is IE × 2 + 1 dBm.
pub(crate) fn sib6(s: &rrc::SystemInformationBlockType6) -> Result<Sib6, LteRrcError> {
    let q = |v: i8| -> Result<Option<i32>, LteRrcError> {
        Ok(Some(
            i32::from(range("q-RxLevMin UTRA", v, -60, -13)?) * 2 + 1,
        ))
    };
    let mut carriers = Vec::new();
    for c in s.carrier_freq_list_utra_fdd.iter().flat_map(|l| &l.0) {
        carriers.push(UtraCarrier {
            uarfcn: c.carrier_freq.0,
            tdd: false,
            cell_reselection_priority: c.cell_reselection_priority.as_ref().map(|p| p.0),
            q_rx_lev_min_dbm: q(c.q_rx_lev_min.0)?,
        });
    }
    for c in s.carrier_freq_list_utra_tdd.iter().flat_map(|l| &l.0) {
        carriers.push(UtraCarrier {
            uarfcn: c.carrier_freq.0,
            tdd: true,
            cell_reselection_priority: c.cell_reselection_priority.as_ref().map(|p| p.0),
            q_rx_lev_min_dbm: q(c.q_rx_lev_min.0)?,
        });
    }
    Ok(Sib6 { carriers })
}

/// The ARFCNs of a `CarrierFreqsGERAN` (§6.3.4): the starting ARFCN and the following ones.
pub(crate) fn geran_arfcns(c: &rrc::CarrierFreqsGERAN) -> Vec<u16> {
    let start = c.starting_arfcn.0;
    let mut v = vec![start];
    match &c.following_arfc_ns {
        rrc::CarrierFreqsGERANFollowingARFCNs::ExplicitListOfARFCNs(l) => {
            v.extend(l.0.iter().map(|a| a.0))
        }
        rrc::CarrierFreqsGERANFollowingARFCNs::EquallySpacedARFCNs(e) => {
            let sp = u16::from(e.arfcn_spacing.0);
            v.extend(
                (1..=u16::from(e.number_of_following_arfc_ns.0)).map(|n| (start + n * sp) % 1024),
            );
        }
        rrc::CarrierFreqsGERANFollowingARFCNs::VariableBitMapOfARFCNs(b) => {
            // Leading bit of the first octet is startingARFCN + 1 (mod 1024).
            let bits = BitSlice::<u8, Msb0>::from_slice(&b.0);
            v.extend(
                bits.iter_ones()
                    .map(|i| ((usize::from(start) + i + 1) % 1024) as u16),
            );
        }
    }
    v
}

/// SIB7 (§6.3.1 `SystemInformationBlockType7`). GERAN `q-RxLevMin` is IE × 2 − 115 dBm.
pub(crate) fn sib7(s: &rrc::SystemInformationBlockType7) -> Result<Sib7, LteRrcError> {
    Ok(Sib7 {
        carriers: s
            .carrier_freqs_info_list
            .as_ref()
            .map(|l| {
                l.0.iter()
                    .map(|c| {
                        Ok(GeranCarrier {
                            arfcns: geran_arfcns(&c.carrier_freqs),
                            band_indicator: Some(
                                if c.carrier_freqs.band_indicator.0
                                    == rrc::BandIndicatorGERAN::PCS1900
                                {
                                    "pcs1900"
                                } else {
                                    "dcs1800"
                                }
                                .to_string(),
                            ),
                            cell_reselection_priority: c
                                .common_info
                                .cell_reselection_priority
                                .as_ref()
                                .map(|p| p.0),
                            q_rx_lev_min_dbm: Some(
                                i32::from(range(
                                    "q-RxLevMin GERAN",
                                    c.common_info.q_rx_lev_min.0,
                                    0,
                                    45,
                                )?) * 2
                                    - 115,
                            ),
                        })
                    })
                    .collect::<Result<_, LteRrcError>>()
            })
            .transpose()?
            .unwrap_or_default(),
    })
}

/// SIB8 (§6.3.1 `SystemInformationBlockType8`): HRPD band classes, then 1xRTT band classes.
pub(crate) fn sib8(s: &rrc::SystemInformationBlockType8) -> Result<Sib8, LteRrcError> {
    let mut band_classes = Vec::new();
    let lists = [
        s.parameters_hrpd
            .as_ref()
            .and_then(|p| p.cell_reselection_parameters_hrpd.as_ref()),
        s.parameters1_xrtt
            .as_ref()
            .and_then(|p| p.cell_reselection_parameters1_xrtt.as_ref()),
    ];
    for l in lists.into_iter().flatten() {
        band_classes.extend(l.band_class_list.0.iter().map(|b| Cdma2000BandClass {
            band_class: b.band_class.0,
            cell_reselection_priority: b.cell_reselection_priority.as_ref().map(|p| p.0),
        }));
    }
    Ok(Sib8 { band_classes })
}
