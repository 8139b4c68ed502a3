//! A real headless Chromium (Debian's `chromium`) drives the page as a person would. `tests/browser/terminal.mjs`
//! types `echo hello` and reads what xterm.js rendered, then `exit 3` shows the exit banner;
//! `tests/browser/scenarios.mjs` runs one named scenario per test below (the client features' scenarios live in
//! `tests/browser/client.mjs`, durable sessions' in `tests/browser/sessions.mjs`, several tabs' in
//! `tests/browser/tabs.mjs`, who may type in `tests/browser/control.mjs`). Screenshots go to `tests/artifacts/`.
//! Full screen with the Keyboard Lock API is the one client feature left out: headless Chromium has no full screen
//! for it to lock.

use std::path::Path;
use std::process::{Command, Output};

use webterm::config::Config;

use crate::support::TestServer;

/// The test configuration running `command`, with sessions that outlive their connection by a minute as a
/// user's do (the support default ends them with their last client).
fn config(command: &[&str]) -> Config {
    let mut config = crate::support::config(command);
    config.session.linger_secs = 60;
    config
}

/// Runs `node SCRIPT ARGS... URL tests/artifacts` against a fresh server running `sh`; fails with its output.
async fn run_browser(script: &str, args: &[&str]) -> String {
    let server = TestServer::start(config(&["sh"]));
    let url = format!("http://{}/", server.addr);
    run_browser_on(server, &url, script, args).await
}

/// Runs scenario `name` of `tests/browser/scenarios.mjs` against a server started from `config`.
async fn run_scenario_with(config: Config, name: &str) -> String {
    let server = TestServer::start(config);
    let url = format!("http://{}/", server.addr);
    run_browser_on(server, &url, "tests/browser/scenarios.mjs", &[name]).await
}

/// Runs `node SCRIPT ARGS... URL tests/artifacts` while `_server` runs; fails with its output.
async fn run_browser_on(_server: TestServer, url: &str, script: &str, args: &[&str]) -> String {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut command = Command::new("node");
    command
        .arg(repo.join(script))
        .args(args)
        .arg(url)
        .arg(repo.join("tests/artifacts"));
    let run = tokio::task::spawn_blocking(move || command.output());
    let Output {
        status,
        stdout,
        stderr,
    } = run
        .await
        .unwrap()
        .expect("node runs (Node.js is needed to build webterm anyway)");
    let stdout = String::from_utf8_lossy(&stdout).into_owned();
    assert!(
        status.success(),
        "the browser test failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&stderr)
    );
    stdout
}

fn assert_screenshots(names: &[&str]) {
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/artifacts");
    for name in names {
        assert!(artifacts.join(name).exists(), "{name} was saved");
    }
}

#[tokio::test]
async fn chromium_types_into_the_page_and_sees_the_output_rendered() {
    run_browser("tests/browser/terminal.mjs", &[]).await;
    assert_screenshots(&["typed-echo.png", "exited.png"]);
}

#[tokio::test]
async fn resizing_the_window_changes_the_size_the_program_sees() {
    run_browser("tests/browser/scenarios.mjs", &["resize"]).await;
    assert_screenshots(&["resize-small.png"]);
}

#[tokio::test]
async fn a_multi_line_paste_arrives_intact_and_bracketed() {
    run_browser("tests/browser/scenarios.mjs", &["paste"]).await;
    assert_screenshots(&["paste-bracketed.png"]);
}

#[tokio::test]
async fn vim_opens_edits_a_file_and_quits() {
    run_browser("tests/browser/scenarios.mjs", &["vim"]).await;
    assert_screenshots(&["vim-editing.png"]);
}

#[tokio::test]
async fn fifty_megabytes_of_output_finish_while_the_page_stays_responsive() {
    let stdout = run_browser("tests/browser/scenarios.mjs", &["flood"]).await;
    // The timings and heap sizes, for whoever runs the tests with --nocapture.
    for line in stdout.lines().filter(|l| l.starts_with("measure:")) {
        println!("{line}");
    }
    assert_screenshots(&["flood-finished.png"]);
}

