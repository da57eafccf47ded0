//! Stage 2: make the text uniform so later stages see one spelling of everything.
//!
//! STUB: to be implemented.

/// A normalized document.
#[derive(Debug, Clone)]
pub struct Normalized {
    /// The normalized text: `\n` line endings, no trailing spaces, no control characters, NFC.
    pub text: String,
    /// Whether mojibake was found and repaired.
    pub mojibake_repaired: bool,
}

/// Normalizes decoded text.
pub fn normalize(text: &str) -> Normalized {
    Normalized {
        text: text.replace("\r\n", "\n").replace('\u{a0}', " "),
        mojibake_repaired: false,
    }
}
