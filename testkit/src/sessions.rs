//! The refusal of a message of another session (issue 17's session binding), as the tests of
//! every bound header check it: the error names the message's session and this one's, each
//! by its first 8 bytes in hex.

/// Asserts that `text` refuses a message of the session whose 32 bytes are all `theirs` in
/// the session whose bytes are all `ours`, naming both.
pub fn assert_names_both_sessions(text: &str, theirs: u8, ours: u8) {
    let short = |b: u8| format!("{b:02x}").repeat(8);
    assert!(
        text.contains("another session")
            && text.contains(&format!("session {}…", short(theirs)))
            && text.contains(&format!("this session is {}…", short(ours))),
        "{text}"
    );
}
