//! Ticket numbers `YYYYMMDD-NNN`: acceptance date in the service time zone and the
//! day's sequence (DOMAIN §2, e.g. `20240315-001`).

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::error::{DomainError, Reason};

/// A validated ticket number. The sequence has at least three digits and grows past 999
/// on a busy day (`20240315-1000`) rather than wrapping or failing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "openapi", schema(value_type = String, example = "20240315-001"))]
pub struct TicketNo(String);

impl TicketNo {
    pub fn new(date: Date, seq: u32) -> TicketNo {
        TicketNo(format!("{:04}{:02}{:02}-{:03}", date.year(), date.month(), date.day(), seq))
    }

    pub fn parse(s: &str) -> Result<TicketNo, DomainError> {
        let malformed = || {
            DomainError::field(
                "number",
                Reason::Malformed {
                    expected_en: "YYYYMMDD-NNN, e.g. 20240315-001",
                    expected_zh: "YYYYMMDD-NNN，如 20240315-001",
                },
            )
        };
        let (day, seq) = s.split_once('-').ok_or_else(malformed)?;
        if day.len() != 8 || !day.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed());
        }
        if seq.len() < 3 || !seq.bytes().all(|b| b.is_ascii_digit()) || seq.parse::<u32>().map_or(true, |n| n == 0) {
            return Err(malformed());
        }
        let year: i16 = day[0..4].parse().map_err(|_| malformed())?;
        let month: i8 = day[4..6].parse().map_err(|_| malformed())?;
        let dom: i8 = day[6..8].parse().map_err(|_| malformed())?;
        Date::new(year, month, dom).map_err(|_| malformed())?;
        Ok(TicketNo(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TicketNo {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        TicketNo::parse(&s).map_err(|e| e.to_string())
    }
}

impl From<TicketNo> for String {
    fn from(n: TicketNo) -> String {
        n.0
    }
}

impl std::fmt::Display for TicketNo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn formats_date_and_padded_sequence() {
        assert_eq!(TicketNo::new(date(2024, 3, 15), 1).as_str(), "20240315-001");
        assert_eq!(TicketNo::new(date(2024, 3, 15), 1000).as_str(), "20240315-1000");
    }

    #[test]
    fn parses_only_real_numbers() {
        assert!(TicketNo::parse("20240315-001").is_ok());
        for bad in ["20240315-01", "20241315-001", "2024031-001", "20240315001", "20240315-000", "x0240315-001"] {
            assert!(TicketNo::parse(bad).is_err(), "{bad}");
        }
    }
}
