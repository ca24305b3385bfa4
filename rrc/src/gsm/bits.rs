//! Bit access for RR messages: MSB-first fields and CSN.1 L/H bits
//! (TS 44.018 §10.1 and TS 24.007 §11.2.3: L/H are relative to the 0x2B padding).

use super::GsmRrError;

/// The spare padding octet of rest octets, TS 44.018 §10.5.2.17-ff. and §10.1.
pub(crate) const PADDING: u8 = 0x2B;

/// Reads bit fields MSB first from an octet string. Every read is checked.
#[derive(Debug, Clone)]
pub(crate) struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
    end: usize,
}

impl<'a> BitReader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Self {
            data,
            pos: 0,
            end: data.len().saturating_mul(8),
        }
    }

    /// Bits left before the end.
    pub(crate) fn remaining(&self) -> usize {
        self.end.saturating_sub(self.pos)
    }

    /// Current bit position from the start of the data.
    #[cfg(test)]
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    fn raw_bit(&self, pos: usize) -> Result<u8, GsmRrError> {
        if pos >= self.end {
            return Err(GsmRrError::Truncated { bit: pos });
        }
        let byte = self
            .data
            .get(pos / 8)
            .ok_or(GsmRrError::Truncated { bit: pos })?;
        Ok((byte >> (7 - (pos % 8))) & 1)
    }

    /// One bit (0 or 1).
    pub(crate) fn bit(&mut self) -> Result<u8, GsmRrError> {
        let b = self.raw_bit(self.pos)?;
        self.pos += 1;
        Ok(b)
    }

    /// One bit as a flag.
    pub(crate) fn flag(&mut self) -> Result<bool, GsmRrError> {
        Ok(self.bit()? == 1)
    }

    /// `n` bits (at most 32), MSB first.
    pub(crate) fn bits(&mut self, n: usize) -> Result<u32, GsmRrError> {
        if n > 32 {
            return Err(GsmRrError::Invalid {
                field: "bit field width",
                value: n as u32,
            });
        }
        if n > self.remaining() {
            return Err(GsmRrError::Truncated { bit: self.end });
        }
        let mut v = 0u32;
        for _ in 0..n {
            v = (v << 1) | u32::from(self.bit()?);
        }
        Ok(v)
    }

    /// `n` bits (at most 8).
    pub(crate) fn u8(&mut self, n: usize) -> Result<u8, GsmRrError> {
        let n = n.min(8);
        Ok(self.bits(n)? as u8)
    }

    /// A CSN.1 L/H bit: `true` for H (the bit differs from the padding bit at
    /// this position of its octet), `false` for L. Positions are octet aligned
    /// to the start of the data, which must be the start of the rest octets.
    pub(crate) fn h(&mut self) -> Result<bool, GsmRrError> {
        let pad = (PADDING >> (7 - (self.pos % 8))) & 1;
        Ok(self.bit()? != pad)
    }

    /// An L/H bit where the message may end instead (`null | L | H`): end counts as L.
    pub(crate) fn h_or_end(&mut self) -> Result<bool, GsmRrError> {
        if self.remaining() == 0 {
            return Ok(false);
        }
        self.h()
    }

    /// Skip `n` bits.
    pub(crate) fn skip(&mut self, n: usize) -> Result<(), GsmRrError> {
        if n > self.remaining() {
            return Err(GsmRrError::Truncated { bit: self.end });
        }
        self.pos += n;
        Ok(())
    }

    /// A reader over the next `n` bits (a length-delimited CSN.1 container);
    /// this reader moves past them.
    pub(crate) fn take(&mut self, n: usize) -> Result<BitReader<'a>, GsmRrError> {
        if n > self.remaining() {
            return Err(GsmRrError::Truncated { bit: self.end });
        }
        let sub = BitReader {
            data: self.data,
            pos: self.pos,
            end: self.pos + n,
        };
        self.pos += n;
        Ok(sub)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_msb_first() {
        let mut r = BitReader::new(&[0b1010_0110, 0xFF]);
        assert_eq!(r.bits(3).unwrap(), 0b101);
        assert_eq!(r.bits(7).unwrap(), 0b001_1011);
        assert_eq!(r.remaining(), 6);
        assert!(r.bits(7).is_err());
        assert!(r.bits(33).is_err());
    }

    #[test]
    fn padding_reads_as_all_l() {
        let mut r = BitReader::new(&[PADDING, PADDING]);
        for _ in 0..16 {
            assert!(!r.h().unwrap());
        }
        assert!(!r.h_or_end().unwrap());
        assert!(r.h().is_err());
    }

    #[test]
    fn take_limits_the_sub_reader() {
        let mut r = BitReader::new(&[0xF0]);
        r.skip(1).unwrap();
        let mut s = r.take(3).unwrap();
        assert_eq!(s.bits(3).unwrap(), 0b111);
        assert!(s.bit().is_err());
        assert_eq!(r.position(), 4);
    }
}
