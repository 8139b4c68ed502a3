//! The round-trip and rejection tests of the protocol v1 control messages.

use super::*;

#[test]
fn client_messages_round_trip() {
    for message in [
        ClientMessage::Resize {
            cols: 100,
            rows: 40,
        },
        ClientMessage::Pause,
        ClientMessage::Resume,
        ClientMessage::TakeControl { from: None },
        ClientMessage::TakeControl { from: Some(3) },
        ClientMessage::Ping,
        ClientMessage::Ack { bytes: 1 << 40 },
        ClientMessage::ResumeInput { from: 2 },
        ClientMessage::Transfer { active: true },
        ClientMessage::Transfer { active: false },
    ] {
        let text = serde_json::to_string(&message).unwrap();
        assert_eq!(ClientMessage::parse(&text).unwrap(), message);
    }
    assert_eq!(
        ClientMessage::parse(r#"{"type":"take_control"}"#).unwrap(),
        ClientMessage::TakeControl { from: None }
    );
    assert_eq!(
        ClientMessage::parse(r#"{"type":"take_control","from":7}"#).unwrap(),
        ClientMessage::TakeControl { from: Some(7) }
    );
    assert_eq!(
        ClientMessage::parse(r#"{"type":"transfer","active":true}"#).unwrap(),
        ClientMessage::Transfer { active: true }
    );
}

#[test]
fn server_messages_have_the_documented_shape() {
    let hello = ServerMessage::Hello {
        protocol: 1,
        session: "abc".into(),
        path: "/".into(),
        cols: 80,
        rows: 24,
        writable: true,
        client: 0,
        resumed: false,
        input: InputPolicy::Shared,
        role: Role::Write,
        options: None,
        title: None,
        heartbeat: 20,
        linger: 300,
        owner: None,
    };
    assert_eq!(
        hello.to_json(),
        r#"{"type":"hello","protocol":1,"session":"abc","path":"/","cols":80,"rows":24,"writable":true,"client":0,"resumed":false,"input":"shared","role":"write","heartbeat":20,"linger":300}"#
    );
    let control = ServerMessage::Control { writable: false };
    assert_eq!(control.to_json(), r#"{"type":"control","writable":false}"#);
    let size = ServerMessage::Size {
        cols: 132,
        rows: 43,
    };
    assert_eq!(size.to_json(), r#"{"type":"size","cols":132,"rows":43}"#);
    let code = ServerMessage::Exit(ExitStatus::Code { code: 3 });
    assert_eq!(code.to_json(), r#"{"type":"exit","code":3}"#);
    let signal = ServerMessage::Exit(ExitStatus::Signal {
        signal: "SIGKILL".into(),
    });
    assert_eq!(signal.to_json(), r#"{"type":"exit","signal":"SIGKILL"}"#);
    let error = ServerMessage::Error {
        message: "no".into(),
    };
    assert_eq!(error.to_json(), r#"{"type":"error","message":"no"}"#);
    assert_eq!(ServerMessage::Shutdown.to_json(), r#"{"type":"shutdown"}"#);
    assert_eq!(ServerMessage::Pong.to_json(), r#"{"type":"pong"}"#);
    let taken = ServerMessage::InputTaken {
        from: 4,
        bytes: Some(10),
    };
    assert_eq!(
        taken.to_json(),
        r#"{"type":"input_taken","from":4,"bytes":10}"#
    );
    let unknown = ServerMessage::InputTaken {
        from: 4,
        bytes: None,
    };
    assert_eq!(
        unknown.to_json(),
        r#"{"type":"input_taken","from":4,"bytes":null}"#
    );
    let all = [
        hello,
        control,
        size,
        code,
        signal,
        error,
        ServerMessage::Shutdown,
        ServerMessage::Pong,
        taken,
        unknown,
    ];
    for message in all {
        let back: ServerMessage = serde_json::from_str(&message.to_json()).unwrap();
        assert_eq!(back, message);
    }
}

#[test]
fn hello_carries_the_client_options_in_camel_case() {
    let options = ClientOptions {
        font_family: "monospace".into(),
        font_size: 15,
        theme: Theme {
            background: Some("#000000".into()),
            bright_white: Some("#ffffff".into()),
            ..Theme::default()
        },
        cursor_style: CursorStyle::Bar,
        scrollback: 1000,
        renderer: Renderer::Dom,
        copy_on_select: true,
        clipboard_osc52: false,
    };
    let hello = ServerMessage::Hello {
        protocol: 1,
        session: "abc".into(),
        path: "/".into(),
        cols: 80,
        rows: 24,
        writable: true,
        client: 0,
        resumed: true,
        input: InputPolicy::Single,
        role: Role::Read,
        options: Some(Box::new(options)),
        title: Some("Logs".into()),
        heartbeat: 20,
        linger: 0,
        owner: Some("ann".into()),
    };
    let json = hello.to_json();
    assert!(
        json.ends_with(
            r##""options":{"fontFamily":"monospace","fontSize":15,"theme":{"background":"#000000","brightWhite":"#ffffff"},"cursorStyle":"bar","scrollback":1000,"renderer":"dom","copyOnSelect":true,"clipboardOsc52":false},"title":"Logs","heartbeat":20,"linger":0,"owner":"ann"}"##
        ),
        "{json}"
    );
    let back: ServerMessage = serde_json::from_str(&json).unwrap();
    assert_eq!(back, hello);
}

#[test]
fn bad_control_messages_are_rejected_with_a_reason() {
    let malformed = [
        "",
        "{",
        "[]",
        "{}",
        r#"{"type":"explode"}"#,
        r#"{"type":"resize","cols":"80","rows":24}"#,
        r#"{"type":"resize","cols":-1,"rows":24}"#,
        r#"{"type":"resize","cols":80}"#,
        r#"{"type":"ack"}"#,
        r#"{"type":"ack","bytes":-1}"#,
        r#"{"type":"ack","bytes":1.5}"#,
    ];
    for text in malformed {
        assert!(
            matches!(ClientMessage::parse(text), Err(ControlError::Malformed(_))),
            "{text:?} should be malformed"
        );
    }
    for (cols, rows) in [
        (0, 24),
        (80, 0),
        (1_001, 24),
        (80, 4_000_000_000u32),
        (1_000, 1_000),
        (1_000, 251),
    ] {
        let text = format!(r#"{{"type":"resize","cols":{cols},"rows":{rows}}}"#);
        let error = ClientMessage::parse(&text).unwrap_err();
        assert!(matches!(error, ControlError::Invalid(_)), "{text}: {error}");
    }
}

#[test]
fn the_largest_sizes_are_accepted_up_to_the_cell_limit() {
    for (cols, rows) in [
        (1_000, 250),
        (500, 500),
        (250, 1_000),
        (1, 1_000),
        (1_000, 1),
    ] {
        assert_eq!(
            Size::new(cols, rows),
            Ok(Size {
                cols: cols as u16,
                rows: rows as u16
            })
        );
    }
    assert_eq!(
        Size::new(501, 500),
        Err("cols x rows must be at most 250000 cells, got 501 x 500".to_owned())
    );
}

#[test]
fn deeply_nested_json_is_rejected_without_a_stack_overflow() {
    let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(ClientMessage::parse(&text).is_err());
}

#[test]
fn unknown_fields_are_ignored_for_forward_compatibility() {
    let text = r#"{"type":"pause","since":"v2"}"#;
    assert_eq!(ClientMessage::parse(text).unwrap(), ClientMessage::Pause);
}
