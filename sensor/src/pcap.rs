//! Decoded broadcast frames as GSMTAP in a pcap file, for Wireshark/tshark.
//!
//! File format: classic libpcap (magic `a1b2c3d4`, version 2.4, microsecond
//! timestamps, little-endian), link type [`LINKTYPE_IPV4`] (228): every record
//! is an IPv4 packet (RFC 791) carrying UDP (RFC 768) from and to the
//! IANA-assigned GSMTAP port [`GSMTAP_PORT`] (4729), where Wireshark's GSMTAP
//! dissector is bound. (Link type 217, `LINKTYPE_GSMTAP_UM`, exists in the
//! registry too, but dissectors do not reliably accept it: UDP is what every
//! GSMTAP tool writes.)
//!
//! GSMTAP version 2 header, 16 octets, all fields big-endian: version (2),
//! header length in 32-bit words (4), type, timeslot, ARFCN (bit 15: PCS
//! band, bit 14: uplink), signal level dBm (signed), SNR dB (signed), TDMA
//! frame number, sub-type, antenna number, sub-slot, reserved. The writer is
//! generic over [`GsmtapType`]: GSM Um frames (type 1, sub-type BCCH 1 / CCCH 2)
//! today; LTE RRC (type 0x0d, sub-type BCCH-DL-SCH 5) has its constants ready.

use std::io::{self, Write};
use towerwatch_models::Timestamp;

/// pcap link type: raw IPv4 packets.
pub const LINKTYPE_IPV4: u32 = 228;
/// UDP port of GSMTAP.
pub const GSMTAP_PORT: u16 = 4729;
/// GSMTAP ARFCN flag: PCS 1900 band.
pub const ARFCN_F_PCS: u16 = 0x8000;
/// GSMTAP ARFCN flag: uplink.
pub const ARFCN_F_UPLINK: u16 = 0x4000;
/// Largest packet kept (pcap snap length).
const SNAPLEN: u32 = 65_535;

/// GSMTAP payload types (the header's `type` octet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GsmtapType {
    /// GSM Um MAC blocks (type 0x01); sub-types [`UmChannel`].
    Um,
    /// LTE RRC messages (type 0x0d); sub-types [`LteRrcChannel`].
    LteRrc,
}

impl GsmtapType {
    /// The `type` octet.
    pub fn code(self) -> u8 {
        match self {
            GsmtapType::Um => 0x01,
            GsmtapType::LteRrc => 0x0d,
        }
    }
}

/// GSM Um logical channel sub-types (GSMTAP type 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UmChannel {
    /// BCCH (sub-type 1).
    Bcch,
    /// CCCH (sub-type 2).
    Ccch,
    /// SDCCH/4 (sub-type 7).
    Sdcch4,
    /// SACCH of an SDCCH/4 (sub-type 7 with the ACCH flag 0x80).
    Sacch4,
}

impl UmChannel {
    /// The `sub_type` octet.
    pub fn code(self) -> u8 {
        match self {
            UmChannel::Bcch => 1,
            UmChannel::Ccch => 2,
            UmChannel::Sdcch4 => 7,
            UmChannel::Sacch4 => 7 | 0x80,
        }
    }
}

/// LTE RRC message sub-types (GSMTAP type 0x0d).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LteRrcChannel {
    /// BCCH-BCH-Message (MIB), sub-type 4.
    BcchBch,
    /// BCCH-DL-SCH-Message (SIB1, SystemInformation), sub-type 5.
    BcchDlSch,
}

impl LteRrcChannel {
    /// The `sub_type` octet.
    pub fn code(self) -> u8 {
        match self {
            LteRrcChannel::BcchBch => 4,
            LteRrcChannel::BcchDlSch => 5,
        }
    }
}

/// A GSMTAP v2 header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GsmtapHeader {
    /// Payload type octet ([`GsmtapType::code`]).
    pub gsmtap_type: u8,
    /// Timeslot (0–7).
    pub timeslot: u8,
    /// ARFCN (0–1023; LTE: the low 16 bits of the EARFCN) with the flag bits.
    pub arfcn: u16,
    /// Signal level, dBm.
    pub signal_dbm: i8,
    /// Signal to noise ratio, dB.
    pub snr_db: i8,
    /// TDMA frame number (LTE: SFN).
    pub frame_number: u32,
    /// Sub-type octet ([`UmChannel::code`], [`LteRrcChannel::code`]).
    pub sub_type: u8,
    /// Antenna number.
    pub antenna: u8,
    /// Sub-slot.
    pub sub_slot: u8,
}

