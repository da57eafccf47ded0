//! Stage 1: bytes in any encoding -> a UTF-8 `String`.
//!
//! STUB: to be implemented (BOM, strict UTF-8, chardetng + encoding_rs, binary refusal).

/// A decoded document.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The text, as UTF-8.
    pub text: String,
    /// The encoding it was decoded from (an encoding_rs name, e.g. `UTF-8`, `windows-1251`).
    pub encoding: &'static str,
    /// How many malformed byte sequences were replaced by U+FFFD.
    pub replaced: usize,
}

/// Why bytes could not be decoded as text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input looks like binary data (NUL bytes or control bytes, not text).
    #[error("binary data, not text ({0})")]
    Binary(String),
}

/// Decodes `bytes` to UTF-8.
///
/// # Errors
/// [`DecodeError::Binary`] when the input is not text.
pub fn decode(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    Ok(Decoded {
        text: String::from_utf8_lossy(bytes).into_owned(),
        encoding: "UTF-8",
        replaced: 0,
    })
}
