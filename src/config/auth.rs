//! The `[auth]` table: who may use the terminal, and how they prove it.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::ConfigError;
use crate::auth::Role;

/// How clients prove who they are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// A secret token in the page's URL (once, then a cookie) or an `Authorization: Bearer` header.
    #[default]
    Token,
    /// HTTP Basic authentication against argon2id password hashes.
    Basic,
    /// A user header set by a reverse proxy, believed only from trusted proxy addresses.
    Proxy,
    /// Nobody is asked anything. Refused on any address but loopback.
    None,
}

/// The `[auth]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// How clients prove who they are.
    pub mode: AuthMode,
    /// `token` mode: the token that may type. Unset means a random one at every start.
    pub token: Option<String>,
    /// `token` mode: a second token that may only watch.
    pub read_token: Option<String>,
    /// `basic` mode: the users and their argon2id hashes (`webterm hash-password` prints one).
    pub users: Vec<UserConfig>,
    /// `proxy` mode: the header that carries the user name.
    pub user_header: String,
    /// The reverse proxies in front of webterm: on their connections, `X-Forwarded-For` names the client (whose
    /// address failed logins count against and logs show), and in `proxy` mode the user header names the user.
    /// Connections on a Unix socket always count as the proxy's.
    pub trusted_proxies: Vec<IpAddr>,
    /// `proxy` mode: users who may only watch.
    pub read_only_users: Vec<String>,
    /// Users who may list and end every session (`/api/sessions`). In `token` mode the write token's holder
    /// (user `token`) is always one, and without authentication (loopback only) everyone is.
    pub admins: Vec<String>,
    /// Failed attempts from one client address before it gets 429 for `lockout_secs`.
    pub max_failures: u32,
    /// How long failures are remembered, and so how long a client that made too many waits.
    pub lockout_secs: u64,
}

/// One `[[auth.users]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    /// The user name.
    pub name: String,
    /// The argon2id PHC string (`$argon2id$v=19$...`).
    pub hash: String,
    /// What the user may do; `write` unless given.
    #[serde(default)]
    pub role: Role,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            mode: AuthMode::Token,
            token: None,
            read_token: None,
            users: Vec::new(),
            user_header: "X-Forwarded-User".into(),
            trusted_proxies: Vec::new(),
            read_only_users: Vec::new(),
            admins: Vec::new(),
            max_failures: 10,
            lockout_secs: 60,
        }
    }
}

/// The shortest fixed token accepted: 16 characters (of a random token's 32 hex digits).
const MIN_TOKEN_LEN: usize = 16;

/// A fixed token must be long and URL-safe, since it travels in `?token=`.
fn check_token(token: &str) -> Result<(), String> {
    let url_safe = |c: char| c.is_ascii_alphanumeric() || "-._~".contains(c);
    if token.len() < MIN_TOKEN_LEN || !token.chars().all(url_safe) {
        return Err(format!(
            "a token must be at least {MIN_TOKEN_LEN} characters of A-Z a-z 0-9 - . _ ~ \
             (`openssl rand -hex 16` makes one); or leave it unset for a random token at every start"
        ));
    }
    Ok(())
}

impl AuthConfig {
    /// Whether `identity` may list and end every session. SECURITY: never a read-only client.
    pub fn is_admin(&self, identity: &crate::auth::Identity) -> bool {
        identity.role == Role::Write
            && match self.mode {
                AuthMode::None => true,
                AuthMode::Token => identity.user == "token" || self.admins.contains(&identity.user),
                AuthMode::Basic | AuthMode::Proxy => self.admins.contains(&identity.user),
            }
    }

    /// Checks what the field types cannot: the keys each mode needs, and that they fit together. `unix_socket`:
    /// whether webterm listens on a Unix socket, whose connections come from the reverse proxy.
    pub(super) fn validate(&self, unix_socket: bool) -> Result<(), ConfigError> {
        let invalid = |message: String| Err(ConfigError::Invalid(message));
        if self.max_failures == 0 {
            return invalid("auth.max_failures must be at least 1".into());
        }
        if !(1..=86_400).contains(&self.lockout_secs) {
            return invalid(format!(
                "auth.lockout_secs must be between 1 and 86400, got {}",
                self.lockout_secs
            ));
        }
        // SECURITY: checked here rather than while the file is read, whose errors quote the line: a refused token
        // (perhaps the right one with a typo) must not reach the log of a refused reload.
        for (key, token) in [
            ("auth.token", &self.token),
            ("auth.read_token", &self.read_token),
        ] {
            if let Some(token) = token {
                check_token(token).map_err(|why| ConfigError::Invalid(format!("{key}: {why}")))?;
            }
        }
        if self.token.is_some() && self.token == self.read_token {
            return invalid("auth.read_token must differ from auth.token".into());
        }
        match self.mode {
            AuthMode::Basic => {
                if self.users.is_empty() {
                    return invalid(
                        "auth.mode = \"basic\" needs at least one [[auth.users]] entry with a name and a hash \
                         (`webterm hash-password` prints one)"
                            .into(),
                    );
                }
                for (i, user) in self.users.iter().enumerate() {
                    if user.name.is_empty()
                        || user.name.contains(':')
                        || user.name.chars().any(char::is_control)
                    {
                        return invalid(format!(
                            "auth.users[{i}].name must be non-empty, without ':' or control characters"
                        ));
                    }
                    if self.users[..i].iter().any(|other| other.name == user.name) {
                        return invalid(format!(
                            "auth.users: the name {:?} appears twice",
                            user.name
                        ));
                    }
                    if !crate::auth::basic::is_argon2id_hash(&user.hash) {
                        return invalid(format!(
                            "auth.users[{i}].hash (user {:?}) is not an argon2id hash; make one with \
                             `webterm hash-password`",
                            user.name
                        ));
                    }
                    // SECURITY: the hash's own parameters decide what every login that checks it costs; a slip
                    // like m=4194304 would make each take 4 GiB.
                    if let Err(why) = crate::auth::basic::check_cost(&user.hash) {
                        return invalid(format!(
                            "auth.users[{i}].hash (user {:?}) {why}",
                            user.name
                        ));
                    }
                }
            }
            AuthMode::Proxy => {
                if self.trusted_proxies.is_empty() && !unix_socket {
                    return invalid(
                        "auth.mode = \"proxy\" needs auth.trusted_proxies: the addresses of the reverse proxies \
                         whose user header is believed (or listen on a Unix socket, \"unix:PATH\", that only the \
                         proxy may open)"
                            .into(),
                    );
                }
                if actix_web::http::header::HeaderName::from_bytes(self.user_header.as_bytes())
                    .is_err()
                {
                    return invalid(format!(
                        "auth.user_header {:?} is not a valid header name",
                        self.user_header
                    ));
                }
            }
            AuthMode::Token | AuthMode::None => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
