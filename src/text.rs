//! Text as a reader sees it: where an offset falls (line and column), and
//! which characters change or hide what is shown without showing
//! themselves. The scan's rules, excerpts and guard's terminal output share
//! these, so that they cannot drift apart.

/// 1-based line and column (in characters) of byte `offset` in `text`; an
/// offset past the end or inside a character counts from the character
/// boundary before it.
pub fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Whether `c` changes or hides what a reader sees: a control character,
/// a bidirectional control or mark, a zero-width or other invisible format
/// character, a Unicode tag.
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || is_bidi_control(c)
        || is_zero_width(c)
        || is_tag(c)
        || matches!(
            c,
            '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{2061}'..='\u{2064}'
        )
}

/// A Unicode tag character (U+E0000–U+E007F): invisible, yet read by
/// models as the ASCII it shadows.
pub fn is_tag(c: char) -> bool {
    ('\u{E0000}'..='\u{E007F}').contains(&c)
}

/// A bidirectional embedding, override or isolate: reorders what follows.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A character that takes no width: zero-width space, joiners, word
/// joiner, byte-order mark, Mongolian vowel separator.
pub fn is_zero_width(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{180E}'
    )
}

/// `text` with control, bidi-control and other invisible format characters
/// replaced by `\u{…}` escapes, for a terminal: what a confined process
/// chose (paths, argv) could otherwise rewrite what the reader sees.
pub fn for_terminal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_hidden(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        assert_eq!(line_and_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_and_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_and_column("é\nüx", 5), (2, 2));
        assert_eq!(line_and_column("é", 1), (1, 1));
        assert_eq!(line_and_column("ab", 99), (1, 3));
    }

    #[test]
    fn what_hides_is_hidden_and_what_shows_is_not() {
        for c in [
            '\x1b',
            '\n',
            '\u{202E}',
            '\u{2067}',
            '\u{200B}',
            '\u{200F}',
            '\u{E0041}',
        ] {
            assert!(is_hidden(c), "{:04X}", c as u32);
        }
        for c in ['a', 'ü', ' ', '\u{4E2D}', '\u{1F600}'] {
            assert!(!is_hidden(c), "{:04X}", c as u32);
        }
    }

    #[test]
    fn escapes_what_a_terminal_would_act_on() {
        assert_eq!(for_terminal("a\x1b[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(for_terminal("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(for_terminal("plain/path ü"), "plain/path ü");
    }
}
