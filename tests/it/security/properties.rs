//! Property tests: the config parser never panics, whatever file it is given, and a resize is accepted exactly
//! when it is in range. (`fuzz` covers the frame decoder and control messages on arbitrary input.)

use std::path::Path;

use proptest::prelude::*;
use webterm::config::Config;
use webterm::protocol::{ClientMessage, ControlError, MAX_DIMENSION};

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn a_resize_is_accepted_exactly_when_both_sizes_are_in_range(cols in any::<i64>(), rows in any::<i64>()) {
        let text = format!(r#"{{"type":"resize","cols":{cols},"rows":{rows}}}"#);
        let in_range = |v: i64| (1..=i64::from(MAX_DIMENSION)).contains(&v);
        match ClientMessage::parse(&text) {
            Ok(message) => {
                prop_assert!(in_range(cols) && in_range(rows));
                prop_assert_eq!(message, ClientMessage::Resize { cols: cols as u32, rows: rows as u32 });
            }
            Err(ControlError::Invalid(_) | ControlError::Malformed(_)) => prop_assert!(!(in_range(cols) && in_range(rows))),
        }
    }

    #[test]
    fn the_config_parser_never_panics_on_any_text(text in ".*") {
        let _ = Config::parse(&text, Path::new("fuzz.toml"));
    }

    #[test]
    fn the_config_parser_never_panics_on_plausible_files(
        lines in prop::collection::vec(
            (
                prop_oneof![
                    Just("[session]"), Just("[websocket]"), Just("[auth]"), Just("[http]"), Just("[tls]"),
                    Just("[[auth.users]]"), Just(""),
                ],
                prop_oneof![
                    Just("listen"), Just("workers"), Just("command"), Just("max_clients"), Just("writable"),
                    Just("mode"), Just("token"), Just("users"), Just("trusted_proxies"), Just("max_failures"),
                    Just("lockout_secs"), Just("request_timeout_ms"), Just("frame_ancestors"), Just("cert"),
                    Just("allowed_origins"), Just("max_message_size"), Just("name"), Just("hash"), Just("role"),
                ],
                prop_oneof![
                    any::<i64>().prop_map(|n| n.to_string()),
                    Just("\"none\"".to_owned()), Just("\"basic\"".to_owned()), Just("\"proxy\"".to_owned()),
                    Just("\"0.0.0.0:0\"".to_owned()), Just("true".to_owned()), Just("[]".to_owned()),
                    Just("[\"'self'\"]".to_owned()), Just("[\"127.0.0.1\"]".to_owned()),
                    "\"[^\"\\\\]{0,24}\"".prop_map(String::from),
                ],
            ),
            0..12,
        )
    ) {
        let text: String = lines.iter().map(|(table, key, value)| format!("{table}\n{key} = {value}\n")).collect();
        let _ = Config::parse(&text, Path::new("fuzz.toml"));
    }
}