#[tokio::test]
async fn the_echo_page_measures_round_trips_of_text_and_binary_messages() {
    run_browser("tests/browser/scenarios.mjs", &["echo-page"]).await;
    assert_screenshots(&["echo-page-echo.png"]);
}

#[tokio::test]
async fn title_bell_ime_search_and_settings_work_in_the_page() {
    run_browser("tests/browser/scenarios.mjs", &["features"]).await;
    assert_screenshots(&["features-search.png", "features-settings.png"]);
}

#[tokio::test]
async fn on_a_mac_the_option_key_sends_alt_combinations_once_the_settings_say_so() {
    run_browser("tests/browser/scenarios.mjs", &["mac-option"]).await;
}

#[tokio::test]
async fn tsz_downloads_and_trz_uploads_a_binary_file_byte_for_byte_beside_a_second_tab() {
    run_browser("tests/browser/scenarios.mjs", &["file-transfer"]).await;
    assert_screenshots(&["file-transfer-downloaded.png"]);
}

#[tokio::test]
async fn the_sessions_panel_lists_the_users_sessions_and_attaches_the_tab_to_another() {
    run_browser("tests/browser/scenarios.mjs", &["session-list"]).await;
    assert_screenshots(&["session-list-panel.png"]);
}

#[tokio::test]
async fn where_closing_the_tab_ends_the_session_the_browser_asks_first() {
    let mut config = config(&["sh"]);
    config.session.linger_secs = 0;
    run_scenario_with(config, "leave-alert").await;
}

#[tokio::test]
async fn where_the_session_lingers_the_tab_closes_without_a_question() {
    run_browser("tests/browser/scenarios.mjs", &["leave-alert"]).await;
}

#[tokio::test]
async fn without_the_browsers_file_pickers_tsz_saves_a_download_and_trz_uses_the_file_chooser() {
    run_browser(
        "tests/browser/scenarios.mjs",
        &["file-transfer-without-pickers"],
    )
    .await;
}

#[tokio::test]
async fn a_file_dropped_on_the_page_is_uploaded_to_the_shells_directory() {
    run_browser("tests/browser/scenarios.mjs", &["file-drop"]).await;
    assert_screenshots(&["file-drop-uploaded.png"]);
}

#[tokio::test]
async fn after_a_dropped_connection_the_page_reattaches_to_the_same_shell_and_its_screen() {
    run_browser("tests/browser/scenarios.mjs", &["reconnect"]).await;
    assert_screenshots(&["reconnect-waiting.png", "reconnect-reconnected.png"]);
}

#[tokio::test]
async fn when_the_network_goes_silent_the_heartbeat_notices_and_the_page_reattaches() {
    let mut config = config(&["sh"]);
    config.websocket.ping_interval_secs = 2;
    config.websocket.ping_timeout_secs = 6;
    run_scenario_with(config, "silent-network").await;
}

#[tokio::test]
async fn after_a_sleep_or_a_network_change_the_page_asks_at_once_and_reattaches() {
    run_browser("tests/browser/scenarios.mjs", &["wake"]).await;
}

#[tokio::test]
async fn the_wait_before_a_reconnect_is_counted_by_the_clock_and_cut_short_when_the_network_or_the_tab_is_back()
 {
    run_browser("tests/browser/scenarios.mjs", &["backoff"]).await;
}

#[tokio::test]
async fn vim_in_the_middle_of_an_edit_survives_a_dropped_connection_screen_and_all() {
    run_browser("tests/browser/scenarios.mjs", &["vim-resume"]).await;
    assert_screenshots(&["vim-resume-before.png", "vim-resume-after.png"]);
}

#[tokio::test]
async fn a_reload_resumes_the_session_while_a_new_tab_starts_its_own() {
    run_browser("tests/browser/scenarios.mjs", &["reload"]).await;
    assert_screenshots(&["reload-reloaded.png"]);
}

