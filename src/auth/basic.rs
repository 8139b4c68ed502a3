//! `basic` mode: HTTP Basic credentials checked against argon2id password hashes.

use std::sync::OnceLock;

use argon2::password_hash::phc::{Output, PasswordHash};
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Argon2, Params};
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

/// Whether `hash` is an argon2id PHC string whose parameters argon2 accepts.
pub fn is_argon2id_hash(hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        parsed.algorithm.as_str() == "argon2id" && Params::try_from(&parsed).is_ok()
    })
}

/// The most memory a hash may ask argon2 for (its `m`), in KiB: 256 MiB, libsodium's "moderate" preset, more than
/// any other common one (webterm's own is 19 MiB). Every login with that hash holds it while it is checked, one
/// check per core at once; libsodium's "sensitive" 1 GiB and RFC 9106's 2 GiB are refused.
pub const MAX_MEMORY_KIB: u32 = 256 * 1024;

/// The most work a hash may ask argon2 for: its memory times its passes (`m` × `t`), in KiB. 1 GiB, about a second
/// of a core per login (256 MiB × 3 passes, libsodium's "moderate", takes 1.0 s; 64 MiB × 16 passes 0.8 s);
/// webterm's own hashes take 19 MiB × 2, 35 ms.
pub const MAX_WORK_KIB: u64 = 1024 * 1024;

/// The most lanes a hash may ask argon2 for (its `p`). webterm runs the lanes one after another, so more only cut
/// the same memory finer; common tools use 1 to 4 (RFC 9106: 4).
pub const MAX_LANES: u32 = 16;

/// Refuses an argon2id hash whose parameters would make every login that checks it cost more than
/// [`MAX_MEMORY_KIB`], [`MAX_WORK_KIB`] or [`MAX_LANES`] allow; the message says which and by how much.
pub fn check_cost(hash: &str) -> Result<(), String> {
    let Some(params) = PasswordHash::new(hash)
        .ok()
        .and_then(|parsed| Params::try_from(&parsed).ok())
    else {
        return Err("is not an argon2id hash".into());
    };
    let (m, t, p) = (params.m_cost(), params.t_cost(), params.p_cost());
    let remedy = "make a new one with `webterm hash-password`";
    if m > MAX_MEMORY_KIB {
        return Err(format!(
            "asks for m={m} KiB of memory per login; at most m={MAX_MEMORY_KIB} (256 MiB) is allowed: {remedy}"
        ));
    }
    let work = u64::from(m) * u64::from(t);
    if work > MAX_WORK_KIB {
        return Err(format!(
            "asks for t={t} passes over m={m} KiB, {work} KiB of work per login; at most m × t = {MAX_WORK_KIB} \
             (1 GiB, about a second) is allowed: {remedy}"
        ));
    }
    if p > MAX_LANES {
        return Err(format!(
            "asks for p={p} lanes; at most p={MAX_LANES} is allowed: {remedy}"
        ));
    }
    Ok(())
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
    /// The hash checked for a name that is not configured ([`dummy_hash`]).
    dummy: String,
}

impl Users {
    /// The users of `[[auth.users]]`, whose hashes the config check has already parsed once.
    pub fn new(users: Vec<UserConfig>) -> Users {
        let dummy = dummy_hash(&users);
        if !same_parameters(&users) {
            // SECURITY: one dummy cannot cost what each user's hash does; the cheaper users' names can be told from
            // unknown ones by how fast a wrong password is refused.
            tracing::warn!(
                "[[auth.users]] hashes use different argon2 parameters, so response times tell the names of the \
                 users with cheaper hashes; make them all with `webterm hash-password`"
            );
        }
        Users { users, dummy }
    }

    /// The role of `user` if `password` is theirs. Slow on purpose (argon2): call it off the async threads.
    pub fn check(&self, user: &str, password: &str) -> Option<Role> {
        let found = self.users.iter().find(|u| u.name == user);
        // SECURITY: an unknown user costs an argon2 run with the parameters of the costliest known user's hash,
        // so timing does not tell which user names exist (see `dummy_hash`).
        let hash: &str = match found {
            Some(user) => &user.hash,
            None => &self.dummy,
        };
        let verified = PasswordHash::new(hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        });
        found.filter(|_| verified).map(|u| u.role)
    }
}

