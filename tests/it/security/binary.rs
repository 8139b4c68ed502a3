//! The real binary: the token is shown once on stdout and never logged; `webterm hash-password`.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use webterm::auth::Role;
use webterm::auth::basic::Users;
use webterm::config::UserConfig;

use super::{bearer, get, header};

#[tokio::test]
async fn the_token_is_printed_once_on_stdout_and_no_secret_reaches_the_log() {
    let log = std::env::temp_dir().join(format!("webterm-secrets-{}.log", std::process::id()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_webterm"))
        .args(["--listen", "127.0.0.1:0", "--", "sh"])
        .env("RUST_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let url = line
        .strip_prefix("listening on ")
        .expect("the listening line")
        .trim_end()
        .to_owned();
    let (base, token) = url
        .split_once("?token=")
        .expect("the URL carries the token");
    let addr = base
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap();

    let guess = "a-wrong-guess-0123456789";
    assert_eq!(get(addr, &format!("/?token={guess}"), &[]).await.0, 401);
    assert_eq!(get(addr, "/", &[bearer(guess)]).await.0, 401);
    let (status, headers, _) = get(addr, &format!("/?token={token}"), &[]).await;
    assert_eq!(status, 303);
    let cookie = header(&headers, "set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let session_id = cookie.split_once('=').unwrap().1.to_owned();
    assert_eq!(get(addr, "/", &[("Cookie", cookie)]).await.0, 200);
    assert_eq!(get(addr, "/", &[bearer(token)]).await.0, 200);

    child.kill().unwrap();
    child.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert_eq!(rest, "", "stdout carries the listening line only");
    let logged = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    assert!(
        logged.contains("authentication failed"),
        "failures are logged: {logged}"
    );
    for (what, secret) in [
        ("token", token),
        ("guess", guess),
        ("session id", &session_id),
    ] {
        assert!(
            !logged.contains(secret),
            "the {what} reached the log:\n{logged}"
        );
    }
}

#[test]
fn hash_password_prints_an_argon2id_hash_of_the_password_on_stdin() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_webterm"))
        .arg("hash-password")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"correct horse\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let hash = String::from_utf8(output.stdout)
        .unwrap()
        .trim_end()
        .to_owned();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    let users = Users::new(vec![UserConfig {
        name: "ann".into(),
        hash,
        role: Role::Write,
    }]);
    assert_eq!(users.check("ann", "correct horse"), Some(Role::Write));
    assert_eq!(
        users.check("ann", "correct horse\n"),
        None,
        "the line ending is not part of the password"
    );
}

#[test]
fn hash_password_refuses_an_empty_stdin() {
    let output = Command::new(env!("CARGO_BIN_EXE_webterm"))
        .arg("hash-password")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no password on stdin"));
}
