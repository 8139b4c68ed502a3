//! Secrets: random tokens and session ids, compared in constant time, never printed by `Debug`.

use std::fmt;

use subtle::ConstantTimeEq;

/// A secret string. `Debug` shows `Secret(..)`, so a secret inside a logged struct stays out of the log.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// 128 random bits from the OS, as 32 lowercase hex digits.
    pub fn random() -> Secret {
        let mut bytes = [0u8; 16];
        // SECURITY: the OS's CSPRNG; without one there is no safe token to make, so stop.
        getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
        Secret(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// Wraps a configured secret.
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    /// The secret itself, for the one place that shows it (the `listening on` line) and for cookies.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `candidate` is this secret.
    pub fn matches(&self, candidate: &str) -> bool {
        // SECURITY: constant time in the contents, so timing tells an attacker nothing about how much of a guess
        // was right. Only the length can show, and a token's length is no secret.
        bool::from(self.0.as_bytes().ct_eq(candidate.as_bytes()))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_secrets_are_128_bits_of_hex_and_differ() {
        let (a, b) = (Secret::random(), Secret::random());
        assert_eq!(a.expose().len(), 32);
        assert!(a.expose().chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn only_the_exact_secret_matches() {
        let secret = Secret::new("0123456789abcdef".into());
        assert!(secret.matches("0123456789abcdef"));
        for wrong in [
            "",
            "0123456789abcde",
            "0123456789abcdeF",
            "0123456789abcdef0",
        ] {
            assert!(!secret.matches(wrong), "{wrong:?}");
        }
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let secret = Secret::new("0123456789abcdef".into());
        assert_eq!(format!("{secret:?}"), "Secret(..)");
    }
}
