//! A page whose connection dropped sends again exactly the input that did not arrive: on its next connection it
//! asks how much of its old connection's input the session took (`resume_input`), and from then on the session
//! takes nothing more from the old connection.

use std::time::Duration;

use serde_json::json;

use crate::durable::{attach_path, lingering, session_id};
use crate::support::{Client, TestServer, still_healthy};

#[tokio::test]
async fn a_page_back_after_a_drop_learns_how_much_input_arrived_and_its_old_connection_types_no_more()
 {
    let server = TestServer::start(lingering(&["sh"]));
    let mut old = Client::connect(&server, "").await;
    let id = session_id(&old);
    let typed = "echo first\"\"-line\r";
    old.type_text(typed).await;
    old.expect_output("first-line").await;
    let from = old.hello["client"].clone();

    let mut again = Client::connect_path(&server, &attach_path(&id)).await;
    again
        .control(json!({"type": "resume_input", "from": from}))
        .await;
    let taken = again.expect_control("input_taken").await;
    assert_eq!(taken["from"], from);
    assert_eq!(taken["bytes"], typed.len());

    // What the old connection still sends (input that was on its way) is not taken: the page sends it again.
    old.type_text("echo stale\"\"-input\r").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(again.ask("$((6*7))").await, "42");
    assert!(
        !again.output_text().contains("stale-input"),
        "the old connection's input ran: {:?}",
        again.output_text()
    );

    // Asked again (the page dropped again before it could send), the same answer, also once the old one left.
    drop(old);
    let mut third = Client::connect_path(&server, &attach_path(&id)).await;
    third
        .control(json!({"type": "resume_input", "from": from}))
        .await;
    assert_eq!(
        third.expect_control("input_taken").await["bytes"],
        typed.len()
    );
    // A client the session does not know, and the asking client itself: unknown.
    for unknown in [json!(1000), third.hello["client"].clone()] {
        third
            .control(json!({"type": "resume_input", "from": unknown}))
            .await;
        let answer = third.expect_control("input_taken").await;
        assert_eq!(answer["from"], unknown);
        assert!(answer["bytes"].is_null(), "{answer}");
    }
    assert_eq!(third.ask("$((6*7))").await, "42", "the asking client types");
}

#[tokio::test]
async fn resume_input_from_a_read_only_client_or_without_from_is_refused_and_the_session_goes_on() {
    let mut config = lingering(&["sh"]);
    config.session.writable = false;
    let server = TestServer::start(config);
    let mut viewer = Client::connect(&server, "").await;
    viewer
        .control(json!({"type": "resume_input", "from": 0}))
        .await;
    assert_eq!(
        viewer.expect_control("error").await["message"],
        "resume_input refused: this connection is read-only"
    );

    let server = TestServer::start(lingering(&["sh"]));
    let mut client = Client::connect(&server, "").await;
    for bad in [
        json!({"type": "resume_input"}),
        json!({"type": "resume_input", "from": -1}),
    ] {
        client.control(bad.clone()).await;
        let error = client.expect_control("error").await;
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .starts_with("malformed control message"),
            "{bad}: {error}"
        );
    }
    assert_eq!(client.ask("$((6*7))").await, "42");
    still_healthy(&server).await;
}