impl GsmtapHeader {
    /// Length of the header, octets.
    pub const LEN: usize = 16;

    /// A GSM Um header for a downlink block.
    pub fn um(
        arfcn: u16,
        pcs: bool,
        timeslot: u8,
        fnum: u32,
        ch: UmChannel,
        signal_dbm: f64,
        snr_db: f64,
    ) -> Self {
        GsmtapHeader {
            gsmtap_type: GsmtapType::Um.code(),
            timeslot,
            arfcn: (arfcn & 0x3FFF) | if pcs { ARFCN_F_PCS } else { 0 },
            signal_dbm: clamp_i8(signal_dbm),
            snr_db: clamp_i8(snr_db),
            frame_number: fnum,
            sub_type: ch.code(),
            antenna: 0,
            sub_slot: 0,
        }
    }

    /// The 16 header octets.
    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let mut h = [0u8; Self::LEN];
        h[0] = 2;
        h[1] = (Self::LEN / 4) as u8;
        h[2] = self.gsmtap_type;
        h[3] = self.timeslot;
        h[4..6].copy_from_slice(&self.arfcn.to_be_bytes());
        h[6] = self.signal_dbm as u8;
        h[7] = self.snr_db as u8;
        h[8..12].copy_from_slice(&self.frame_number.to_be_bytes());
        h[12] = self.sub_type;
        h[13] = self.antenna;
        h[14] = self.sub_slot;
        h
    }

    /// Parses a header (version 2, length ≥ 4 words); returns it and the payload offset.
    pub fn parse(b: &[u8]) -> Option<(Self, usize)> {
        if b.len() < Self::LEN || b[0] != 2 {
            return None;
        }
        let len = usize::from(b[1]) * 4;
        if len < Self::LEN || len > b.len() {
            return None;
        }
        Some((
            GsmtapHeader {
                gsmtap_type: b[2],
                timeslot: b[3],
                arfcn: u16::from_be_bytes([b[4], b[5]]),
                signal_dbm: b[6] as i8,
                snr_db: b[7] as i8,
                frame_number: u32::from_be_bytes([b[8], b[9], b[10], b[11]]),
                sub_type: b[12],
                antenna: b[13],
                sub_slot: b[14],
            },
            len,
        ))
    }
}

fn clamp_i8(x: f64) -> i8 {
    if x.is_finite() {
        x.round().clamp(-128.0, 127.0) as i8
    } else {
        0
    }
}

/// The Internet checksum (RFC 1071) of `b`.
fn inet_checksum(b: &[u8]) -> u16 {
    let mut sum: u32 = b
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], c.get(1).copied().unwrap_or(0)])))
        .sum();
    while sum >> 16 != 0 {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    !(sum as u16)
}

/// An IPv4/UDP packet from 127.0.0.1:4729 to 127.0.0.1:4729 carrying `payload`
/// (UDP checksum 0: none, as RFC 768 allows over IPv4).
pub fn udp_ipv4(payload: &[u8]) -> Vec<u8> {
    let udp_len = 8 + payload.len();
    let total = 20 + udp_len;
    let mut p = Vec::with_capacity(total);
    p.extend_from_slice(&[0x45, 0x00]);
    p.extend_from_slice(&(total as u16).to_be_bytes());
    p.extend_from_slice(&[0, 0, 0x40, 0x00]); // id 0, don't fragment
    p.extend_from_slice(&[64, 17, 0, 0]); // TTL, UDP, checksum (below)
    p.extend_from_slice(&[127, 0, 0, 1, 127, 0, 0, 1]);
    let c = inet_checksum(&p[..20]);
    p[10..12].copy_from_slice(&c.to_be_bytes());
    p.extend_from_slice(&GSMTAP_PORT.to_be_bytes());
    p.extend_from_slice(&GSMTAP_PORT.to_be_bytes());
    p.extend_from_slice(&(udp_len as u16).to_be_bytes());
    p.extend_from_slice(&[0, 0]);
    p.extend_from_slice(payload);
    p
}

/// Writes GSMTAP packets into a pcap stream.
#[derive(Debug)]
pub struct PcapWriter<W: Write> {
    w: W,
    packets: usize,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the pcap global header.
    pub fn new(mut w: W) -> io::Result<Self> {
        w.write_all(&0xa1b2_c3d4u32.to_le_bytes())?;
        w.write_all(&2u16.to_le_bytes())?;
        w.write_all(&4u16.to_le_bytes())?;
        w.write_all(&0i32.to_le_bytes())?; // thiszone
        w.write_all(&0u32.to_le_bytes())?; // sigfigs
        w.write_all(&SNAPLEN.to_le_bytes())?;
        w.write_all(&LINKTYPE_IPV4.to_le_bytes())?;
        Ok(PcapWriter { w, packets: 0 })
    }

