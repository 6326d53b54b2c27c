//! TOTP two-step verification (RFC 6238, HMAC-SHA1, 30-second steps, 6 digits),
//! the variant every authenticator app understands.

use hmac::{Hmac, Mac};
use sha1::Sha1;

pub const STEP_SECONDS: u64 = 30;
const DIGITS: u32 = 6;
const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding, as authenticator apps expect in otpauth URIs.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | b as u32;
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

pub fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for c in s.chars().filter(|c| *c != '=' && !c.is_whitespace()) {
        let v = ALPHABET
            .iter()
            .position(|&a| a as char == c.to_ascii_uppercase())? as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

/// The code for a given time step (HOTP of the step counter, RFC 4226 §5.3).
pub fn code_at_step(secret: &[u8], step: u64) -> u32 {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[19] & 0x0f) as usize;
    let bin = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    bin % 10u32.pow(DIGITS)
}

pub fn step_for(unix_seconds: u64) -> u64 {
    unix_seconds / STEP_SECONDS
}

/// Check `code` against the current step and one step either side (clock drift).
/// Returns the matched step so the caller can refuse a replay of the same code.
pub fn verify(
    secret: &[u8],
    code: &str,
    unix_seconds: u64,
    last_used_step: Option<u64>,
) -> Option<u64> {
    let code = code.trim().replace(' ', "");
    if code.len() != DIGITS as usize || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let wanted: u32 = code.parse().ok()?;
    let now = step_for(unix_seconds);
    [now.saturating_sub(1), now, now + 1]
        .into_iter()
        .filter(|s| last_used_step.is_none_or(|last| *s > last))
        .find(|s| code_at_step(secret, *s) == wanted)
}

pub fn format_code(code: u32) -> String {
    format!("{code:06}")
}

/// The `otpauth://` URI an authenticator app scans from the QR code.
pub fn otpauth_uri(issuer: &str, account: &str, secret_b32: &str) -> String {
    fn enc(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period=30",
        enc(issuer),
        enc(account),
        secret_b32,
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B test vectors (SHA-1, 8 digits there; we compare the
    /// low six digits, which is what a 6-digit code is).
    #[test]
    fn rfc6238_vectors() {
        let secret = b"12345678901234567890";
        for (t, expected8) in [
            (59u64, 94287082u32),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
        ] {
            assert_eq!(
                code_at_step(secret, step_for(t)),
                expected8 % 1_000_000,
                "t={t}"
            );
        }
    }

    #[test]
    fn base32_matches_rfc4648() {
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_decode("MZXW6YTBOI").unwrap(), b"foobar");
        assert_eq!(base32_decode("mzxw6ytboi======").unwrap(), b"foobar");
        assert!(base32_decode("not base32!").is_none());
    }

    #[test]
    fn verify_accepts_drift_of_one_step_and_refuses_replay() {
        let secret = b"12345678901234567890";
        let now = 1_700_000_000;
        let prev = format_code(code_at_step(secret, step_for(now) - 1));
        let step = verify(secret, &prev, now, None).expect("previous step accepted");
        assert_eq!(
            verify(secret, &prev, now, Some(step)),
            None,
            "replay refused"
        );
        let old = format_code(code_at_step(secret, step_for(now) - 3));
        assert_eq!(verify(secret, &old, now, None), None);
        assert_eq!(verify(secret, "12ab56", now, None), None);
    }
}