#[tokio::test]
async fn a_duplicated_tab_starts_its_own_session_while_a_reload_of_either_keeps_its_own() {
    run_browser("tests/browser/scenarios.mjs", &["duplicate"]).await;
}

#[tokio::test]
async fn a_second_tab_opened_with_the_session_id_sees_and_types_into_the_same_shell() {
    run_browser("tests/browser/scenarios.mjs", &["share"]).await;
    assert_screenshots(&["share-second-tab.png"]);
}

#[tokio::test]
async fn two_tabs_of_other_window_sizes_show_the_session_at_one_size_without_wrapping_its_lines() {
    run_browser("tests/browser/scenarios.mjs", &["shared-size"]).await;
    assert_screenshots(&["shared-size-second-tab.png"]);
}

#[tokio::test]
async fn with_the_single_input_policy_take_control_moves_the_keyboard_between_tabs() {
    let mut config = config(&["sh"]);
    config.session.input = webterm::protocol::InputPolicy::Single;
    run_scenario_with(config, "take-control").await;
    assert_screenshots(&["take-control-offered.png"]);
}

#[tokio::test]
async fn a_tab_back_after_a_long_absence_does_not_take_control_from_the_tab_that_took_it() {
    run_scenario_with(single_input_slow_to_drop(), "reclaim-late").await;
}

#[tokio::test]
async fn a_tab_back_after_a_short_absence_does_not_take_control_from_the_tab_that_took_it_meanwhile()
 {
    run_scenario_with(single_input_slow_to_drop(), "reclaim-taken").await;
}

#[tokio::test]
async fn with_the_single_input_policy_a_tab_that_had_control_has_it_again_at_once_after_a_dead_network()
 {
    run_scenario_with(single_input_slow_to_drop(), "reclaim").await;
}

#[tokio::test]
async fn with_the_single_input_policy_a_tab_read_only_or_in_the_background_when_its_network_died_comes_back_read_only()
 {
    run_scenario_with(single_input_slow_to_drop(), "no-reclaim").await;
}

#[tokio::test]
async fn with_the_single_input_policy_a_reloaded_tab_that_had_control_has_it_again_even_on_a_dead_network()
 {
    let mut config = single_input_slow_to_drop();
    // No idle HTTP connection the proxy would silence with the WebSocket's: the reload opens new ones.
    config.http.keep_alive_secs = 0;
    run_scenario_with(config, "reload-reclaim").await;
}

/// `sh` under the `single` input policy, with pings every 2 s (so the page soon notices a dead network) and a
/// 60 s ping timeout: the server keeps a dead connection, and its control, that long.
fn single_input_slow_to_drop() -> Config {
    let mut config = config(&["sh"]);
    config.session.input = webterm::protocol::InputPolicy::Single;
    config.websocket.ping_interval_secs = 2;
    config.websocket.ping_timeout_secs = 60;
    config
}

#[tokio::test]
async fn ctrl_shift_c_copies_ctrl_shift_v_pastes_and_programs_cannot_write_the_clipboard_by_default()
 {
    run_browser("tests/browser/scenarios.mjs", &["copy"]).await;
    assert_screenshots(&["copy-selected.png"]);
}

#[tokio::test]
async fn the_page_sets_its_terminal_up_with_the_servers_client_options() {
    let mut config = config(&["sh"]);
    config.client.font_size = 21;
    config.client.cursor_style = webterm::protocol::CursorStyle::Bar;
    config.client.scrollback = 1234;
    config.client.theme.background = Some("#102030".into());
    run_scenario_with(config, "server-options").await;
}

#[tokio::test]
async fn with_the_options_on_osc_52_and_selecting_text_both_copy() {
    let mut config = config(&["sh"]);
    config.client.clipboard_osc52 = true;
    config.client.copy_on_select = true;
    run_scenario_with(config, "clipboard-opt-in").await;
    assert_screenshots(&["clipboard-opt-in-selected.png"]);
}

