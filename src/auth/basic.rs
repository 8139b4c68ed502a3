//! `basic` mode: HTTP Basic credentials checked against argon2id password hashes.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;

use super::Role;
use crate::config::UserConfig;

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// The password is empty.
    #[error("the password is empty; type one, then Enter")]
    Empty,
    /// argon2 refused (too long a password, or no randomness for the salt).
    #[error("argon2 could not hash the password: {0}")]
    Argon2(String),
}

/// The argon2id PHC string of `password`, with a random salt and argon2's recommended parameters.
pub fn hash_password(password: &str) -> Result<String, HashError> {
    if password.is_empty() {
        return Err(HashError::Empty);
    }
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| HashError::Argon2(e.to_string()))
}

/// Whether `hash` is an argon2id PHC string.
pub fn is_argon2id_hash(hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| parsed.algorithm.as_str() == "argon2id")
}

/// The user name and password of an `Authorization: Basic ...` value, if it is one.
pub fn parse_header(value: &str) -> Option<(String, String)> {
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// The configured users.
#[derive(Debug, Clone)]
pub struct Users {
    users: Vec<UserConfig>,
}

impl Users {
    /// The users of `[[auth.users]]`, whose hashes the config check has already parsed once.
    pub fn new(users: Vec<UserConfig>) -> Users {
        Users { users }
    }

    /// The role of `user` if `password` is theirs. Slow on purpose (argon2): call it off the async threads.
    pub fn check(&self, user: &str, password: &str) -> Option<Role> {
        let found = self.users.iter().find(|u| u.name == user);
        // SECURITY: an unknown user costs the same argon2 run as a known one, so timing does not tell which user
        // names exist.
        let hash: &str = match found {
            Some(user) => &user.hash,
            None => dummy_hash(),
        };
        let verified = PasswordHash::new(hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        });
        found.filter(|_| verified).map(|u| u.role)
    }
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_password("no user has this password").expect("argon2 hashes a fixed password")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
        let hash = hash_password("correct horse").unwrap();
        assert!(is_argon2id_hash(&hash), "{hash}");
        let users = Users::new(vec![UserConfig {
            name: "ann".into(),
            hash,
            role: Role::Read,
        }]);
        assert_eq!(users.check("ann", "correct horse"), Some(Role::Read));
        assert_eq!(users.check("ann", "wrong horse"), None);
        assert_eq!(users.check("bob", "correct horse"), None);
    }

    #[test]
    fn hashes_of_other_algorithms_are_not_accepted() {
        assert!(!is_argon2id_hash(
            "$argon2i$v=19$m=16,t=2,p=1$c2FsdHNhbHQ$yQ5RzRb0vU0k2t1D3GB0Hw"
        ));
        assert!(!is_argon2id_hash("plaintext"));
        assert!(!is_argon2id_hash(""));
    }

    #[test]
    fn basic_headers_are_decoded() {
        assert_eq!(
            parse_header("Basic YW5uOnB3OmQ="),
            Some(("ann".into(), "pw:d".into()))
        );
        assert_eq!(
            parse_header("basic YW5uOnB3OmQ="),
            Some(("ann".into(), "pw:d".into()))
        );
        assert_eq!(parse_header("Bearer abc"), None);
        assert_eq!(parse_header("Basic !!!"), None);
        assert_eq!(parse_header("Basic Zm9v"), None);
    }
}