    /// One GSMTAP packet (header + payload) stamped `time`.
    pub fn write_gsmtap(
        &mut self,
        time: Timestamp,
        header: &GsmtapHeader,
        payload: &[u8],
    ) -> io::Result<()> {
        let mut g = header.to_bytes().to_vec();
        g.extend_from_slice(payload);
        let pkt = udp_ipv4(&g);
        let ns = time.unix_ns();
        let secs = ns.div_euclid(1_000_000_000);
        let usecs = ns.rem_euclid(1_000_000_000) / 1000;
        self.w.write_all(&(secs as u32).to_le_bytes())?;
        self.w.write_all(&(usecs as u32).to_le_bytes())?;
        let len = pkt.len() as u32;
        self.w.write_all(&len.to_le_bytes())?;
        self.w.write_all(&len.to_le_bytes())?;
        self.w.write_all(&pkt)?;
        self.packets += 1;
        Ok(())
    }

    /// Packets written so far.
    pub fn packets(&self) -> usize {
        self.packets
    }

    /// Flushes and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.w.flush()?;
        Ok(self.w)
    }
}

/// One record read back from a pcap written by [`PcapWriter`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GsmtapRecord {
    /// Seconds of the timestamp.
    pub ts_sec: u32,
    /// Microseconds of the timestamp.
    pub ts_usec: u32,
    /// The GSMTAP header.
    pub header: GsmtapHeader,
    /// The payload after it.
    pub payload: Vec<u8>,
}

/// Why a pcap could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PcapReadError {
    /// Not a little-endian microsecond pcap with link type IPv4.
    #[error("not a pcap of raw IPv4 packets")]
    Format,
    /// A record is cut off or not IPv4/UDP/GSMTAP.
    #[error("record {0} is malformed")]
    Record(usize),
}