/// The hash an unknown user name is checked against: argon2 runs with the parameters (and version and output
/// length) of the hash it is given, so the dummy copies those of the costliest user's hash (by memory × passes,
/// then lanes), with an output no password gives. Without users, webterm's own parameters.
///
/// SECURITY: a dummy made with webterm's parameters (19 MiB × 2) while a user's hash asks for more (a pasted
/// m=65536,t=3,p=4) would answer an unknown name several times faster than that user's, telling which names exist.
fn dummy_hash(users: &[UserConfig]) -> String {
    let cost = |hash: &PasswordHash| {
        Params::try_from(hash).map_or((0, 0), |params| {
            (
                u64::from(params.m_cost()) * u64::from(params.t_cost()),
                params.p_cost(),
            )
        })
    };
    let costliest = users
        .iter()
        .filter_map(|user| PasswordHash::new(&user.hash).ok())
        .max_by_key(cost);
    let Some(mut hash) = costliest else {
        return default_dummy_hash().to_owned();
    };
    let length = hash
        .hash
        .as_ref()
        .map_or(Params::DEFAULT_OUTPUT_LEN, Output::len);
    // A real hash's output is random; all zeros is one no password gives, in any practical sense.
    hash.hash = Output::new(&vec![0; length]).ok();
    hash.to_string()
}

/// Whether every user's hash has the same algorithm, version and parameters (then the dummy costs what each does).
fn same_parameters(users: &[UserConfig]) -> bool {
    let parameters = |user: &UserConfig| {
        PasswordHash::new(&user.hash).ok().map(|hash| {
            (
                hash.algorithm.to_string(),
                hash.version,
                Params::try_from(&hash).ok(),
            )
        })
    };
    let mut all = users.iter().map(parameters);
    let first = all.next();
    all.all(|other| Some(other) == first)
}

/// The dummy hash without users: webterm's own parameters.
fn default_dummy_hash() -> &'static str {
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

    /// The hash `users` checks an unknown name against.
    fn dummy_of(users: &Users) -> &str {
        &users.dummy
    }

    #[test]
    fn an_unknown_name_is_checked_with_the_parameters_of_the_costliest_users_hash() {
        // Within the limits, and several times webterm's own 19 MiB × 2: what a hash pasted from elsewhere has.
        let costly = Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            Params::new(65536, 3, 4, None).unwrap(),
        )
        .hash_password(b"correct horse")
        .unwrap()
        .to_string();
        assert_eq!(check_cost(&costly), Ok(()));
        let user = |name: &str, hash: String| UserConfig {
            name: name.into(),
            hash,
            role: Role::Write,
        };
        let users = Users::new(vec![
            user("ann", hash_password("ann's").unwrap()),
            user("bob", costly.clone()),
            user("cid", hash_password("cid's").unwrap()),
        ]);
        let parse = |hash: &str| {
            let parsed = PasswordHash::new(hash).unwrap();
            (
                parsed.algorithm,
                parsed.version,
                Params::try_from(&parsed).unwrap(),
            )
        };
        assert_eq!(
            parse(dummy_of(&users)),
            parse(&costly),
            "the same algorithm, version and parameters (m, t, p, output length) as bob's hash"
        );
        assert_ne!(dummy_of(&users), costly);
        assert_eq!(users.check("nobody", "correct horse"), None);
        assert_eq!(users.check("bob", "correct horse"), Some(Role::Write));
        // Then the cheaper users can be told apart, and webterm says so at start.
        assert!(!same_parameters(&users.users));
        assert!(same_parameters(&[
            users.users[0].clone(),
            users.users[2].clone()
        ]));
        assert!(same_parameters(&[]));
    }

    #[test]
    fn the_hashes_webterm_makes_are_within_the_cost_limits() {
        let hash = hash_password("correct horse").unwrap();
        assert_eq!(check_cost(&hash), Ok(()));
        assert!(hash.contains("$m=19456,t=2,p=1$"), "{hash}");
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
