//! The config parser (`Config::parse`) against arbitrary and plausible files: it never panics, every refusal is
//! a clear message, and a key it does not know is refused, in every table, by name.

use std::path::Path;

use proptest::prelude::*;
use webterm::config::Config;

use super::config as proptest_config;

/// What precedes a key in each table: the header, and the keys a table of an array needs anyway.
const TABLES: [&str; 10] = [
    "",
    "[session]\n",
    "[websocket]\n",
    "[auth]\n",
    "[http]\n",
    "[tls]\n",
    "[client]\n",
    "[client.theme]\n",
    "[[terminal]]\npath = \"/x\"\ncommand = [\"sh\"]\n",
    "[[auth.users]]\nname = \"ann\"\nhash = \"h\"\n",
];

proptest! {
    #![proptest_config(proptest_config())]

    #[test]
    fn the_config_parser_never_panics_on_any_text(text in ".{0,400}") {
        super::checks::config(&text);
    }

    #[test]
    fn the_config_parser_never_panics_on_plausible_files(
        lines in prop::collection::vec(
            (
                prop_oneof![
                    Just("[session]"), Just("[websocket]"), Just("[auth]"), Just("[http]"), Just("[tls]"),
                    Just("[client]"), Just("[[auth.users]]"), Just("[[terminal]]"), Just(""),
                ],
                prop_oneof![
                    Just("listen"), Just("workers"), Just("command"), Just("max_clients"), Just("writable"),
                    Just("mode"), Just("token"), Just("users"), Just("trusted_proxies"), Just("max_failures"),
                    Just("lockout_secs"), Just("request_timeout_ms"), Just("frame_ancestors"), Just("cert"),
                    Just("allowed_origins"), Just("max_message_size"), Just("name"), Just("hash"), Just("role"),
                    Just("path"), Just("base_path"), Just("linger_secs"), Just("font_size"), Just("env"),
                ],
                prop_oneof![
                    any::<i64>().prop_map(|n| n.to_string()),
                    Just("\"none\"".to_owned()), Just("\"basic\"".to_owned()), Just("\"proxy\"".to_owned()),
                    Just("\"0.0.0.0:0\"".to_owned()), Just("true".to_owned()), Just("[]".to_owned()),
                    Just("[\"'self'\"]".to_owned()), Just("[\"127.0.0.1\"]".to_owned()), Just("{}".to_owned()),
                    "\"[^\"\\\\]{0,24}\"".prop_map(String::from),
                ],
            ),
            0..12,
        )
    ) {
        let text: String = lines.iter().map(|(table, key, value)| format!("{table}\n{key} = {value}\n")).collect();
        super::checks::config(&text);
    }

    #[test]
    fn an_unknown_key_is_refused_by_name_in_every_table(
        table in prop::sample::select(&TABLES[..]),
        key in "zz_[a-z_]{1,12}",
    ) {
        let text = format!("{table}{key} = 1\n");
        let error = Config::parse(&text, Path::new("fuzz.toml")).expect_err("an unknown key must be refused");
        let message = error.to_string();
        prop_assert!(message.contains(&format!("unknown field `{key}`")), "{}", message);
    }
}
