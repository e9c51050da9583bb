//! Path globs for `guard log show --path`: `*` and `?` stay within one path
//! component, `**` crosses components.

/// Whether `text` matches `pattern`.
pub fn matches(pattern: &str, text: &str) -> bool {
    matches_bytes(pattern.as_bytes(), text.as_bytes())
}

fn matches_bytes(pattern: &[u8], text: &[u8]) -> bool {
    match pattern {
        [] => text.is_empty(),
        [b'*', b'*', rest @ ..] => (0..=text.len()).any(|skip| matches_bytes(rest, &text[skip..])),
        [b'*', rest @ ..] => (0..=text.len())
            .take_while(|&skip| skip == 0 || text[skip - 1] != b'/')
            .any(|skip| matches_bytes(rest, &text[skip..])),
        [b'?', rest @ ..] => {
            text.first().is_some_and(|&c| c != b'/') && matches_bytes(rest, &text[1..])
        }
        [c, rest @ ..] => text.first() == Some(c) && matches_bytes(rest, &text[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn single_and_double_stars() {
        assert!(matches("/repo/*.rs", "/repo/main.rs"));
        assert!(!matches("/repo/*.rs", "/repo/src/main.rs"));
        assert!(matches("/repo/**.rs", "/repo/src/main.rs"));
        assert!(matches("**/.ssh/**", "/home/u/.ssh/id_rsa"));
        assert!(matches("/a/?", "/a/b"));
        assert!(!matches("/a/?", "/a/"));
    }
}
