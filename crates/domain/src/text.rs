//! What free text may hold (DESIGN: bad input gets a clear error naming the field).
//!
//! Text that people type holds letters, digits, punctuation, spaces, tabs and line breaks;
//! never a control character (Unicode category Cc). A NUL cannot be stored by PostgreSQL at
//! all, and the others (escape sequences, a lone carriage return that rewrites a line, the
//! C1 controls) are never typed by a person: they only arrive by accident or to deceive the
//! next reader of a log, an e-mail or an export. They are refused at the edge, naming the
//! field, before anything is stored.

/// The first character that multi-line free text (a description, a note, a form's
/// textarea) may not hold: any control character except tab, line feed, and a carriage
/// return that begins a CRLF line break. CRLF is allowed because browsers submit every
/// line break of a textarea as CRLF (HTML form submission), so refusing it would refuse
/// every multi-line form; a lone CR is refused, since nobody types one and it overwrites
/// the line before it on a terminal.
pub fn forbidden_in_text(text: &str) -> Option<char> {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\t' | '\n' => {}
            '\r' if chars.peek() == Some(&'\n') => {}
            c if c.is_control() => return Some(c),
            _ => {}
        }
    }
    None
}

/// The first character that a single-line value (a path segment, a query parameter, a
/// name, a number) may not hold: any control character, line breaks and tabs included.
pub fn forbidden_in_line(text: &str) -> Option<char> {
    text.chars().find(|c| c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_keeps_tabs_and_line_breaks_but_no_other_control_character() {
        assert_eq!(forbidden_in_text("第一行\n第二行\r\n\t缩进"), None);
        assert_eq!(forbidden_in_text("卡纸\0E02"), Some('\0'));
        assert_eq!(forbidden_in_text("覆盖\r上一行"), Some('\r'));
        assert_eq!(forbidden_in_text("结尾\r"), Some('\r'));
        assert_eq!(forbidden_in_text("\u{1b}[2J"), Some('\u{1b}'));
        assert_eq!(forbidden_in_text("C1 \u{85}"), Some('\u{85}'));
        assert_eq!(forbidden_in_text("\u{7f}"), Some('\u{7f}'));
        // Format characters (Cf) and private use are not controls: emoji joiners stay.
        assert_eq!(forbidden_in_text("👩\u{200d}🔧 工程师"), None);
    }

    #[test]
    fn a_single_line_refuses_line_breaks_and_tabs_too() {
        assert_eq!(forbidden_in_line("20240315-001"), None);
        assert_eq!(forbidden_in_line("a\nb"), Some('\n'));
        assert_eq!(forbidden_in_line("a\tb"), Some('\t'));
        assert_eq!(forbidden_in_line("a\0"), Some('\0'));
    }
}
