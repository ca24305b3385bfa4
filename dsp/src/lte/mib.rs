//! MasterInformationBlock, TS 36.331 §6.2.2 (BCCH-BCH-Message), carried by the
//! PBCH (TS 36.212 §5.3.1).
//!
//! Bit layout (24 bits, UPER of a fixed-size SEQUENCE): dl-Bandwidth (3 bits,
//! n6..n100), phich-Duration (1), phich-Resource (2: oneSixth, half, one, two),
//! systemFrameNumber (8 MSBs of the SFN), spare/Rel-13 fields (10, ignored).

use serde::{Deserialize, Serialize};

/// PRB counts of dl-Bandwidth n6, n15, n25, n50, n75, n100.
pub const NOF_PRB: [u8; 6] = [6, 15, 25, 50, 75, 100];

/// phich-Duration (TS 36.331 PHICH-Config).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhichDuration {
    /// normal
    Normal,
    /// extended
    Extended,
}

/// phich-Resource `N_g` (TS 36.331 PHICH-Config).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhichResource {
    /// N_g = 1/6
    OneSixth,
    /// N_g = 1/2
    Half,
    /// N_g = 1
    One,
    /// N_g = 2
    Two,
}

impl PhichResource {
    /// `N_g` as a number.
    pub fn ng(self) -> f32 {
        match self {
            PhichResource::OneSixth => 1.0 / 6.0,
            PhichResource::Half => 0.5,
            PhichResource::One => 1.0,
            PhichResource::Two => 2.0,
        }
    }
}

/// A decoded MIB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Mib {
    /// Downlink bandwidth in PRB (6, 15, 25, 50, 75, 100).
    pub nof_prb: u8,
    /// Cell-specific antenna ports (1, 2, 4), from the PBCH CRC mask (TS 36.212 §5.3.1.1).
    pub ports: u8,
    /// PHICH duration.
    pub phich_duration: PhichDuration,
    /// PHICH resource.
    pub phich_resource: PhichResource,
    /// Full system frame number (8 MSBs from the MIB, 2 LSBs from the PBCH 40 ms phase)
    /// of the first frame of the PBCH block.
    pub sfn: u16,
    /// The 24 MIB bits as received (0/1).
    pub bits: [u8; 24],
}

/// A MIB bit pattern with an invalid field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MibError {
    /// dl-Bandwidth code 6 or 7.
    #[error("dl-Bandwidth code {0} is not defined")]
    Bandwidth(u8),
}

fn field(bits: &[u8], from: usize, n: usize) -> u16 {
    bits[from..from + n]
        .iter()
        .fold(0u16, |a, &b| (a << 1) | u16::from(b & 1))
}

impl Mib {
    /// Parses the 24 bits; `sfn_lsb` (0..4) is the PBCH block's position in the 40 ms
    /// period and `ports` the port count the CRC mask gave.
    pub fn from_bits(bits: &[u8; 24], sfn_lsb: u8, ports: u8) -> Result<Mib, MibError> {
        let bw = field(bits, 0, 3) as u8;
        let nof_prb = *NOF_PRB.get(bw as usize).ok_or(MibError::Bandwidth(bw))?;
        let phich_duration = if bits[3] & 1 == 0 {
            PhichDuration::Normal
        } else {
            PhichDuration::Extended
        };
        let phich_resource = match field(bits, 4, 2) {
            0 => PhichResource::OneSixth,
            1 => PhichResource::Half,
            2 => PhichResource::One,
            _ => PhichResource::Two,
        };
        let sfn = (field(bits, 6, 8) << 2) | u16::from(sfn_lsb & 3);
        let mut b = [0u8; 24];
        for (o, &i) in b.iter_mut().zip(bits) {
            *o = i & 1;
        }
        Ok(Mib {
            nof_prb,
            ports,
            phich_duration,
            phich_resource,
            sfn,
            bits: b,
        })
    }

    /// Builds the 24 bits (spare bits zero) for the given fields; `nof_prb` must be in [`NOF_PRB`].
    pub fn encode(
        nof_prb: u8,
        phich_duration: PhichDuration,
        phich_resource: PhichResource,
        sfn: u16,
    ) -> Result<[u8; 24], MibError> {
        let bw = NOF_PRB
            .iter()
            .position(|&p| p == nof_prb)
            .ok_or(MibError::Bandwidth(nof_prb))? as u16;
        let res = match phich_resource {
            PhichResource::OneSixth => 0,
            PhichResource::Half => 1,
            PhichResource::One => 2,
            PhichResource::Two => 3,
        };
        let dur = u16::from(phich_duration == PhichDuration::Extended);
        let v: u32 = (u32::from(bw) << 21)
            | (u32::from(dur) << 20)
            | (res << 18)
            | (u32::from((sfn >> 2) & 0xFF) << 10);
        let mut b = [0u8; 24];
        for (i, o) in b.iter_mut().enumerate() {
            *o = ((v >> (23 - i)) & 1) as u8;
        }
        Ok(b)
    }

    /// The raw bits as a string of '0'/'1'.
    pub fn bits_string(&self) -> String {
        self.bits
            .iter()
            .map(|&b| if b == 0 { '0' } else { '1' })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell150_bits() {
        // srsRAN pbch_file_test expectation for signal.1.92M.dat.
        let bits: Vec<u8> = "011010000001110000000000"
            .bytes()
            .map(|c| c - b'0')
            .collect();
        let m = Mib::from_bits(&bits.clone().try_into().unwrap(), 0, 2).unwrap();
        assert_eq!(m.nof_prb, 50);
        assert_eq!(m.phich_duration, PhichDuration::Normal);
        assert_eq!(m.phich_resource, PhichResource::One);
        assert_eq!(m.sfn, 28);
        assert_eq!(
            Mib::encode(50, PhichDuration::Normal, PhichResource::One, 28)
                .unwrap()
                .to_vec(),
            bits
        );
        assert_eq!(m.bits_string(), "011010000001110000000000");
    }

    #[test]
    fn invalid_bandwidth() {
        let mut b = [0u8; 24];
        b[0] = 1;
        b[1] = 1;
        assert_eq!(Mib::from_bits(&b, 0, 1), Err(MibError::Bandwidth(6)));
        assert!(Mib::encode(7, PhichDuration::Normal, PhichResource::One, 0).is_err());
    }
}