/// Reads GSMTAP records back from pcap bytes (for tests and tools; bounded by the input).
pub fn read_gsmtap(b: &[u8]) -> Result<Vec<GsmtapRecord>, PcapReadError> {
    let u32_at = |at: usize| -> Option<u32> {
        Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
    };
    if u32_at(0) != Some(0xa1b2_c3d4) || u32_at(20) != Some(LINKTYPE_IPV4) {
        return Err(PcapReadError::Format);
    }
    let mut at = 24;
    let mut out = Vec::new();
    while at < b.len() {
        let i = out.len();
        let (Some(sec), Some(usec), Some(incl)) = (u32_at(at), u32_at(at + 4), u32_at(at + 8))
        else {
            return Err(PcapReadError::Record(i));
        };
        let start = at + 16;
        let pkt = b
            .get(start..start.saturating_add(incl as usize))
            .ok_or(PcapReadError::Record(i))?;
        at = start + incl as usize;
        let ihl = usize::from(pkt.first().ok_or(PcapReadError::Record(i))? & 0x0F) * 4;
        if pkt[0] >> 4 != 4 || pkt.get(9) != Some(&17) || ihl < 20 {
            return Err(PcapReadError::Record(i));
        }
        let udp = pkt.get(ihl..).ok_or(PcapReadError::Record(i))?;
        if udp.len() < 8 || u16::from_be_bytes([udp[2], udp[3]]) != GSMTAP_PORT {
            return Err(PcapReadError::Record(i));
        }
        let g = &udp[8..];
        let (header, off) = GsmtapHeader::parse(g).ok_or(PcapReadError::Record(i))?;
        out.push(GsmtapRecord {
            ts_sec: sec,
            ts_usec: usec,
            header,
            payload: g[off..].to_vec(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_octets_by_hand() {
        let h = GsmtapHeader::um(725, false, 0, 0x000D_2345, UmChannel::Bcch, -73.4, 12.6);
        assert_eq!(
            h.to_bytes(),
            [
                2,
                4,
                1,
                0,
                0x02,
                0xD5,
                (-73i8) as u8,
                13,
                0x00,
                0x0D,
                0x23,
                0x45,
                1,
                0,
                0,
                0
            ]
        );
        let h = GsmtapHeader::um(600, true, 3, 1, UmChannel::Ccch, f64::NAN, 500.0);
        let b = h.to_bytes();
        assert_eq!(u16::from_be_bytes([b[4], b[5]]), 0x8000 | 600);
        assert_eq!((b[3], b[6], b[7] as i8, b[12]), (3, 0, 127, 2));
        assert_eq!(GsmtapHeader::parse(&b), Some((h, 16)));
        assert_eq!(GsmtapHeader::parse(&b[..15]), None);
        let mut v1 = b;
        v1[0] = 1;
        assert_eq!(GsmtapHeader::parse(&v1), None);
    }

    #[test]
    fn ipv4_header_checksum_verifies() {
        let p = udp_ipv4(&[1, 2, 3]);
        assert_eq!(p.len(), 20 + 8 + 3);
        assert_eq!(u16::from_be_bytes([p[2], p[3]]), 31);
        // Summing a header with its checksum gives 0xFFFF, i.e. a checksum of 0.
        assert_eq!(inet_checksum(&p[..20]), 0);
        assert_eq!(u16::from_be_bytes([p[22], p[23]]), 4729);
        assert_eq!(u16::from_be_bytes([p[24], p[25]]), 11);
        // RFC 1071 example: 0001 f203 f4f5 f6f7 → sum ddf2, checksum 220d.
        assert_eq!(
            inet_checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            0x220d
        );
    }

    #[test]
    fn pcap_bytes_parse_back() {
        let t: Timestamp = "2026-11-21T23:40:00.123Z".parse().unwrap();
        let mut w = PcapWriter::new(Vec::new()).unwrap();
        let frame: Vec<u8> = (0u8..23).collect();
        let h1 = GsmtapHeader::um(93, false, 0, 857_108, UmChannel::Bcch, -60.0, 20.0);
        let h2 = GsmtapHeader::um(93, false, 0, 857_118, UmChannel::Ccch, -61.0, 19.0);
        w.write_gsmtap(t, &h1, &frame).unwrap();
        w.write_gsmtap(t, &h2, &frame[..5]).unwrap();
        assert_eq!(w.packets(), 2);
        let bytes = w.finish().unwrap();
        // Global header: magic, 2.4, snaplen, link type 228.
        assert_eq!(&bytes[..8], &[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0]);
        assert_eq!(&bytes[20..24], &[228, 0, 0, 0]);
        assert_eq!(bytes.len(), 24 + 2 * 16 + 2 * 44 + 23 + 5);
        let recs = read_gsmtap(&bytes).unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].header, h1);
        assert_eq!(recs[0].payload, frame);
        assert_eq!(recs[1].header, h2);
        assert_eq!(recs[1].payload, &frame[..5]);
        assert_eq!(recs[0].ts_sec, 1_795_304_400);
        assert_eq!(recs[0].ts_usec, 123_000);
        // Cut anywhere inside a record: an error, never a panic or a short read.
        for cut in 25..bytes.len() {
            if cut == 24 + 16 + 44 + 23 {
                continue; // a record boundary
            }
            assert!(read_gsmtap(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        assert_eq!(read_gsmtap(&bytes[..10]), Err(PcapReadError::Format));
    }

    #[test]
    fn lte_constants() {
        assert_eq!(GsmtapType::LteRrc.code(), 0x0d);
        assert_eq!(LteRrcChannel::BcchDlSch.code(), 5);
        assert_eq!(LteRrcChannel::BcchBch.code(), 4);
        assert_eq!(UmChannel::Sacch4.code(), 0x87);
    }

    mod fuzz {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            /// Hostile bytes: an error or records, never a panic.
            #[test]
            fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
                let _ = read_gsmtap(&bytes);
                let _ = GsmtapHeader::parse(&bytes);
            }

            /// A valid pcap with a mutated octet: never a panic.
            #[test]
            fn mutated_pcap_never_panics(at in 0usize..200, v in any::<u8>(), len in 0usize..40) {
                let mut w = PcapWriter::new(Vec::new()).unwrap();
                let h = GsmtapHeader::um(1, false, 0, 7, UmChannel::Ccch, -50.0, 10.0);
                w.write_gsmtap(Timestamp::from_unix_ms(0), &h, &vec![0x2b; len]).unwrap();
                w.write_gsmtap(Timestamp::from_unix_ms(5), &h, &[1, 2, 3]).unwrap();
                let mut b = w.finish().unwrap();
                let i = at % b.len();
                b[i] = v;
                if let Ok(recs) = read_gsmtap(&b) {
                    prop_assert!(recs.len() <= 2);
                }
            }
        }
    }
}
