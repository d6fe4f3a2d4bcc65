//! Strict input (issue 17, item 4), one test per rule, and a hostile
//! corpus across every endpoint: each request a client gets wrong is a 4xx
//! with the API's JSON error, never a 5xx, and never reaches a model.

use hearth_tests::{TestApp, anthropic_answers, anthropic_error, token_with};
use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, ResponseTemplate};

fn assert_error(status: u16, body: &Value, want: u16, code: &str) {
    assert_eq!(status, want, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
}

#[tokio::test]
async fn trailing_data_after_the_json_body_is_400() {
    let t = TestApp::start().await;
    let token = t.token("ana");
    for body in [
        r#"{"message":"x"} xyz"#,
        r#"{"message":"x"}{"message":"y"}"#,
    ] {
        let (status, json) = t.post_raw(&token, "/v1/chat", body).await;
        assert_error(status, &json, 400, "invalid_request");
    }
    let (status, json) = t
        .send(
            t.http
                .put(t.at("/v1/me/settings"))
                .bearer_auth(&token)
                .body(r#"{"checkin_hour":9} []"#),
        )
        .await;
    assert_error(status, &json, 400, "invalid_request");
    // Whitespace after the value is fine.
    anthropic_answers(t.anthropic(), "Hello.").await;
    let (status, _) = t
        .post_raw(&token, "/v1/chat", "{\"message\":\"x\"} \n")
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn control_characters_are_refused_in_messages_ids_and_tokens() {
    let t = TestApp::start().await;
    let token = t.token("ana");
    for message in [
        "\u{0}",
        "hi\u{0}there",
        "bell\u{7}",
        "esc\u{1b}[31m",
        "c1\u{85}",
    ] {
        let (status, json) = t.chat(&token, json!({"message": message})).await;
        assert_error(status, &json, 400, "invalid_request");
    }
    let (status, json) = t
        .chat(
            &token,
            json!({"message": "hi", "client_message_id": "c\u{0}1"}),
        )
        .await;
    assert_error(status, &json, 400, "invalid_request");
    let (status, json) = t
        .chat(&token, json!({"message": "hi", "session_id": "s\u{202e}1"}))
        .await;
    assert_error(status, &json, 400, "invalid_request");
    let (status, json) = t
        .post(
            &token,
            "/v1/journal/entries",
            json!({"text": "dear diary\u{0}"}),
        )
        .await;
    assert_error(status, &json, 400, "invalid_request");
    for push in ["tok\u{0}en", "tok\u{202e}en", "tok\u{7f}"] {
        let (status, json) = t
            .send(
                t.http
                    .put(t.at("/v1/me/settings"))
                    .bearer_auth(&token)
                    .json(&json!({"push_token": push})),
            )
            .await;
        assert_error(status, &json, 400, "invalid_request");
    }
    // Nothing refused reached the model; newline and tab are text.
    assert!(t.anthropic().received_requests().await.unwrap().is_empty());
    anthropic_answers(t.anthropic(), "Hello.").await;
    let (status, body) = t
        .chat(
            &token,
            json!({"message": "line one\nline two\r\n\tindented"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn an_import_created_at_in_the_future_or_before_2000_is_a_line_error() {
    let t = TestApp::start().await;
    let token = t.token("ana");
    let line = |ext: &str, at: &str| {
        format!(
            r#"{{"session_id":"s-{ext}","role":"user","content":"hi","created_at":"{at}","external_id":"{ext}"}}"#
        )
    };
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(60)).to_rfc3339();
    let text = [
        line("far", "9999-12-31T23:59:59Z"),
        line("early", "1970-01-01T00:00:00Z"),
        line("ok", "2025-03-01T10:00:00Z"),
        line("skew", &soon),
        line("nul", "2025-03-01T10:00:00Z").replace("\"hi\"", "\"h\\u0000i\""),
    ]
    .join("\n");
    let (status, report) = t.post_raw(&token, "/v1/import", text).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["imported"], 2, "{report}");
    let lines: Vec<u64> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![1, 2, 5], "{report}");
    let (_, sessions) = t.get(&token, "/v1/sessions").await;
    let ids: Vec<&str> = sessions["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(!ids.contains(&"s-far"), "{ids:?}");
}

#[tokio::test]
async fn path_and_query_decode_failures_are_json_400s() {
    let t = TestApp::start().await;
    let token = t.token("ana");
    for path in [
        "/v1/sessions/%ff/messages",
        "/v1/memories?category=a&category=b",
        "/v1/search?q=a&q=b",
        "/v1/sessions?limit=1&limit=2",
        "/v1/export?cursor=a&cursor=b",
    ] {
        let (status, json) = t.get(&token, path).await;
        assert_error(status, &json, 400, "invalid_request");
    }
    let (status, json) = t
        .send(t.http.delete(t.at("/v1/memories/%ff")).bearer_auth(&token))
        .await;
    assert_error(status, &json, 400, "invalid_request");
}

#[tokio::test]
async fn a_client_message_id_reused_with_other_content_or_session_is_409() {
    let t = TestApp::start().await;
    anthropic_answers(t.anthropic(), "Hello.").await;
    let token = t.token("ana");
    let (status, first) = t
        .chat(&token, json!({"message": "hi", "client_message_id": "c-1"}))
        .await;
    assert_eq!(status, 200, "{first}");
    let session = first["session_id"].as_str().unwrap().to_string();
    // The same turn again is a replay.
    let (status, again) = t
        .chat(&token, json!({"message": "hi", "client_message_id": "c-1"}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(again["reply"]["id"], first["reply"]["id"]);
    let (status, json) = t
        .chat(
            &token,
            json!({"message": "other words", "client_message_id": "c-1"}),
        )
        .await;
    assert_error(status, &json, 409, "conflict");
    let (_, other) = t.chat(&token, json!({"message": "second"})).await;
    let other = other["session_id"].as_str().unwrap();
    assert_ne!(other, session);
    let (status, json) = t
        .chat(
            &token,
            json!({"message": "hi", "client_message_id": "c-1", "session_id": other}),
        )
        .await;
    assert_error(status, &json, 409, "conflict");
    // Neither conflict stored anything.
    let (_, messages) = t
        .get(&token, &format!("/v1/sessions/{other}/messages"))
        .await;
    assert_eq!(messages["items"].as_array().unwrap().len(), 2, "{messages}");
}

#[tokio::test]
async fn a_503_on_a_new_session_returns_the_session_it_created() {
    let t = TestApp::start().await;
    Mock::given(method("POST"))
        .respond_with(anthropic_error(500, "api_error"))
        .mount(t.anthropic())
        .await;
    let token = t.token("ana");
    let (status, body) = t.chat(&token, json!({"message": "hello"})).await;
    assert_error(status, &body, 503, "model_unavailable");
    let session = body["session_id"]
        .as_str()
        .expect("session_id beside error");
    let (status, messages) = t
        .get(&token, &format!("/v1/sessions/{session}/messages"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(messages["items"][0]["content"], "hello");
    // In a session that already exists the 503 names none.
    let (status, body) = t
        .chat(&token, json!({"message": "again", "session_id": session}))
        .await;
    assert_eq!(status, 503);
    assert!(body.get("session_id").is_none(), "{body}");
}

#[tokio::test]
async fn request_ids_are_kept_when_short_tokens_and_replaced_otherwise() {
    let t = TestApp::start().await;
    let echo = |sent: &str| {
        let req = t.http.get(t.at("/healthz")).header("x-request-id", sent);
        async move {
            let resp = req.send().await.unwrap();
            resp.headers()["x-request-id"].to_str().unwrap().to_string()
        }
    };
    assert_eq!(echo("req-1.a:b_c").await, "req-1.a:b_c");
    for bad in [
        "x\" level=error msg=\"forged".to_string(),
        "a b".to_string(),
        "r".repeat(129),
    ] {
        let got = echo(&bad).await;
        assert_ne!(got, bad);
        assert!(
            hearth::http::guard::valid_request_id(got.as_bytes()),
            "{got}"
        );
    }
}

#[cfg(unix)]
#[test]
fn the_data_dir_is_0700_and_its_files_0600() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    hearth::config::local_secret(&dir).unwrap();
    let _store = hearth::adapters::embedded::EmbeddedStore::open(&dir).unwrap();
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("hearth.redb")), 0o600);
    assert_eq!(mode(&dir.join("jwt-secret")), 0o600);
    // A dir an older version left 0755 is tightened on open.
    let old = root.path().join("old");
    std::fs::create_dir(&old).unwrap();
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o755)).unwrap();
    let _store = hearth::adapters::embedded::EmbeddedStore::open(&old).unwrap();
    assert_eq!(mode(&old), 0o700);
}

/// One hostile request: method, path, bearer token or none, body.
struct Case {
    name: &'static str,
    method: &'static str,
    path: String,
    token: Option<String>,
    body: Option<Vec<u8>>,
}

#[tokio::test]
async fn a_hostile_corpus_across_every_endpoint_is_answered_4xx_json() {
    let t = TestApp::start().await;
    // No model answers: a hostile request that reached one would show.
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .mount(t.anthropic())
        .await;
    let ana = t.token("ana");
    let expired = token_with(json!({"sub": "ana", "exp": 1_000_000_000}));
    let long = "x".repeat(4_001);
    let nested = format!("{}{}", "[".repeat(5_000), "]".repeat(5_000));
    let big = format!(r#"{{"message":"{}"}}"#, "y".repeat(70_000));
    let c = |name, method, path: &str, token: Option<&String>, body: Option<&str>| Case {
        name,
        method,
        path: path.to_string(),
        token: token.cloned(),
        body: body.map(|b| b.as_bytes().to_vec()),
    };
    let a = Some(&ana);
    let cases = vec![
        c(
            "chat trailing text",
            "POST",
            "/v1/chat",
            a,
            Some(r#"{"message":"x"} xyz"#),
        ),
        c(
            "chat two documents",
            "POST",
            "/v1/chat",
            a,
            Some(r#"{"message":"x"}{"message":"y"}"#),
        ),
        c("chat not json", "POST", "/v1/chat", a, Some("hello")),
        c("chat empty body", "POST", "/v1/chat", a, Some("")),
        c(
            "chat NUL message",
            "POST",
            "/v1/chat",
            a,
            Some(r#"{"message":"\u0000"}"#),
        ),
        c(
            "chat blank message",
            "POST",
            "/v1/chat",
            a,
            Some(r#"{"message":"   "}"#),
        ),
        c(
            "chat too long",
            "POST",
            "/v1/chat",
            a,
            Some(&format!(r#"{{"message":"{long}"}}"#)),
        ),
        c("chat body too large", "POST", "/v1/chat", a, Some(&big)),
        c(
            "chat message number",
            "POST",
            "/v1/chat",
            a,
            Some(r#"{"message":5}"#),
        ),
        c(
            "chat unknown field",
            "POST",
            "/v1/chat",
            a,
            Some(r#"{"message":"x","admin":true}"#),
        ),
        c(
            "chat reserved id char",
            "POST",
            "/v1/chat",
            a,
            Some(r#"{"message":"x","session_id":"a#b"}"#),
        ),
        c(
            "chat unknown session",
            "POST",
            "/v1/chat",
            a,
            Some(r#"{"message":"x","session_id":"nope"}"#),
        ),
        c(
            "chat long client id",
            "POST",
            "/v1/chat",
            a,
            Some(&format!(
                r#"{{"message":"x","client_message_id":"{}"}}"#,
                "c".repeat(200)
            )),
        ),
        c(
            "chat no token",
            "POST",
            "/v1/chat",
            None,
            Some(r#"{"message":"x"}"#),
        ),
        c(
            "chat garbage token",
            "POST",
            "/v1/chat",
            Some(&"x.y.z".to_string()),
            Some(r#"{"message":"x"}"#),
        ),
        c(
            "chat expired token",
            "POST",
            "/v1/chat",
            Some(&expired),
            Some(r#"{"message":"x"}"#),
        ),
        c("chat deep nesting", "POST", "/v1/chat", a, Some(&nested)),
        c("chat array body", "POST", "/v1/chat", a, Some("[]")),
        c(
            "chat remember string",
            "POST",
            "/v1/chat",
            a,
            Some(r#"{"message":"x","remember":"yes"}"#),
        ),
        c("chat wrong method", "GET", "/v1/chat", a, None),
        c(
            "sessions limit text",
            "GET",
            "/v1/sessions?limit=abc",
            a,
            None,
        ),
        c(
            "sessions limit negative",
            "GET",
            "/v1/sessions?limit=-1",
            a,
            None,
        ),
        c(
            "sessions limit huge",
            "GET",
            "/v1/sessions?limit=100000",
            a,
            None,
        ),
        c(
            "sessions bad cursor",
            "GET",
            "/v1/sessions?cursor=garbage",
            a,
            None,
        ),
        c(
            "sessions duplicate limit",
            "GET",
            "/v1/sessions?limit=1&limit=2",
            a,
            None,
        ),
        c(
            "messages %ff id",
            "GET",
            "/v1/sessions/%ff/messages",
            a,
            None,
        ),
        c(
            "messages reserved id",
            "GET",
            "/v1/sessions/a%23b/messages",
            a,
            None,
        ),
        c(
            "messages unknown session",
            "GET",
            "/v1/sessions/nope/messages",
            a,
            None,
        ),
        c(
            "patch session %ff",
            "PATCH",
            "/v1/sessions/%ff",
            a,
            Some(r#"{"remember":false}"#),
        ),
        c(
            "patch session bad type",
            "PATCH",
            "/v1/sessions/nope",
            a,
            Some(r#"{"remember":"no"}"#),
        ),
        c(
            "memories duplicate category",
            "GET",
            "/v1/memories?category=a&category=b",
            a,
            None,
        ),
        c(
            "memories bad flag",
            "GET",
            "/v1/memories?include_superseded=maybe",
            a,
            None,
        ),
        c(
            "edit memory %ff",
            "PATCH",
            "/v1/memories/%ff",
            a,
            Some(r#"{"content":"x"}"#),
        ),
        c(
            "edit memory unknown",
            "PATCH",
            "/v1/memories/nope",
            a,
            Some(r#"{"content":"x"}"#),
        ),
        c("forget memory NUL", "DELETE", "/v1/memories/%00", a, None),
        c("search without q", "GET", "/v1/search", a, None),
        c("search duplicate q", "GET", "/v1/search?q=a&q=b", a, None),
        c(
            "search limit text",
            "GET",
            "/v1/search?q=a&limit=x",
            a,
            None,
        ),
        c("export bad cursor", "GET", "/v1/export?cursor=zzz", a, None),
        c("erase without token", "DELETE", "/v1/me", None, None),
        c(
            "settings NUL push token",
            "PUT",
            "/v1/me/settings",
            a,
            Some(r#"{"push_token":"a\u0000b"}"#),
        ),
        c(
            "settings RLO push token",
            "PUT",
            "/v1/me/settings",
            a,
            Some(r#"{"push_token":"a\u202eb"}"#),
        ),
        c(
            "settings unknown zone",
            "PUT",
            "/v1/me/settings",
            a,
            Some(r#"{"timezone":"Mars/Olympus"}"#),
        ),
        c(
            "settings trailing data",
            "PUT",
            "/v1/me/settings",
            a,
            Some(r#"{"checkin_hour":9} x"#),
        ),
        c(
            "settings hour out of range",
            "PUT",
            "/v1/me/settings",
            a,
            Some(r#"{"checkin_hour":25}"#),
        ),
        c(
            "checkins zero limit",
            "GET",
            "/v1/checkins?limit=0",
            a,
            None,
        ),
        c(
            "journal empty entry",
            "POST",
            "/v1/journal/entries",
            a,
            Some("{}"),
        ),
        c(
            "journal NUL entry",
            "POST",
            "/v1/journal/entries",
            a,
            Some(r#"{"text":"\u0000"}"#),
        ),
        c(
            "journal trailing data",
            "POST",
            "/v1/journal/entries",
            a,
            Some(r#"{"text":"x"} {"#),
        ),
        c(
            "journal prompts bad limit",
            "GET",
            "/v1/journal/prompts?limit=x",
            a,
            None,
        ),
        c(
            "import without token",
            "POST",
            "/v1/import",
            None,
            Some("{}"),
        ),
        c("unknown route", "GET", "/v1/nope", a, None),
        c("healthz wrong method", "POST", "/healthz", None, None),
        c("basic auth", "GET", "/v1/sessions", None, None),
    ];
    assert!(cases.len() >= 40, "{} kinds", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let method = reqwest::Method::from_bytes(case.method.as_bytes()).unwrap();
        let mut req = t
            .http
            .request(method, t.at(&case.path))
            .header("x-request-id", "hostile\" level=error");
        req = match (&case.token, case.name) {
            (_, "basic auth") => req.header("authorization", "Basic YWxpY2U6c2VjcmV0"),
            (Some(tok), _) => req.bearer_auth(tok),
            (None, _) => req,
        };
        if let Some(body) = &case.body {
            req = req
                .header("content-type", "application/json")
                .body(body.clone());
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let json: Option<Value> = serde_json::from_str(&text).ok();
        let ok = (400..500).contains(&status)
            && json.as_ref().is_some_and(|j| {
                j["error"]["code"].as_str().is_some_and(|c| {
                    !c.is_empty() && c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_')
                }) && j["error"]["message"].is_string()
            });
        if !ok {
            failures.push(format!("{}: {status} {text}", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "not a 4xx JSON error:\n{}",
        failures.join("\n")
    );
    assert!(
        t.anthropic().received_requests().await.unwrap().is_empty(),
        "a hostile request reached the model"
    );
}