#[tokio::test]
async fn on_a_phone_the_key_bar_types_ctrl_c_escape_tab_and_arrows() {
    run_browser("tests/browser/scenarios.mjs", &["keybar"]).await;
    assert_screenshots(&["keybar-shown.png"]);
}

#[tokio::test]
async fn a_read_only_session_says_so_and_neither_typed_keys_reach_the_program_nor_its_osc_52_the_clipboard()
 {
    let mut config = config(&[
        "sh",
        "-c",
        "printf '\\033]52;c;%s\\007' \"$(printf pwned | base64)\"; echo waiting for input; read line; \
         echo \"got: $line\"; sleep 100",
    ]);
    config.session.writable = false;
    config.client.clipboard_osc52 = true;
    run_scenario_with(config, "read-only").await;
    assert_screenshots(&["read-only-shown.png"]);
}

#[tokio::test]
async fn a_page_opened_with_the_read_token_sends_nothing_typed_into_it_and_offers_no_take_control()
{
    const READ_TOKEN: &str = "read-0123456789abcdef";
    let mut config = config(&["sh"]);
    config.auth.mode = webterm::config::AuthMode::Token;
    config.auth.token = Some("write-0123456789abcdef".into());
    config.auth.read_token = Some(READ_TOKEN.into());
    config.session.input = webterm::protocol::InputPolicy::Single;
    let server = TestServer::start(config);
    let url = format!("http://{}/?token={READ_TOKEN}", server.addr);
    run_browser_on(server, &url, "tests/browser/scenarios.mjs", &["read-token"]).await;
}

#[tokio::test]
async fn a_program_that_cannot_start_is_reported_with_the_servers_reason_and_not_tried_again_by_itself()
 {
    run_scenario_with(config(&["/nonexistent"]), "start-failed").await;
}

#[tokio::test]
async fn an_admin_opening_a_link_to_another_users_session_is_told_whose_it_is_before_typing_into_it()
 {
    let mut config = ann_and_root(config(&["sh"]));
    // On, to show that a program in another user's session still cannot write the admin's clipboard.
    config.client.clipboard_osc52 = true;
    run_scenario_with(config, "others-session").await;
}

#[tokio::test]
async fn on_another_users_session_a_tab_takes_control_back_after_a_dead_network_only_once_its_person_took_control()
 {
    run_scenario_with(
        ann_and_root(single_input_slow_to_drop()),
        "reclaim-others-session",
    )
    .await;
}

/// `config` in `basic` mode with users ann and root (an admin), both with the password "pw".
fn ann_and_root(config: Config) -> Config {
    crate::security::basic_users(config, &["ann", "root"], &["root"])
}

#[tokio::test]
async fn a_link_with_program_arguments_asks_before_running_them() {
    let mut config = config(&["sh"]);
    config.session.allow_url_args = true;
    run_scenario_with(config, "url-args").await;
}

#[tokio::test]
async fn a_sixel_image_a_program_prints_is_drawn_in_the_page() {
    run_browser("tests/browser/scenarios.mjs", &["images"]).await;
    assert_screenshots(&["images-shown.png"]);
}

#[tokio::test]
async fn enter_after_the_program_exits_starts_a_new_session() {
    run_browser("tests/browser/scenarios.mjs", &["new-session"]).await;
    assert_screenshots(&["new-session-started.png"]);
}

#[tokio::test]
async fn the_page_works_under_a_base_path_with_the_token_from_the_listening_line() {
    let mut config = config(&["sh"]);
    config.base_path = "/term".into();
    config.auth.mode = webterm::config::AuthMode::Token;
    let server = TestServer::start(config);
    let url = server.url.clone();
    assert!(url.contains("/term/?token="), "{url}");
    run_browser_on(server, &url, "tests/browser/terminal.mjs", &[]).await;
}
