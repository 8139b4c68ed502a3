//! The account a session's program runs as, read from `/etc/passwd` and `/etc/group`.

use std::path::PathBuf;

/// A user, and the group to run as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The user name.
    pub name: String,
    /// The user id.
    pub uid: u32,
    /// The group id: the named group, or the user's primary group.
    pub gid: u32,
    /// The home directory.
    pub home: PathBuf,
    /// The login shell.
    pub shell: String,
}

impl Account {
    /// Finds `user` (and `group`, when given); the error says which one is missing.
    pub fn lookup(user: &str, group: Option<&str>) -> Result<Account, String> {
        let mut account = Account::find(0, user)?
            .ok_or_else(|| format!("session.user {user:?} is not in /etc/passwd"))?;
        if let Some(group) = group {
            let groups = std::fs::read_to_string("/etc/group")
                .map_err(|e| format!("cannot read /etc/group: {e}"))?;
            account.gid = groups
                .lines()
                .map(|line| line.split(':').collect::<Vec<_>>())
                .find(|fields| fields.len() >= 3 && fields[0] == group)
                .and_then(|fields| fields[2].parse().ok())
                .ok_or_else(|| format!("session.group {group:?} is not in /etc/group"))?;
        }
        Ok(account)
    }

    /// The account whose user id is `uid` (webterm's own, say), if `/etc/passwd` has it.
    pub fn of_uid(uid: u32) -> Option<Account> {
        Account::find(2, &uid.to_string()).ok().flatten()
    }

    /// The `/etc/passwd` entry whose field number `field` (0 the name, 2 the user id) is `value`.
    fn find(field: usize, value: &str) -> Result<Option<Account>, String> {
        let passwd = std::fs::read_to_string("/etc/passwd")
            .map_err(|e| format!("cannot read /etc/passwd: {e}"))?;
        let Some(fields) = passwd
            .lines()
            .map(|line| line.split(':').collect::<Vec<_>>())
            .find(|fields| fields.len() >= 7 && fields[field] == value)
        else {
            return Ok(None);
        };
        let user = fields[0];
        let number = |text: &str, what: &str| {
            text.parse::<u32>()
                .map_err(|_| format!("/etc/passwd has a bad {what} for {user:?}"))
        };
        Ok(Some(Account {
            name: user.to_string(),
            uid: number(fields[2], "uid")?,
            gid: number(fields[3], "gid")?,
            home: PathBuf::from(fields[5]),
            shell: fields[6].to_string(),
        }))
    }

    /// `argv` wrapped so that it runs as this account: `setpriv` switches user, group and supplementary groups,
    /// then execs the program, which keeps the session leader's pid.
    pub fn wrap(&self, argv: &[String]) -> Vec<String> {
        let mut wrapped = vec![
            "setpriv".to_string(),
            format!("--reuid={}", self.uid),
            format!("--regid={}", self.gid),
            "--init-groups".to_string(),
            "--".to_string(),
        ];
        wrapped.extend_from_slice(argv);
        wrapped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_found_and_strangers_are_named_in_the_error() {
        let root = Account::lookup("root", None).unwrap();
        assert_eq!((root.uid, root.gid), (0, 0));
        let error = Account::lookup("no-such-user-here", None).unwrap_err();
        assert!(error.contains("no-such-user-here"), "{error}");
        let error = Account::lookup("root", Some("no-such-group-here")).unwrap_err();
        assert!(error.contains("no-such-group-here"), "{error}");
    }

    #[test]
    fn root_is_found_by_its_user_id() {
        let root = Account::of_uid(0).expect("root is in /etc/passwd");
        assert_eq!((root.name.as_str(), root.uid), ("root", 0));
        assert_eq!(Account::of_uid(u32::MAX - 7), None);
    }

    #[test]
    fn the_program_is_wrapped_in_setpriv() {
        let account = Account {
            name: "n".into(),
            uid: 7,
            gid: 8,
            home: "/h".into(),
            shell: "/bin/sh".into(),
        };
        assert_eq!(
            account.wrap(&["ls".into(), "-l".into()]),
            [
                "setpriv",
                "--reuid=7",
                "--regid=8",
                "--init-groups",
                "--",
                "ls",
                "-l"
            ]
        );
    }
}
