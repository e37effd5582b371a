//! Contact phone numbers: validated at the edge, masked for roles that do not need them
//! (DOMAIN §8).

use crate::error::Reason;

/// A phone number in one of the forms Chinese service desks receive: mobile
/// (`13800138000`, `+86 138 0013 8000`), landline with area code (`021-64001234`,
/// optionally `-808` or `转808` extension), service numbers (`400-820-1234`), or an
/// international number starting with `+`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

const MALFORMED: Reason = Reason::Malformed {
    expected_en: "a phone number such as 13800138000, 021-64001234 or +49 30 1234567",
    expected_zh: "电话号码，如 13800138000、021-64001234",
};

impl Phone {
    pub fn parse(raw: &str) -> Result<Phone, Reason> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(Reason::Missing);
        }
        // Split off an extension ("-808" after a full landline, "转808", "ext. 808").
        let (main, ext) = match trimmed.split_once('转').or_else(|| trimmed.split_once("ext")) {
            Some((m, e)) => (m, Some(e.trim_start_matches(['.', ' ']).trim())),
            None => (trimmed, None),
        };
        if let Some(e) = ext
            && (e.is_empty() || e.len() > 6 || !e.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(MALFORMED);
        }
        if !main.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '+' | '(' | ')')) {
            return Err(MALFORMED);
        }
        let international = main.starts_with('+');
        let digits: String = main.chars().filter(char::is_ascii_digit).collect();
        let ok = if international {
            let national = digits.strip_prefix("86");
            match national {
                Some(n) => is_cn_mobile(n) || is_cn_landline(n),
                None => (7..=15).contains(&digits.len()),
            }
        } else {
            is_cn_mobile(&digits)
                || is_cn_landline(&digits)
                || is_service_number(&digits)
                || is_landline_with_ext(&digits)
        };
        if ok { Ok(Phone(trimmed.to_owned())) } else { Err(MALFORMED) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_cn_mobile(d: &str) -> bool {
    d.len() == 11 && d.starts_with('1') && matches!(d.as_bytes()[1], b'3'..=b'9')
}

fn is_cn_landline(d: &str) -> bool {
    d.starts_with('0') && (10..=12).contains(&d.len())
}

fn is_landline_with_ext(d: &str) -> bool {
    d.starts_with('0') && (13..=16).contains(&d.len())
}

fn is_service_number(d: &str) -> bool {
    (d.starts_with("400") || d.starts_with("800")) && d.len() == 10
}

/// Masks the middle of a number for roles that have no need for it: `138****8000`.
pub fn mask(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    let digits = chars.iter().filter(|c| c.is_ascii_digit()).count();
    if digits < 7 {
        return "*".repeat(chars.len());
    }
    let (keep_head, keep_tail) = (3, 4);
    let mut seen = 0;
    chars
        .iter()
        .map(|&c| {
            if c.is_ascii_digit() {
                seen += 1;
                if seen > keep_head && seen <= digits - keep_tail { '*' } else { c }
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_numbers_desks_receive() {
        for ok in [
            "13800138000",
            "+86 138 0013 8000",
            "021-64001234",
            "0755-86001234-808",
            "010-6400123转808",
            "400-820-1234",
            "+49 30 1234567",
        ] {
            assert!(Phone::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_what_cannot_be_dialled() {
        for bad in ["12345", "1380013800", "23800138000", "138-0013-800a", "<script>", "13800138000转"] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Phone::parse("  "), Err(Reason::Missing));
    }

    #[test]
    fn masks_the_middle_digits() {
        assert_eq!(mask("13800138000"), "138****8000");
        assert_eq!(mask("021-64001234"), "021-****1234");
    }
}
